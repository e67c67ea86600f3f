import { RLP } from '@ethereumjs/rlp'
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { createAccountFromRLP, type Account, type Address } from '@ethereumjs/util'
import { Lru } from '../../common/index.js'

/** A root and what is read under it (an address, a slot) as one flat string, a character per byte (see hexOf in common/) */
function rootedKey(root: Uint8Array, key: Uint8Array): string {
  return Buffer.concat([root, key]).toString('latin1')
}

/**
 * Committed state that the call VMs have read, shared by all of them. Accounts are keyed by the state
 * root they were read under and storage slots by the storage root, so an entry can never go stale:
 * the same root always holds the same values.
 */
export class CommittedReads {
  /** state root + address -> account RLP (null: no account) */
  readonly accounts: Lru<string, Uint8Array | null>
  /** storage root + slot -> stored value (null: empty slot) */
  readonly slots: Lru<string, Uint8Array | null>

  constructor(accounts = 20_000, slots = 50_000) {
    this.accounts = new Lru(accounts)
    this.slots = new Lru(slots)
  }
}

/**
 * The state manager of a call VM (eth_call, eth_estimateGas, eth_createAccessList). Every call runs
 * inside a checkpoint that is reverted afterwards, and EthereumJS's caches forget on revert what was
 * read inside it: each call would walk the trie again for every account and slot it touches, and
 * gas estimation's binary search would do so at every step. Reads that miss the caches are answered
 * from `CommittedReads` instead, and only what no call has read yet walks the trie. Writes are
 * untouched: they stay in EthereumJS's checkpointed caches and are dropped with them.
 */
export class CallStateManager extends MerkleStateManager {
  constructor(
    opts: ConstructorParameters<typeof MerkleStateManager>[0],
    private readonly reads: CommittedReads,
  ) {
    super(opts)
  }

  override async getAccount(address: Address): Promise<Account | undefined> {
    const elem = this._caches?.account?.get(address)
    if (elem !== undefined) return elem.accountRLP !== undefined ? createAccountFromRLP(elem.accountRLP) : undefined
    // under the account trie's current root: the root a read from it belongs to
    const key = rootedKey(this._trie.root(), address.bytes)
    let rlp = this.reads.accounts.get(key)
    if (rlp === undefined) {
      rlp = (await this._trie.get(address.bytes)) ?? null
      this.reads.accounts.set(key, rlp)
    }
    const account = rlp === null ? undefined : createAccountFromRLP(rlp)
    this._caches?.account?.put(address, account)
    return account
  }

  override async getStorage(address: Address, slot: Uint8Array): Promise<Uint8Array> {
    // a bad key length: EthereumJS's own refusal
    if (slot.length !== 32) return super.getStorage(address, slot)
    // a value written or read in this call, RLP-encoded as EthereumJS caches it
    const cached = this._caches?.storage?.get(address, slot)
    if (cached !== undefined) return RLP.decode(cached) as Uint8Array
    const account = await this.getAccount(address)
    if (account === undefined) return new Uint8Array(0)
    const key = rootedKey(account.storageRoot, slot)
    let value = this.reads.slots.get(key)
    if (value === undefined) {
      value = (await this._getStorageTrie(address, account).get(slot)) ?? null
      this.reads.slots.set(key, value)
    }
    // 0x80, the RLP of nothing, is what EthereumJS caches for an empty slot
    this._caches?.storage?.put(address, slot, value ?? Uint8Array.of(0x80))
    return value === null ? new Uint8Array(0) : (RLP.decode(value) as Uint8Array)
  }
}
