import type { Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import type { CustomPrecompile, EVMMockBlockchainInterface } from '@ethereumjs/evm'
import { createMPT } from '@ethereumjs/mpt'
import { Caches, type MerkleStateManager } from '@ethereumjs/statemanager'
import { createVM, type VM } from '@ethereumjs/vm'
import { equalBytes, toHex } from '../../common/index.js'
import type { TrieDb } from './trieDb.js'
import { CallStateManager, CommittedReads } from './callStateManager.js'

interface Slot {
  vm: VM
  sm: MerkleStateManager
  /** the private view of the trie database under `sm`: its writes never reach the disk */
  scratch: TrieDb
  root: string | undefined
}

export interface CallVmsComponents {
  common: Common
  trieDb: TrieDb
  blockchain: EVMMockBlockchainInterface
  customPrecompiles: CustomPrecompile[]
}

/**
 * Reusable VMs for read-only execution (eth_call, gas estimation, access lists). Making a VM costs
 * more than most calls, so a few are kept, each positioned on a state root with warm caches. A call
 * runs inside a checkpoint that is always reverted, so nothing it writes survives it, and the VM is
 * free for the next call on the same root.
 */
export class CallVms {
  private readonly idle: Slot[] = []
  private readonly waiters: ((s: Slot) => void)[] = []
  private created = 0
  /** what the VMs have read from committed state, shared (see CallStateManager) */
  private readonly reads = new CommittedReads()

  constructor(
    private readonly c: CallVmsComponents,
    private readonly max = 8,
  ) {}

  private async create(): Promise<Slot> {
    const scratch = this.c.trieDb.scratch()
    const trie = await createMPT({ db: scratch, useKeyHashing: true, valueEncoding: 'view' })
    const sm = new CallStateManager({ trie, common: this.c.common, caches: new Caches() }, this.reads)
    const vm = await createVM({
      common: this.c.common.copy(),
      stateManager: sm,
      blockchain: this.c.blockchain,
      evmOpts: { customPrecompiles: this.c.customPrecompiles },
    })
    return { vm, sm, scratch, root: undefined }
  }

  private async acquire(root: string): Promise<Slot> {
    const same = this.idle.findIndex((s) => s.root === root)
    if (same >= 0) return this.idle.splice(same, 1)[0]!
    if (this.idle.length > 0) return this.idle.shift()!
    if (this.created < this.max) {
      this.created++
      try {
        return await this.create()
      } catch (e) {
        this.created--
        throw e
      }
    }
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  private release(slot: Slot): void {
    const next = this.waiters.shift()
    if (next !== undefined) next(slot)
    else this.idle.push(slot)
  }

  /** Trie writes the VMs' private views hold (none between calls). */
  get pendingWrites(): number {
    return this.idle.reduce((n, s) => n + s.scratch.pendingCount, 0)
  }

  /** Run `fn` with a VM whose state is the state after `block`; its writes are discarded. */
  async run<T>(block: Block, fn: (vm: VM, sm: MerkleStateManager) => Promise<T>): Promise<T> {
    const root = toHex(block.header.stateRoot)
    const slot = await this.acquire(root)
    try {
      if (slot.root !== root) {
        slot.root = undefined
        await slot.sm.setStateRoot(block.header.stateRoot, true)
        slot.root = root
      }
      slot.vm.common.setHardforkBy({ blockNumber: block.header.number, timestamp: block.header.timestamp })
      await slot.sm.checkpoint()
      try {
        return await fn(slot.vm, slot.sm)
      } finally {
        const sm = slot.sm as unknown as { _checkpointCount: number }
        while (sm._checkpointCount > 0) await slot.sm.revert()
        // Reverting the last checkpoint makes EthereumJS write what its caches still hold into the
        // trie (after a gas estimation: copies of committed values, the root does not move). In this
        // private view those writes are leftovers of the call, and kept they would pile up for as
        // long as the VM lives (~6 trie nodes per eth_estimateGas of a token transfer). Should the
        // root have moved all the same, the VM is put back on the block's state before its next use.
        slot.scratch.discardPending()
        if (!equalBytes(await slot.sm.getStateRoot(), block.header.stateRoot)) slot.root = undefined
      }
    } catch (e) {
      // a VM left in an unknown state is not reused on this root
      slot.root = undefined
      throw e
    } finally {
      this.release(slot)
    }
  }
}
