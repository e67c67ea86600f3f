import type { BatchDBOp, DB, EncodingOpts } from '@ethereumjs/util'
import { hexToBytes } from '@noble/hashes/utils.js'
import { Lru, concat, flatString, type KVBatchOp, type KVStore } from '../../common/index.js'
import { Bucket } from '../store/buckets.js'

type Overlay = Map<string, Uint8Array | null>

function nodeKey(key: string): Uint8Array {
  return concat(Bucket.trie, hexToBytes(key.length % 2 === 1 ? '0' + key : key))
}

function asBytes(v: string | Uint8Array): Uint8Array {
  return typeof v === 'string' ? hexToBytes(v) : v
}

/**
 * The database behind the state trie. Writes never go straight to LevelDB: they collect in an
 * overlay shared by every trie (account trie, storage tries, code) and are taken out with
 * `takePending()` so that the block store can write them in the same atomic batch as the block that
 * produced them. Reads see the overlay first, then LevelDB.
 *
 * `scratch()` gives a view whose writes stay private (eth_call with state overrides, gas estimation):
 * they can never reach the disk.
 */
export class TrieDb implements DB<string, string | Uint8Array> {
  /** committed trie nodes recently read or written: content-addressed, so never stale (keys kept flat: see flatString) */
  private readonly cache: Lru<string, Uint8Array> | undefined

  constructor(
    private readonly kv: KVStore,
    private readonly overlay: Overlay = new Map(),
    private readonly base?: TrieDb,
    cacheSize = 100_000,
  ) {
    this.cache = base === undefined ? new Lru(cacheSize) : undefined
  }

  async get(key: string, _opts?: EncodingOpts): Promise<Uint8Array | undefined> {
    const local = this.overlay.get(key)
    if (local !== undefined) return local ?? undefined
    if (this.base !== undefined) return this.base.get(key)
    const cached = this.cache!.get(key)
    if (cached !== undefined) return cached
    const v = await this.kv.get(nodeKey(key))
    if (v === undefined) return undefined
    this.cache!.set(flatString(key), v)
    return v
  }

  async put(key: string, val: string | Uint8Array, _opts?: EncodingOpts): Promise<void> {
    this.overlay.set(key, asBytes(val))
  }

  async del(key: string, _opts?: EncodingOpts): Promise<void> {
    // Trie nodes are content-addressed and shared between roots: an archive node never deletes them.
    void key
  }

  async batch(ops: BatchDBOp<string, string | Uint8Array>[]): Promise<void> {
    for (const op of ops) if (op.type === 'put') this.overlay.set(op.key, asBytes(op.value))
  }

  shallowCopy(): TrieDb {
    return this
  }

  async open(): Promise<void> {}

  /** A view over this database whose writes stay in memory and are dropped with it. */
  scratch(): TrieDb {
    return new TrieDb(this.kv, new Map(), this)
  }

  get pendingCount(): number {
    return this.overlay.size
  }

  /** Remove and return the pending writes as LevelDB batch operations. */
  takePending(): KVBatchOp[] {
    const ops: KVBatchOp[] = []
    for (const [k, v] of this.overlay) {
      if (v === null) continue
      ops.push({ type: 'put', key: nodeKey(k), value: v })
      // the next block reads these first; content-addressed, so caching before the write lands is safe
      this.cache?.set(flatString(k), v)
    }
    this.overlay.clear()
    return ops
  }

  /** Drop pending writes (a block that failed to execute). */
  discardPending(): void {
    this.overlay.clear()
  }
}
