import type { Block } from '@ethereumjs/block'
import { describe, expect, it, vi } from 'vitest'
import { concat, fromHex, openMemoryDb, toHex, u64be, utf8, type KVBatchOp } from '../../../../common/index.js'
import { ChainStore, MetaKey, type Chain, type StoredReceipt } from '../../../../evm/index.js'
import { Bucket } from '../../../../evm/store/buckets.js'
import { decodeReceipts, encodeReceipts } from '../../../../evm/store/receiptCodec.js'
import { ACCOUNTS, dumpKv, mine, openTestChain, plain, signTx } from '../../helpers/chain.js'
import { ControlledKv } from '../../helpers/kv.js'

const [A, B] = ACCOUNTS as [(typeof ACCOUNTS)[0], (typeof ACCOUNTS)[0]]

const addr = (byte: number): Uint8Array => new Uint8Array(20).fill(byte)
const word = (byte: number): Uint8Array => new Uint8Array(32).fill(byte)

function receipt(over: Partial<StoredReceipt> = {}): StoredReceipt {
  return {
    status: 1,
    cumulativeGasUsed: 21_000n,
    gasUsed: 21_000n,
    logsBloom: new Uint8Array(256),
    logs: [],
    effectiveGasPrice: 1_875_000_000n,
    ...over,
  }
}

/** Two real blocks (numbers 1 and 2, with 2 and 1 transactions) from a chain, to store elsewhere. */
async function realBlocks(): Promise<{ chain: Chain; blocks: Block[] }> {
  const { chain } = await openTestChain()
  const one = await mine(chain, [signTx(chain.common, A, { nonce: 0n }), signTx(chain.common, B, { nonce: 0n })])
  const two = await mine(chain, [signTx(chain.common, A, { nonce: 1n })])
  return { chain, blocks: [one.block, two.block] }
}

describe('receipt codec', () => {
  it('round-trips every field, with and without the optional ones', () => {
    const receipts: StoredReceipt[] = [
      receipt(),
      receipt({
        status: 0,
        cumulativeGasUsed: 100_000n,
        gasUsed: 79_000n,
        logsBloom: new Uint8Array(256).fill(0xab),
        logs: [
          { address: addr(1), topics: [word(2), word(3)], data: Uint8Array.of(1, 2, 3) },
          { address: addr(4), topics: [], data: new Uint8Array(0) },
        ],
        contractAddress: addr(9),
        effectiveGasPrice: 0n,
      }),
      receipt({ blobGasUsed: 131_072n, blobGasPrice: 1n }),
    ]
    expect(decodeReceipts(encodeReceipts(receipts))).toEqual(receipts)
    expect(decodeReceipts(encodeReceipts([]))).toEqual([])
  })
})

describe('ChainStore', () => {
  it('writes everything a block brings in ONE batch: block, number, receipts, tx index, log index, state, head', async () => {
    const { chain, blocks } = await realBlocks()
    const block = blocks[0]!
    const kv = await ControlledKv.open()
    const store = new ChainStore(kv.store, chain.common)
    const stateOps: KVBatchOp[] = [{ type: 'put', key: concat(Bucket.trie, word(0x77)), value: Uint8Array.of(0xde, 0xad) }]
    const receipts = [
      receipt({ logs: [{ address: addr(0xaa), topics: [word(1), word(2)], data: new Uint8Array(0) }] }),
      receipt({ cumulativeGasUsed: 42_000n, logs: [{ address: addr(0xbb), topics: [word(1)], data: Uint8Array.of(5) }] }),
    ]

    await store.commitBlock(block, receipts, { stateOps, final: true })
    expect(kv.batches).toBe(1)

    const hash = block.hash()
    // read back through a second store on the same database: nothing comes from the first one's caches
    const fresh = new ChainStore(kv.store, chain.common)
    expect(toHex((await fresh.getBlockByHash(hash))!.serialize())).toBe(toHex(block.serialize()))
    expect(toHex((await fresh.getBlockByNumber(1n))!.hash())).toBe(toHex(hash))
    expect(toHex((await fresh.getCanonicalHash(1n))!)).toBe(toHex(hash))
    expect(await fresh.getNumberByHash(hash)).toBe(1n)
    expect(plain(await fresh.getReceipts(hash))).toEqual(plain(receipts))
    for (const [i, tx] of block.transactions.entries()) {
      const loc = await fresh.getTxLocation(tx.hash())
      expect(plain(loc)).toEqual(plain({ blockHash: hash, blockNumber: 1n, index: i }))
    }
    expect(plain(await kv.store.get(concat(Bucket.trie, word(0x77))))).toBe('0xdead')
    for (const name of [MetaKey.head, MetaKey.safe, MetaKey.finalized]) expect(toHex((await fresh.getMeta(name))!)).toBe(toHex(hash))
    expect(await fresh.logBlocksByAddress(addr(0xaa), 0n, 10n)).toEqual([1n])
    expect(await fresh.logBlocksByAddress(addr(0xbb), 0n, 10n)).toEqual([1n])
    expect(await fresh.logBlocksByTopic(0, word(1), 0n, 10n)).toEqual([1n])
    expect(await fresh.logBlocksByTopic(1, word(2), 0n, 10n)).toEqual([1n])
    // a topic is indexed at its position only
    expect(await fresh.logBlocksByTopic(0, word(2), 0n, 10n)).toEqual([])
  })

  it('answers where a just-committed transaction is from memory, the same as the database says', async () => {
    const { chain, blocks } = await realBlocks()
    const kv = await openMemoryDb()
    const store = new ChainStore(kv, chain.common)
    await store.commitBlock(blocks[0]!, [receipt(), receipt()], { stateOps: [], final: true })
    const reads = vi.spyOn(kv, 'get')
    const fresh = new ChainStore(kv, chain.common)
    for (const [i, tx] of blocks[0]!.transactions.entries()) {
      reads.mockClear()
      const loc = await store.getTxLocation(tx.hash())
      expect(reads).not.toHaveBeenCalled()
      expect(plain(loc)).toEqual(plain({ blockHash: blocks[0]!.hash(), blockNumber: 1n, index: i }))
      expect(plain(await fresh.getTxLocation(tx.hash()))).toEqual(plain(loc))
    }
  })

  it('a block that is not final moves the head only', async () => {
    const { chain, blocks } = await realBlocks()
    const kv = await openMemoryDb()
    const store = new ChainStore(kv, chain.common)
    await store.commitBlock(blocks[0]!, [receipt(), receipt()], { stateOps: [], final: true })
    await store.commitBlock(blocks[1]!, [receipt()], { stateOps: [], final: false })
    expect(toHex((await store.getMeta(MetaKey.head))!)).toBe(toHex(blocks[1]!.hash()))
    expect(toHex((await store.getMeta(MetaKey.finalized))!)).toBe(toHex(blocks[0]!.hash()))
    await store.setFinality(blocks[1]!.hash(), blocks[0]!.hash())
    expect(toHex((await store.getMeta(MetaKey.safe))!)).toBe(toHex(blocks[1]!.hash()))
    expect(toHex((await store.getMeta(MetaKey.finalized))!)).toBe(toHex(blocks[0]!.hash()))
  })

  it('a failed batch writes nothing and caches nothing', async () => {
    const { chain, blocks } = await realBlocks()
    const kv = await ControlledKv.open()
    const store = new ChainStore(kv.store, chain.common)
    await store.commitBlock(blocks[0]!, [receipt(), receipt()], { stateOps: [], final: true })
    const before = await dumpKv(kv.store)

    kv.failNextBatch()
    const block = blocks[1]!
    await expect(
      store.commitBlock(block, [receipt()], {
        stateOps: [{ type: 'put', key: concat(Bucket.trie, word(1)), value: Uint8Array.of(1) }],
        final: true,
      }),
    ).rejects.toThrow(/no space left/)

    expect(await dumpKv(kv.store)).toEqual(before)
    // the same store object must not serve the block from its cache either
    expect(await store.getBlockByHash(block.hash())).toBeUndefined()
    expect(await store.getReceipts(block.hash())).toBeUndefined()
    expect(await store.getBlockByNumber(2n)).toBeUndefined()
    expect(await store.getTxLocation(block.transactions[0]!.hash())).toBeUndefined()
    expect(toHex((await store.getMeta(MetaKey.head))!)).toBe(toHex(blocks[0]!.hash()))
  })

  it('answers "unknown" for what it does not have, and for impossible block numbers', async () => {
    const { chain } = await openTestChain()
    const store = new ChainStore(await openMemoryDb(), chain.common)
    expect(await store.getBlockByHash(word(1))).toBeUndefined()
    expect(await store.getBlockByNumber(0n)).toBeUndefined()
    expect(await store.getCanonicalHash(-1n)).toBeUndefined()
    expect(await store.getCanonicalHash(2n ** 64n)).toBeUndefined()
    expect(await store.getNumberByHash(word(1))).toBeUndefined()
    expect(await store.getReceipts(word(1))).toBeUndefined()
    expect(await store.getTxLocation(word(1))).toBeUndefined()
    expect(await store.getMeta('nothing')).toBeUndefined()
    await store.putMeta('something', utf8.encode('x'))
    expect(plain(await store.getMeta('something'))).toEqual(plain(utf8.encode('x')))
  })

  describe('log index', () => {
    /** A store whose log index holds the given (address, topics) per block number (keys only). */
    async function indexed(entries: [bigint, Uint8Array, Uint8Array[]][]): Promise<ChainStore> {
      const { chain } = await openTestChain()
      const kv = await openMemoryDb()
      const ops: KVBatchOp[] = []
      for (const [n, address, topics] of entries) {
        ops.push({ type: 'put', key: concat(Bucket.logAddress, address, u64be(n)), value: new Uint8Array(0) })
        topics.forEach((t, pos) =>
          ops.push({ type: 'put', key: concat(Bucket.logTopic, Uint8Array.of(pos), t, u64be(n)), value: new Uint8Array(0) }),
        )
      }
      await kv.batch(ops)
      return new ChainStore(kv, chain.common)
    }

    it('lists the blocks in [from, to], inclusive and ascending, past byte boundaries of the number', async () => {
      const store = await indexed([
        [300n, addr(1), [word(5)]],
        [1n, addr(1), [word(5)]],
        [255n, addr(1), []],
        [256n, addr(2), [word(5)]],
        [7n, addr(1), [word(6)]],
      ])
      expect(await store.logBlocksByAddress(addr(1), 0n, 1000n)).toEqual([1n, 7n, 255n, 300n])
      expect(await store.logBlocksByAddress(addr(1), 7n, 255n)).toEqual([7n, 255n])
      expect(await store.logBlocksByAddress(addr(1), 8n, 254n)).toEqual([])
      expect(await store.logBlocksByAddress(addr(2), 0n, 1000n)).toEqual([256n])
      expect(await store.logBlocksByTopic(0, word(5), 0n, 1000n)).toEqual([1n, 256n, 300n])
      expect(await store.logBlocksByTopic(0, word(5), 256n, 256n)).toEqual([256n])
      expect(await store.logBlocksByTopic(1, word(5), 0n, 1000n)).toEqual([])
    })

    it('does not confuse an address with a longer key sharing its prefix', async () => {
      // 0x01.. (20 bytes) followed by a block number must not match a scan for another address
      const store = await indexed([[3n, addr(1), []]])
      const near = fromHex('0x' + '01'.repeat(19) + '00')
      expect(await store.logBlocksByAddress(near, 0n, 10n)).toEqual([])
    })
  })
})
