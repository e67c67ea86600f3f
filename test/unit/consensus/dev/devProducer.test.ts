import { afterEach, describe, expect, it, vi } from 'vitest'
import { toHex } from '../../../../common/index.js'
import type { NewHeadEvent } from '../../../../evm/index.js'
import { ACCOUNTS, GWEI, RECIPIENT, balanceOf, mine, nextHead, nextHeads, openDevNode, signTx, type DevNode } from '../../helpers/chain.js'
import { ControlledKv } from '../../helpers/kv.js'

const [A, B, C] = ACCOUNTS as [(typeof ACCOUNTS)[0], (typeof ACCOUNTS)[0], (typeof ACCOUNTS)[0]]

/** Let every pending callback run once more (I/O callbacks and timers due now included). */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('DevProducer', () => {
  const running: DevNode[] = []
  const start = async (node: DevNode): Promise<DevNode> => {
    running.push(node)
    await node.producer.start()
    return node
  }

  afterEach(async () => {
    vi.useRealTimers()
    for (const n of running.splice(0)) await n.producer.stop()
  })

  it('with blockTime 0 makes one block per transaction, each final, and empties the pool', async () => {
    const node = await start(await openDevNode({ blockTime: 0 }))
    const { chain, pool, producer } = node
    const heads = nextHeads(chain, 3)
    const txs = [signTx(chain.common, A, { nonce: 0n }), signTx(chain.common, A, { nonce: 1n }), signTx(chain.common, B, { nonce: 0n })]
    for (const tx of txs) await pool.add(tx)
    const blocks = (await heads).map((h) => h.block)
    await producer.stop() // lets the last block finish its bookkeeping

    expect(blocks.map((b) => b.header.number)).toEqual([1n, 2n, 3n])
    expect(blocks.map((b) => b.transactions.length)).toEqual([1, 1, 1])
    expect(new Set(blocks.map((b) => toHex(b.transactions[0]!.hash())))).toEqual(new Set(txs.map((t) => toHex(t.hash()))))
    expect(toHex(chain.finalized.hash())).toBe(toHex(blocks[2]!.hash()))
    expect(pool.size).toBe(0)
    expect(chain.head.header.number).toBe(3n)
  })

  it('with blockTime > 0 puts the transactions pending when a block is due into that one block', async () => {
    const node = await openDevNode({ blockTime: 50 })
    const { chain, pool, producer } = node
    const txs = [
      signTx(chain.common, A, { nonce: 0n }),
      signTx(chain.common, A, { nonce: 1n }),
      signTx(chain.common, A, { nonce: 2n }),
      signTx(chain.common, B, { nonce: 0n, maxPriorityFeePerGas: 2n * GWEI, maxFeePerGas: 3n * GWEI }),
      signTx(chain.common, C, { nonce: 0n }),
    ]
    for (const tx of txs) await pool.add(tx)
    const head = nextHead(chain)
    await start(node)
    const { block, receipts } = await head
    await producer.stop()

    expect(block.header.number).toBe(1n)
    expect(block.transactions).toHaveLength(5)
    expect(receipts.every((r) => r.status === 1)).toBe(true)
    // best tip first; A's in nonce order
    const order = block.transactions.map((t) => toHex(t.hash()))
    expect(order[0]).toBe(toHex(txs[3]!.hash()))
    const aPositions = [0, 1, 2].map((i) => order.indexOf(toHex(txs[i]!.hash())))
    expect([...aPositions].sort((x, y) => x - y)).toEqual(aPositions)
    expect(pool.size).toBe(0)
    expect(chain.head.header.number).toBe(1n)
  })

  it('with blockTime > 0 collects what arrives during the block time (fake clock)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const node = await start(await openDevNode({ blockTime: 400 }))
    const { chain, pool } = node
    const heads: NewHeadEvent[] = []
    chain.on('newHead', (e) => heads.push(e))
    await pool.add(signTx(chain.common, A, { nonce: 0n }))
    await vi.advanceTimersByTimeAsync(399)
    await pool.add(signTx(chain.common, B, { nonce: 0n }))
    await pool.add(signTx(chain.common, A, { nonce: 1n }))
    expect(heads).toHaveLength(0)
    const head = nextHead(chain)
    await vi.advanceTimersByTimeAsync(1)
    const { block } = await head
    expect(block.transactions).toHaveLength(3)
    expect(heads).toHaveLength(1)
  })

  it('commits no empty block', async () => {
    const { chain, producer } = await openDevNode({ blockTime: 0 })
    const heads: NewHeadEvent[] = []
    chain.on('newHead', (e) => heads.push(e))
    await producer.produceOnce()
    expect(heads).toHaveLength(0)
    expect(chain.head.header.number).toBe(0n)
  })

  it('drops a transaction that can no longer execute, and commits no block for it alone', async () => {
    const { chain, pool, producer } = await openDevNode({ blockTime: 0 })
    const stale = signTx(chain.common, A, { nonce: 0n, value: 1n })
    await pool.add(stale)
    // another transaction with the same nonce reaches the chain without the pool hearing of it
    await mine(chain, [signTx(chain.common, A, { nonce: 0n, value: 2n })])
    const heads: NewHeadEvent[] = []
    chain.on('newHead', (e) => heads.push(e))

    await producer.produceOnce()
    expect(heads).toHaveLength(0)
    expect(chain.head.header.number).toBe(1n)
    expect(pool.getByHash(stale.hash())).toBeUndefined()
    expect(pool.size).toBe(0)
  })

  it('keeps a transaction whose block failed to commit, and includes it in the next block', async () => {
    const kv = await ControlledKv.open()
    const node = await start(await openDevNode({ blockTime: 0, kv: kv.store }))
    const { chain, pool } = node
    kv.failNextBatch()
    const head = nextHead(chain)
    const tx = signTx(chain.common, A, { value: 123n })
    await pool.add(tx)
    const { block } = await head
    expect(block.header.number).toBe(1n)
    expect(block.transactions.map((t) => toHex(t.hash()))).toEqual([toHex(tx.hash())])
    expect(kv.batches).toBeGreaterThanOrEqual(2)
    expect(await balanceOf(chain, RECIPIENT)).toBe(123n)
  })

  it('stop() waits for a block in flight, then makes no more', async () => {
    const kv = await ControlledKv.open()
    const node = await start(await openDevNode({ blockTime: 0, kv: kv.store }))
    const { chain, pool, producer } = node
    const held = kv.holdNextBatch()
    const tx = signTx(chain.common, A, { nonce: 0n })
    await pool.add(tx)
    await held.entered // the block is being written

    let stopped = false
    const stopping = producer.stop().then(() => (stopped = true))
    for (let i = 0; i < 5; i++) await turn()
    expect(stopped).toBe(false)
    expect(chain.head.header.number).toBe(0n)

    held.release()
    await stopping
    // when stop() returns, the block is committed and the pool knows it
    expect(chain.head.header.number).toBe(1n)
    expect(pool.size).toBe(0)
    expect(pool.listenerCount('added')).toBe(0)

    // no more blocks: a new transaction stays in the pool
    await pool.add(signTx(chain.common, A, { nonce: 1n }))
    for (let i = 0; i < 5; i++) await turn()
    expect(chain.head.header.number).toBe(1n)
    expect(pool.size).toBe(1)
  })

  it('on start, produces for transactions that were already waiting', async () => {
    const node = await openDevNode({ blockTime: 0 })
    await node.pool.add(signTx(node.chain.common, A))
    const head = nextHead(node.chain)
    await start(node)
    expect((await head).block.transactions).toHaveLength(1)
  })
})
