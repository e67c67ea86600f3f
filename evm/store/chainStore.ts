import { createBlockFromRLP, type Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { Lru, concat, readU64be, u64be, utf8, type KVBatchOp, type KVStore, toHex } from '../../common/index.js'
import type { StoredReceipt, TxLocation } from '../types.js'
import { Bucket } from './buckets.js'
import { decodeReceipts, encodeReceipts } from './receiptCodec.js'

const EMPTY = new Uint8Array(0)
/** transactions whose location is kept in memory: a few full blocks of plain transfers */
const RECENT_TX_LOCATIONS = 8192

export const MetaKey = {
  head: 'head',
  safe: 'safe',
  finalized: 'finalized',
  genesis: 'genesis',
  /** the geth-format genesis JSON this datadir was initialised with */
  genesisSpec: 'genesisSpec',
  schema: 'schema',
} as const

function metaKey(name: string): Uint8Array {
  return concat(Bucket.meta, utf8.encode(name))
}

export interface CommitOptions {
  /** also mark the block safe and finalized (dev mode, imports) */
  final?: boolean
  /** state-trie writes produced by executing the block */
  stateOps: KVBatchOp[]
  /** meta entries to write in the same batch (the genesis spec with the genesis block) */
  meta?: Record<string, Uint8Array>
  /** the block's consensus seal, stored with it (validator networks) */
  seal?: Uint8Array
}

/**
 * The canonical chain on disk. Everything a block brings (the block, its receipts, the tx and log
 * index entries, the state-trie nodes and the new head pointer) is written in ONE LevelDB batch, so
 * a crash at any moment leaves either the whole block or none of it.
 */
export class ChainStore {
  /** decoded blocks and receipts: RPC reads hit the newest blocks most */
  private readonly blocks = new Lru<string, Block>(256)
  private readonly receipts = new Lru<string, StoredReceipt[]>(256)
  /**
   * Where the transactions of recently committed blocks are, by hash. A client waiting for a
   * receipt (viem's waitForTransactionReceipt, Hardhat, the bench's send→receipt) asks right after
   * the block lands; answering from memory spares two index reads through the thread pool.
   */
  private readonly txLocations = new Lru<string, TxLocation>(RECENT_TX_LOCATIONS)

  constructor(
    private readonly kv: KVStore,
    private readonly common: Common,
  ) {}

  async getMeta(name: string): Promise<Uint8Array | undefined> {
    return (await this.kv.get(metaKey(name))) ?? undefined
  }

  async putMeta(name: string, value: Uint8Array): Promise<void> {
    await this.kv.put(metaKey(name), value)
  }

  async commitBlock(block: Block, receipts: readonly StoredReceipt[], opts: CommitOptions): Promise<void> {
    const hash = block.hash()
    const num = block.header.number
    const numKey = u64be(num)
    const ops: KVBatchOp[] = [...opts.stateOps]
    ops.push({ type: 'put', key: concat(Bucket.block, hash), value: block.serialize() })
    ops.push({ type: 'put', key: concat(Bucket.hashToNumber, hash), value: numKey })
    ops.push({ type: 'put', key: concat(Bucket.canonical, numKey), value: hash })
    ops.push({ type: 'put', key: concat(Bucket.receipts, hash), value: encodeReceipts(receipts) })
    if (opts.seal !== undefined) ops.push({ type: 'put', key: concat(Bucket.seal, hash), value: opts.seal })
    block.transactions.forEach((tx, i) => {
      const loc = new Uint8Array(36)
      loc.set(hash, 0)
      new DataView(loc.buffer).setUint32(32, i)
      ops.push({ type: 'put', key: concat(Bucket.txIndex, tx.hash()), value: loc })
    })
    const seen = new Set<string>()
    for (const r of receipts) {
      for (const log of r.logs) {
        const aKey = concat(Bucket.logAddress, log.address, numKey)
        const aId = toHex(aKey)
        if (!seen.has(aId)) {
          seen.add(aId)
          ops.push({ type: 'put', key: aKey, value: EMPTY })
        }
        log.topics.forEach((topic, pos) => {
          const tKey = concat(Bucket.logTopic, Uint8Array.of(pos), topic, numKey)
          const tId = toHex(tKey)
          if (!seen.has(tId)) {
            seen.add(tId)
            ops.push({ type: 'put', key: tKey, value: EMPTY })
          }
        })
      }
    }
    ops.push({ type: 'put', key: metaKey(MetaKey.head), value: hash })
    if (opts.final === true) {
      ops.push({ type: 'put', key: metaKey(MetaKey.safe), value: hash })
      ops.push({ type: 'put', key: metaKey(MetaKey.finalized), value: hash })
    }
    if (num === 0n) ops.push({ type: 'put', key: metaKey(MetaKey.genesis), value: hash })
    for (const [name, value] of Object.entries(opts.meta ?? {})) ops.push({ type: 'put', key: metaKey(name), value })
    await this.kv.batch(ops)
    this.blocks.set(toHex(hash), block)
    this.receipts.set(toHex(hash), [...receipts])
    block.transactions.forEach((tx, index) => this.txLocations.set(toHex(tx.hash()), { blockHash: hash, blockNumber: num, index }))
  }

  /** Mark blocks safe/finalized (consensus). */
  async setFinality(safe: Uint8Array, finalized: Uint8Array): Promise<void> {
    await this.kv.batch([
      { type: 'put', key: metaKey(MetaKey.safe), value: safe },
      { type: 'put', key: metaKey(MetaKey.finalized), value: finalized },
    ])
  }

  async getBlockByHash(hash: Uint8Array): Promise<Block | undefined> {
    const id = toHex(hash)
    const cached = this.blocks.get(id)
    if (cached !== undefined) return cached
    const rlp = await this.kv.get(concat(Bucket.block, hash))
    if (rlp === undefined) return undefined
    const block = createBlockFromRLP(rlp, { common: this.common, setHardfork: true })
    this.blocks.set(id, block)
    return block
  }

  async getSeal(blockHash: Uint8Array): Promise<Uint8Array | undefined> {
    return (await this.kv.get(concat(Bucket.seal, blockHash))) ?? undefined
  }

  async getCanonicalHash(num: bigint): Promise<Uint8Array | undefined> {
    if (num < 0n || num >= 2n ** 64n) return undefined
    return (await this.kv.get(concat(Bucket.canonical, u64be(num)))) ?? undefined
  }

  async getBlockByNumber(num: bigint): Promise<Block | undefined> {
    const hash = await this.getCanonicalHash(num)
    return hash === undefined ? undefined : this.getBlockByHash(hash)
  }

  async getNumberByHash(hash: Uint8Array): Promise<bigint | undefined> {
    const v = await this.kv.get(concat(Bucket.hashToNumber, hash))
    return v === undefined ? undefined : readU64be(v)
  }

  async getReceipts(blockHash: Uint8Array): Promise<StoredReceipt[] | undefined> {
    const id = toHex(blockHash)
    const cached = this.receipts.get(id)
    if (cached !== undefined) return cached
    const v = await this.kv.get(concat(Bucket.receipts, blockHash))
    if (v === undefined) return undefined
    const receipts = decodeReceipts(v)
    this.receipts.set(id, receipts)
    return receipts
  }

  async getTxLocation(txHash: Uint8Array): Promise<TxLocation | undefined> {
    const recent = this.txLocations.get(toHex(txHash))
    if (recent !== undefined) return recent
    const v = await this.kv.get(concat(Bucket.txIndex, txHash))
    if (v === undefined) return undefined
    const blockHash = v.slice(0, 32)
    const index = new DataView(v.buffer, v.byteOffset, v.byteLength).getUint32(32)
    const blockNumber = await this.getNumberByHash(blockHash)
    if (blockNumber === undefined) return undefined
    return { blockHash, blockNumber, index }
  }

  /**
   * Block numbers in [from, to] holding a log from `address` (or with `topic` at `position`),
   * ascending, from the persisted log index.
   */
  async logBlocksByAddress(address: Uint8Array, from: bigint, to: bigint): Promise<bigint[]> {
    return this.scanIndex(concat(Bucket.logAddress, address), from, to)
  }

  async logBlocksByTopic(position: number, topic: Uint8Array, from: bigint, to: bigint): Promise<bigint[]> {
    return this.scanIndex(concat(Bucket.logTopic, Uint8Array.of(position), topic), from, to)
  }

  private async scanIndex(prefix: Uint8Array, from: bigint, to: bigint): Promise<bigint[]> {
    const out: bigint[] = []
    const keys = this.kv.keys({ gte: concat(prefix, u64be(from)), lte: concat(prefix, u64be(to)) })
    for await (const k of keys) out.push(readU64be(k, prefix.length))
    return out
  }
}
