import { createBlock, type Block, type HeaderData } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { createMPT } from '@ethereumjs/mpt'
import { Caches, MerkleStateManager } from '@ethereumjs/statemanager'
import type { TypedTransaction } from '@ethereumjs/tx'
import { buildBlock, createVM, runBlock, type RunTxResult, type TxReceipt, type VM } from '@ethereumjs/vm'
import type { CustomPrecompile, EVMMockBlockchainInterface } from '@ethereumjs/evm'
import { Lru, ParsError, equalBytes, toHex, type KVBatchOp, type Logger } from '../common/index.js'
import type { TrieDb } from './state/trieDb.js'
import { CallVms } from './state/callVms.js'
import type { ChainStore } from './store/chainStore.js'
import type { StoredReceipt } from './types.js'

export type ExecutionErrorType = { code: 'INVALID_BLOCK'; reason: string } | { code: 'BLOCK_EXECUTION_FAILED'; reason: string }

/** Price per gas a transaction pays in a block with this base fee. */
export function effectiveGasPrice(tx: TypedTransaction, baseFee: bigint | undefined): bigint {
  if ('maxFeePerGas' in tx && 'maxPriorityFeePerGas' in tx) {
    const base = baseFee ?? 0n
    const tip = tx.maxPriorityFeePerGas < tx.maxFeePerGas - base ? tx.maxPriorityFeePerGas : tx.maxFeePerGas - base
    return base + tip
  }
  return (tx as unknown as { gasPrice: bigint }).gasPrice
}

export function toStoredReceipts(
  txs: readonly TypedTransaction[],
  receipts: readonly TxReceipt[],
  results: readonly RunTxResult[],
  baseFee: bigint | undefined,
): StoredReceipt[] {
  let prev = 0n
  return receipts.map((r, i) => {
    const tx = txs[i]!
    const out: StoredReceipt = {
      status: 'status' in r ? r.status : 1,
      cumulativeGasUsed: r.cumulativeBlockGasUsed,
      gasUsed: r.cumulativeBlockGasUsed - prev,
      logsBloom: r.bitvector,
      logs: r.logs.map(([address, topics, data]) => ({ address, topics, data })),
      effectiveGasPrice: effectiveGasPrice(tx, baseFee),
    }
    prev = r.cumulativeBlockGasUsed
    const created = results[i]?.createdAddress
    if (created !== undefined) out.contractAddress = created.bytes
    if ('blobGasUsed' in r) {
      out.blobGasUsed = r.blobGasUsed
      out.blobGasPrice = r.blobGasPrice
    }
    return out
  })
}

export interface BuiltBlock {
  block: Block
  receipts: StoredReceipt[]
  stateOps: KVBatchOp[]
  /** transactions that cannot be included now or ever (stale nonce, too poor): drop from the pool */
  dropped: { tx: TypedTransaction; reason: string }[]
}

export interface BuildOptions {
  parent: Block
  timestamp: bigint
  coinbase: Uint8Array
  /** candidate transactions in inclusion order; the iterator is told which ones failed */
  candidates: Iterable<TypedTransaction>
  /** called when a candidate is skipped so the caller can drop that sender's later txs */
  onSkip?: (tx: TypedTransaction) => void
  mixHash?: Uint8Array
  gasLimit?: bigint
}

export interface ExecutionComponents {
  common: Common
  store: ChainStore
  trieDb: TrieDb
  logger: Logger
  /** the chain's extra precompiles (Pars's, when its genesis enables them) */
  customPrecompiles: CustomPrecompile[]
}

/**
 * Executes blocks on the head state. One VM, used by one caller at a time (the node serialises block
 * building and import); reads for RPC go through `stateAt()`, which never touches this VM.
 */
export class Execution {
  private vm!: VM
  private stateManager!: MerkleStateManager
  readonly blockchain: EVMMockBlockchainInterface
  /** VMs for eth_call and friends */
  readonly calls: CallVms
  private readonly callBlocks = new Lru<string, Block>(16)

  constructor(private readonly c: ExecutionComponents) {
    const store = c.store
    this.blockchain = {
      async getBlock(n: number) {
        const b = await store.getBlockByNumber(BigInt(n))
        if (b === undefined) throw new ParsError({ code: 'UNKNOWN_BLOCK' }, `block ${n} not found`)
        return b
      },
      async putBlock() {},
      shallowCopy() {
        return this
      },
    } as EVMMockBlockchainInterface
    this.calls = new CallVms({ common: c.common, trieDb: c.trieDb, blockchain: this.blockchain, customPrecompiles: c.customPrecompiles })
  }

  get common(): Common {
    return this.c.common
  }

  /** Open the VM on the state of `head`. */
  async init(headStateRoot: Uint8Array): Promise<void> {
    const trie = await createMPT({ db: this.c.trieDb, useKeyHashing: true, valueEncoding: 'view', cacheSize: 20_000 })
    // account, storage and code caches: a block's writes gather there and reach the trie once, when
    // the block's checkpoint commits (not at every transaction: a trie put re-hashes the path each time)
    this.stateManager = new MerkleStateManager({ trie, common: this.c.common, caches: new Caches() })
    await this.stateManager.setStateRoot(headStateRoot)
    this.vm = await createVM({
      common: this.c.common.copy(),
      stateManager: this.stateManager,
      blockchain: this.blockchain,
      evmOpts: { customPrecompiles: this.c.customPrecompiles },
    })
  }

  /** Write a genesis alloc into the state and return its root (state ops stay pending in the trie db). */
  async applyGenesisState(genesisState: Parameters<MerkleStateManager['generateCanonicalGenesis']>[0]): Promise<Uint8Array> {
    const trie = await createMPT({ db: this.c.trieDb, useKeyHashing: true, valueEncoding: 'view' })
    const sm = new MerkleStateManager({ trie, common: this.c.common })
    await sm.generateCanonicalGenesis(genesisState)
    await sm.flush()
    return sm.getStateRoot()
  }

  /** Build a block on `parent` (the head) from candidates; nothing is written to disk. */
  async build(opts: BuildOptions): Promise<BuiltBlock> {
    const { parent } = opts
    // after a commit the VM already stands on the parent's state: re-setting it would drop its caches
    if (!equalBytes(await this.stateManager.getStateRoot(), parent.header.stateRoot)) {
      await this.stateManager.setStateRoot(parent.header.stateRoot)
    }
    const headerData: HeaderData = {
      timestamp: opts.timestamp,
      coinbase: opts.coinbase,
      gasLimit: opts.gasLimit ?? parent.header.gasLimit,
      mixHash: opts.mixHash,
    }
    this.vm.common.setHardforkBy({ blockNumber: parent.header.number + 1n, timestamp: opts.timestamp })
    if (this.vm.common.isActivatedEIP(7928)) {
      throw new ParsError(
        { code: 'BLOCK_EXECUTION_FAILED', reason: 'EIP-7928' },
        'block access lists (EIP-7928, Amsterdam) are not supported by this block builder',
      )
    }
    const builder = await buildBlock(this.vm, {
      parentBlock: parent,
      headerData,
      blockOpts: { putBlockIntoBlockchain: false, common: this.vm.common },
    })
    const included: TypedTransaction[] = []
    const results: RunTxResult[] = []
    const dropped: BuiltBlock['dropped'] = []
    const blockGasLimit = headerData.gasLimit as bigint
    for (const tx of opts.candidates) {
      if (builder.gasUsed + 21_000n > blockGasLimit) break
      if (tx.gasLimit > blockGasLimit - builder.gasUsed) {
        opts.onSkip?.(tx) // does not fit this block; try again in the next one
        continue
      }
      try {
        results.push(await addTransactionLinear(builder, tx))
        included.push(tx)
      } catch (e) {
        dropped.push({ tx, reason: e instanceof Error ? e.message : String(e) })
        opts.onSkip?.(tx)
      }
    }
    try {
      const { block } = await builder.build()
      const receipts = toStoredReceipts(included, builder.transactionReceipts, results, block.header.baseFeePerGas)
      return { block, receipts, stateOps: this.c.trieDb.takePending(), dropped }
    } catch (e) {
      this.c.trieDb.discardPending()
      await this.stateManager.setStateRoot(parent.header.stateRoot, true)
      throw new ParsError({ code: 'BLOCK_EXECUTION_FAILED', reason: String(e) }, `building block failed: ${String(e)}`, { cause: e })
    }
  }

  /**
   * Re-execute a block someone else made (import, sync): checks the header against its parent, runs
   * every transaction, and checks the state root, receipts root, gas used and bloom.
   */
  async execute(block: Block, parent: Block): Promise<{ receipts: StoredReceipt[]; stateOps: KVBatchOp[] }> {
    validateHeaderAgainstParent(block, parent)
    try {
      this.vm.common.setHardforkBy({ blockNumber: block.header.number, timestamp: block.header.timestamp })
      const result = await runBlock(this.vm, {
        block,
        root: parent.header.stateRoot,
        skipHeaderValidation: true,
        setHardfork: true,
      })
      const receipts = toStoredReceipts(block.transactions, result.receipts, result.results, block.header.baseFeePerGas)
      return { receipts, stateOps: this.c.trieDb.takePending() }
    } catch (e) {
      this.c.trieDb.discardPending()
      await this.stateManager.setStateRoot(parent.header.stateRoot, true)
      const reason = e instanceof Error ? e.message : String(e)
      throw new ParsError({ code: 'INVALID_BLOCK', reason }, `block ${block.header.number} (${toHex(block.hash())}) is invalid: ${reason}`)
    }
  }

  /** Reset the VM's state to a committed root (after an aborted build). */
  async resetTo(stateRoot: Uint8Array): Promise<void> {
    this.c.trieDb.discardPending()
    await this.stateManager.setStateRoot(stateRoot, true)
  }

  /** A private, writable view of the state at `stateRoot`: writes never reach the disk. */
  async stateAt(stateRoot: Uint8Array, opts: { cacheSize?: number; caches?: boolean } = {}): Promise<MerkleStateManager> {
    const trie = await createMPT({
      db: this.c.trieDb.scratch(),
      useKeyHashing: true,
      valueEncoding: 'view',
      root: stateRoot,
      cacheSize: opts.cacheSize ?? 0,
    })
    return new MerkleStateManager({ trie, common: this.c.common, ...(opts.caches === true ? { caches: new Caches() } : {}) })
  }

  /** Addresses of the precompiles this chain runs (lowercase hex), left out of access lists. */
  precompileAddresses(): Set<string> {
    const out = new Set<string>()
    for (const addr of this.vm.evm.precompiles.keys()) out.add(`0x${addr}`.toLowerCase())
    return out
  }

  /**
   * The block a call runs "in": the header of `block`, with base fee 0 when the call names no fee
   * (geth: such a call needs no balance for gas). A few recent ones are kept: making one costs more
   * than a small call.
   */
  callBlock(block: Block, withFees: boolean): Block {
    const key = `${toHex(block.hash())}:${withFees}`
    const hit = this.callBlocks.get(key)
    if (hit !== undefined) return hit
    const h = block.header
    const common = this.c.common.copy()
    common.setHardforkBy({ blockNumber: h.number, timestamp: h.timestamp })
    const made = createBlock(
      {
        header: {
          number: h.number,
          timestamp: h.timestamp,
          gasLimit: h.gasLimit,
          coinbase: h.coinbase,
          mixHash: h.mixHash,
          parentHash: h.parentHash,
          baseFeePerGas: h.baseFeePerGas === undefined ? undefined : withFees ? h.baseFeePerGas : 0n,
          excessBlobGas: h.excessBlobGas,
        },
      },
      { common, skipConsensusFormatValidation: true },
    )
    this.callBlocks.set(key, made)
    return made
  }
}

type BlockBuilder = Awaited<ReturnType<typeof buildBlock>>

/**
 * `BlockBuilder.addTransaction` of EthereumJS 10.1 rebuilds a Block holding every transaction added
 * so far before running the new one (only the header is used), which makes a block of n transactions
 * cost O(n^2) transaction constructions: 18 ms per transaction at 300 per block here. Hiding the list
 * during the call gives runTx the same header with no transactions to re-create. The only other user
 * of that list inside the call is EIP-7928 (Amsterdam, block access lists), which Pars does not run.
 */
async function addTransactionLinear(builder: BlockBuilder, tx: TypedTransaction): Promise<RunTxResult> {
  const b = builder as unknown as { transactions: TypedTransaction[] }
  const added = b.transactions
  b.transactions = []
  try {
    return await builder.addTransaction(tx)
  } finally {
    added.push(...b.transactions)
    b.transactions = added
  }
}

/** Header rules checked before executing a block from elsewhere. */
export function validateHeaderAgainstParent(block: Block, parent: Block): void {
  const h = block.header
  const p = parent.header
  const fail = (reason: string): never => {
    throw new ParsError({ code: 'INVALID_BLOCK', reason }, `block ${h.number} is invalid: ${reason}`)
  }
  if (!equalBytes(h.parentHash, parent.hash())) fail('parent hash does not match')
  if (h.number !== p.number + 1n) fail(`number ${h.number} does not follow parent ${p.number}`)
  // Equal timestamps are allowed: blocks come faster than once a second (as on Avalanche's C-Chain).
  if (h.timestamp < p.timestamp) fail(`timestamp ${h.timestamp} is before the parent's ${p.timestamp}`)
  if (h.gasUsed > h.gasLimit) fail('gas used exceeds gas limit')
  const bound = p.gasLimit / 1024n
  if (h.gasLimit >= p.gasLimit + bound || h.gasLimit <= p.gasLimit - bound || h.gasLimit < 5000n) {
    if (h.gasLimit !== p.gasLimit) fail(`gas limit ${h.gasLimit} changes too much from ${p.gasLimit}`)
  }
  if (block.common.isActivatedEIP(1559)) {
    const expected = p.baseFeePerGas === undefined ? block.common.param('initialBaseFee') : p.calcNextBaseFee()
    if (h.baseFeePerGas !== expected) fail(`base fee ${h.baseFeePerGas} should be ${expected}`)
  }
}
