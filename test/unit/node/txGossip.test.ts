// Transaction gossip in batches (node/txGossip.ts): what a validator publishes for the transactions its
// pool takes from RPC, and how it judges a batch from a peer.
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { RLP } from '@ethereumjs/rlp'
import { afterEach, describe, expect, it } from 'vitest'
import { decodeTxBatch, encodeTxBatch, TX_BATCH_MS, TxGossip } from '../../../node/txGossip.js'
import { ACCOUNTS, openTestChain, poolFor, signTx } from '../helpers/chain.js'

const gossips: TxGossip[] = []
afterEach(() => {
  for (const g of gossips.splice(0)) g.stop()
})

async function setup() {
  const { chain } = await openTestChain()
  const pool = poolFor(chain)
  const published: Uint8Array[] = []
  const g = new TxGossip({ publish: (b) => published.push(b), pool, common: chain.common, rebroadcasts: 2, rebroadcastMs: 3_600_000 })
  gossips.push(g)
  pool.on('added', (tx) => g.added(tx))
  return { chain, pool, g, published }
}

describe('transaction gossip batches', () => {
  it('round-trip; truncated, empty, oversized or trailing bytes are refused', () => {
    const raws = [Uint8Array.of(1, 2, 3), new Uint8Array(300).fill(7)]
    const b = encodeTxBatch(3, raws)
    expect(decodeTxBatch(b)).toEqual({ round: 3, raws })
    expect(() => decodeTxBatch(b.subarray(0, b.length - 1))).toThrow(/truncated|out of range/)
    expect(() => decodeTxBatch(Uint8Array.of(0, 0, 0))).toThrow(/0 transactions/)
    expect(() => decodeTxBatch(Uint8Array.of(0, 0, 1, 0xff, 0xff, 0xff, 0xff))).toThrow(/out of range/)
    expect(() => decodeTxBatch(Uint8Array.of(...b, 9))).toThrow(/trailing/)
  })

  it('what the pool takes from RPC goes out as one batch; what came by gossip is not published again', async () => {
    const { chain, pool, published } = await setup()
    const txs = [0n, 1n, 2n].map((nonce) => signTx(chain.common, ACCOUNTS[0]!, { nonce }))
    for (const tx of txs) await pool.add(tx)
    await new Promise((r) => setTimeout(r, TX_BATCH_MS * 3))
    expect(published).toHaveLength(1)
    expect(decodeTxBatch(published[0]!).raws.map((r) => Buffer.from(r).toString('hex'))).toEqual(
      txs.map((t) => Buffer.from(t.serialize()).toString('hex')),
    )
    // a second node takes the batch: accepted (passed on), and not published by it again
    const other = await setup()
    expect(await other.g.receive(published[0]!)).toBe(TopicValidatorResult.Accept)
    expect(other.pool.status().pending).toBe(3)
    await new Promise((r) => setTimeout(r, TX_BATCH_MS * 3))
    expect(other.published).toHaveLength(0)
    // the same batch again: nothing new for the pool, so ignored (not passed on, not the sender's fault)
    expect(await other.g.receive(published[0]!)).toBe(TopicValidatorResult.Ignore)
  })

  it('a batch with one forged or undecodable transaction is rejected whole', async () => {
    const { chain, g, pool } = await setup()
    const good = signTx(chain.common, ACCOUNTS[1]!, { nonce: 0n }).serialize()
    // a signature no key made: s = 0 (recovery fails)
    const raw = signTx(chain.common, ACCOUNTS[1]!, { nonce: 1n }).serialize()
    const fields = RLP.decode(raw.subarray(1)) as Uint8Array[]
    fields[fields.length - 1] = new Uint8Array(0)
    const forged = Uint8Array.of(raw[0]!, ...RLP.encode(fields))
    expect(await g.receive(encodeTxBatch(0, [good, forged]))).toBe(TopicValidatorResult.Reject)
    expect(await g.receive(encodeTxBatch(0, [good, Uint8Array.of(0xc0)]))).toBe(TopicValidatorResult.Reject)
    expect(await g.receive(Uint8Array.of(1, 2))).toBe(TopicValidatorResult.Reject)
    expect(pool.status().pending).toBe(0)
  })
})
