import { createTxFromRLP, type TypedTransaction } from '@ethereumjs/tx'
import type { Common } from '@ethereumjs/common'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { ParsError, toHex } from '../common/index.js'
import type { TxPool } from '../evm/index.js'

/**
 * Transactions between validators, over the gossip topic `/pars/<chain>/txs/1`, in batches:
 *
 *   message = round (u8) ‖ count (u16) ‖ (length (u32) ‖ raw transaction) × count
 *
 * What the pool takes from RPC is gathered for TX_BATCH_MS and published as one message (one gossip
 * message, one frame per peer, one signature check of the message id, instead of one per transaction:
 * under load that overhead, not the transactions, was most of a validator's gossip cost). A receiver
 * checks every signature first: a batch with a forged or undecodable transaction is rejected whole,
 * and its sender scored down; a batch the pool takes nothing from (all known, stale, unaffordable
 * here) is ignored, not passed on, and costs the sender nothing. Transactions still pending are
 * gossiped again a few times (a peer that joined the topic late, or a mesh still forming at start,
 * would miss them); the round byte keeps a repeat from being the same message as the first.
 */
export const TX_BATCH_MS = 20
const MAX_BATCH_TXS = 256
const MAX_BATCH_BYTES = 512 * 1024
/** a transaction in the pool is at most 128 KiB */
const MAX_TX_BYTES = 128 * 1024

export function encodeTxBatch(round: number, raws: readonly Uint8Array[]): Uint8Array {
  let size = 3
  for (const r of raws) size += 4 + r.length
  const out = new Uint8Array(size)
  const view = new DataView(out.buffer)
  out[0] = round & 0xff
  view.setUint16(1, raws.length)
  let at = 3
  for (const r of raws) {
    view.setUint32(at, r.length)
    out.set(r, at + 4)
    at += 4 + r.length
  }
  return out
}

export function decodeTxBatch(bytes: Uint8Array): { round: number; raws: Uint8Array[] } {
  const bad = (why: string): ParsError => new ParsError({ code: 'MALFORMED_GOSSIP' }, `transaction batch: ${why}`)
  if (bytes.length < 3) throw bad('too short')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const count = view.getUint16(1)
  if (count === 0 || count > MAX_BATCH_TXS) throw bad(`${count} transactions`)
  const raws: Uint8Array[] = []
  let at = 3
  for (let i = 0; i < count; i++) {
    if (at + 4 > bytes.length) throw bad('truncated')
    const n = view.getUint32(at)
    if (n === 0 || n > MAX_TX_BYTES || at + 4 + n > bytes.length) throw bad('a transaction length out of range')
    raws.push(bytes.subarray(at + 4, at + 4 + n))
    at += 4 + n
  }
  if (at !== bytes.length) throw bad('trailing bytes')
  return { round: bytes[0]!, raws }
}

export interface TxGossipComponents {
  publish: (bytes: Uint8Array) => void
  pool: TxPool
  common: Common
  /** how many times a pending transaction is gossiped again, and how often (ms) */
  rebroadcasts: number
  rebroadcastMs: number
}

export class TxGossip {
  /** transactions from RPC waiting for the next batch */
  private outbox: TypedTransaction[] = []
  private flushTimer: NodeJS.Timeout | undefined
  private rebroadcastTimer: NodeJS.Timeout | undefined
  private readonly rebroadcast = new Map<string, { tx: TypedTransaction; round: number }>()
  /** hashes of transactions being added from gossip (the pool's 'added' does not publish them again) */
  private readonly fromGossip = new Set<string>()

  constructor(private readonly c: TxGossipComponents) {}

  start(): void {
    this.rebroadcastTimer = setInterval(() => this.repeat(), this.c.rebroadcastMs)
    this.rebroadcastTimer.unref()
  }

  stop(): void {
    clearInterval(this.rebroadcastTimer)
    clearTimeout(this.flushTimer)
    this.flushTimer = undefined
  }

  /** The pool took a transaction: publish it with the next batch unless it came by gossip. */
  added(tx: TypedTransaction): void {
    const key = toHex(tx.hash())
    if (this.fromGossip.delete(key)) return // gossip forwards what came by gossip
    this.rebroadcast.set(key, { tx, round: 0 })
    this.outbox.push(tx)
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined
      const txs = this.outbox
      this.outbox = []
      this.publish(0, txs)
    }, TX_BATCH_MS)
  }

  private publish(round: number, txs: readonly TypedTransaction[]): void {
    let batch: Uint8Array[] = []
    let size = 0
    for (const tx of txs) {
      const raw = tx.serialize()
      if (batch.length > 0 && (batch.length === MAX_BATCH_TXS || size + raw.length > MAX_BATCH_BYTES)) {
        this.c.publish(encodeTxBatch(round, batch))
        batch = []
        size = 0
      }
      batch.push(raw)
      size += raw.length + 4
    }
    if (batch.length > 0) this.c.publish(encodeTxBatch(round, batch))
  }

  private repeat(): void {
    const byRound = new Map<number, TypedTransaction[]>()
    for (const [key, r] of this.rebroadcast) {
      if (!this.c.pool.isPending(r.tx.hash()) || r.round >= this.c.rebroadcasts) {
        this.rebroadcast.delete(key)
        continue
      }
      r.round++
      const txs = byRound.get(r.round)
      if (txs === undefined) byRound.set(r.round, [r.tx])
      else txs.push(r.tx)
    }
    for (const [round, txs] of byRound) this.publish(round, txs)
  }

  /** A batch from a peer: every signature checked, then what the pool takes decides whether it is passed on. */
  async receive(bytes: Uint8Array): Promise<TopicValidatorResult> {
    const txs: TypedTransaction[] = []
    try {
      for (const raw of decodeTxBatch(bytes).raws) {
        const tx = createTxFromRLP(raw, { common: this.c.common })
        if (!tx.isSigned() || !tx.verifySignature()) return TopicValidatorResult.Reject
        txs.push(tx)
      }
    } catch {
      return TopicValidatorResult.Reject
    }
    // known, stale or unaffordable here is not the sender's fault (ignore, do not penalize)
    const taken = await Promise.all(
      txs.map((tx) => {
        const key = toHex(tx.hash())
        this.fromGossip.add(key)
        return this.c.pool.add(tx).then(
          () => true,
          () => {
            this.fromGossip.delete(key)
            return false
          },
        )
      }),
    )
    return taken.some(Boolean) ? TopicValidatorResult.Accept : TopicValidatorResult.Ignore
  }
}
