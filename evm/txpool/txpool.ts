import { EventEmitter } from 'node:events'
import type { Common } from '@ethereumjs/common'
import { Capability, TransactionType, type TypedTransaction } from '@ethereumjs/tx'
import { ParsError, fromHex, toHex, type Logger } from '../../common/index.js'

export type TxPoolErrorReason =
  | 'ALREADY_KNOWN'
  | 'INVALID_SENDER'
  | 'WRONG_CHAIN'
  | 'NOT_REPLAY_PROTECTED'
  | 'NONCE_TOO_LOW'
  | 'NONCE_TOO_HIGH'
  | 'INSUFFICIENT_FUNDS'
  | 'INTRINSIC_GAS'
  | 'GAS_LIMIT'
  | 'FEE_TOO_LOW'
  | 'TIP_ABOVE_FEE'
  | 'REPLACEMENT_UNDERPRICED'
  | 'POOL_FULL'
  | 'SENDER_FULL'
  | 'OVERSIZED'
  | 'UNSUPPORTED_TYPE'
  | 'INVALID_TX'

export type TxPoolErrorType = { code: 'TX_REJECTED'; reason: TxPoolErrorReason }

function reject(reason: TxPoolErrorReason, message: string): ParsError<TxPoolErrorType> {
  return new ParsError({ code: 'TX_REJECTED', reason }, message)
}

/** What the pool needs to know about the head. */
export interface PoolState {
  getAccount(address: Uint8Array): Promise<{ nonce: bigint; balance: bigint }>
  /** base fee of the next block */
  nextBaseFee(): bigint
  blockGasLimit(): bigint
}

export interface TxPoolOptions {
  /** executable + queued transactions one sender may have */
  maxPerSender: number
  maxTotal: number
  /** how far ahead of the account nonce a transaction may be */
  maxNonceGap: number
  /** percent a replacement must raise both fee fields by */
  priceBump: number
  /** refuse legacy transactions without EIP-155 replay protection */
  requireReplayProtection: boolean
  /** largest accepted transaction, bytes */
  maxTxSize: number
}

export const defaultTxPoolOptions: TxPoolOptions = {
  maxPerSender: 64,
  maxTotal: 8192,
  maxNonceGap: 1024,
  priceBump: 10,
  requireReplayProtection: true,
  maxTxSize: 128 * 1024,
}

export interface TxPoolComponents {
  common: Common
  state: PoolState
  logger: Logger
}

interface SenderQueue {
  /** nonce -> tx */
  txs: Map<bigint, TypedTransaction>
  /** account nonce at the head */
  stateNonce: bigint
}

export interface TxPoolEvents {
  /** a transaction became known (hash); for newPendingTransactions */
  added: [tx: TypedTransaction]
}

/** EIP-7825 (Osaka): no transaction may ask for more than 2^24 gas. */
export const TX_GAS_LIMIT_CAP = 16_777_216n

function feeCap(tx: TypedTransaction): bigint {
  return 'maxFeePerGas' in tx ? (tx.maxFeePerGas as bigint) : (tx as unknown as { gasPrice: bigint }).gasPrice
}

function tipCap(tx: TypedTransaction): bigint {
  return 'maxPriorityFeePerGas' in tx ? (tx.maxPriorityFeePerGas as bigint) : (tx as unknown as { gasPrice: bigint }).gasPrice
}

function effectiveTip(tx: TypedTransaction, baseFee: bigint): bigint {
  const cap = feeCap(tx) - baseFee
  const tip = tipCap(tx)
  return tip < cap ? tip : cap
}

/**
 * The transaction pool. Transactions are checked on arrival; per sender they wait by nonce, and only
 * the run of consecutive nonces starting at the account's nonce is executable ("pending"); the rest
 * is queued until the gap closes. Blocks take pending transactions best tip first.
 */
export class TxPool extends EventEmitter<TxPoolEvents> {
  private readonly senders = new Map<string, SenderQueue>()
  private readonly byHash = new Map<string, TypedTransaction>()
  private readonly senderOf = new Map<string, string>()
  private readonly opts: TxPoolOptions

  constructor(
    private readonly c: TxPoolComponents,
    opts: Partial<TxPoolOptions> = {},
  ) {
    super()
    this.opts = { ...defaultTxPoolOptions, ...opts }
  }

  get size(): number {
    return this.byHash.size
  }

  getByHash(hash: Uint8Array | string): TypedTransaction | undefined {
    return this.byHash.get(typeof hash === 'string' ? hash.toLowerCase() : toHex(hash))
  }

  /** Check a signed transaction and add it. Throws a TX_REJECTED ParsError saying why. */
  async add(tx: TypedTransaction): Promise<Uint8Array> {
    // the signature first: an unsigned transaction (r or s zero) has no hash to look up
    let senderBytes: Uint8Array
    try {
      if (!tx.isSigned() || !tx.verifySignature()) throw new Error('bad signature')
      senderBytes = tx.getSenderAddress().bytes
    } catch {
      throw reject('INVALID_SENDER', 'invalid sender: the signature does not recover a sender')
    }
    const hash = tx.hash()
    const hashHex = toHex(hash)
    if (this.byHash.has(hashHex)) throw reject('ALREADY_KNOWN', 'already known')
    if (tx.type === TransactionType.BlobEIP4844)
      throw reject('UNSUPPORTED_TYPE', 'transaction type not supported: blob transactions (type 3) are not accepted by this node')
    const size = tx.serialize().length
    if (size > this.opts.maxTxSize) throw reject('OVERSIZED', `oversized data: transaction size ${size}, limit ${this.opts.maxTxSize}`)
    const chainId = this.c.common.chainId()
    if (tx.supports(Capability.EIP155ReplayProtection) || tx.type !== TransactionType.Legacy) {
      if (tx.common.chainId() !== chainId) throw reject('WRONG_CHAIN', `invalid chain id: have ${tx.common.chainId()}, want ${chainId}`)
    } else if (tx.type === TransactionType.Legacy) {
      const v = (tx as unknown as { v?: bigint }).v
      if (v !== undefined && v >= 35n) {
        const txChain = (v - 35n) / 2n
        if (txChain !== chainId) throw reject('WRONG_CHAIN', `invalid chain id: have ${txChain}, want ${chainId}`)
      } else if (this.opts.requireReplayProtection) {
        throw reject('NOT_REPLAY_PROTECTED', 'only replay-protected (EIP-155) transactions allowed over RPC')
      }
    }
    if (this.c.common.isActivatedEIP(7825) && tx.gasLimit > TX_GAS_LIMIT_CAP) {
      const gasCap = TX_GAS_LIMIT_CAP
      throw reject('GAS_LIMIT', `transaction gas limit too high (cap: ${gasCap}, tx: ${tx.gasLimit})`)
    }
    if (tx.gasLimit > this.c.state.blockGasLimit())
      throw reject('GAS_LIMIT', `exceeds block gas limit: gas ${tx.gasLimit}, limit ${this.c.state.blockGasLimit()}`)
    const minGas = tx.getMinimumGasLimit()
    if (tx.gasLimit < minGas) throw reject('INTRINSIC_GAS', `intrinsic gas too low: gas ${tx.gasLimit}, minimum needed ${minGas}`)
    // after the intrinsic-gas check: getValidationErrors() reports a short gas limit too, in EthereumJS's words
    const errors = tx.getValidationErrors()
    if (errors.length > 0) throw reject('INVALID_TX', `invalid transaction: ${errors.join('; ')}`)
    if (tipCap(tx) > feeCap(tx)) {
      throw reject(
        'TIP_ABOVE_FEE',
        `max priority fee per gas higher than max fee per gas: maxPriorityFeePerGas: ${tipCap(tx)}, maxFeePerGas: ${feeCap(tx)}`,
      )
    }
    const baseFee = this.c.state.nextBaseFee()
    const sender = toHex(senderBytes)
    if (feeCap(tx) < baseFee) {
      throw reject(
        'FEE_TOO_LOW',
        `max fee per gas less than block base fee: address ${sender}, maxFeePerGas: ${feeCap(tx)}, baseFee: ${baseFee}`,
      )
    }
    const account = await this.c.state.getAccount(senderBytes)
    if (tx.nonce < account.nonce) throw reject('NONCE_TOO_LOW', `nonce too low: next nonce ${account.nonce}, tx nonce ${tx.nonce}`)
    if (tx.nonce > account.nonce + BigInt(this.opts.maxNonceGap)) {
      throw reject('NONCE_TOO_HIGH', `nonce too high: next nonce ${account.nonce}, tx nonce ${tx.nonce}`)
    }
    const queue = this.senders.get(sender) ?? { txs: new Map(), stateNonce: account.nonce }
    // a concurrent new head may already have advanced the nonce: it only ever grows
    if (account.nonce > queue.stateNonce) queue.stateNonce = account.nonce
    const existing = queue.txs.get(tx.nonce)
    if (existing !== undefined) {
      const bump = BigInt(100 + this.opts.priceBump)
      if (feeCap(tx) * 100n < feeCap(existing) * bump || tipCap(tx) * 100n < tipCap(existing) * bump) {
        throw reject('REPLACEMENT_UNDERPRICED', 'replacement transaction underpriced')
      }
    } else {
      if (queue.txs.size >= this.opts.maxPerSender)
        throw reject('SENDER_FULL', `account limit exceeded: ${sender} has ${queue.txs.size} transactions in the pool`)
      if (this.byHash.size >= this.opts.maxTotal) throw reject('POOL_FULL', 'txpool is full')
    }
    // The sender must afford this transaction together with its earlier pending ones.
    let spend = tx.gasLimit * feeCap(tx) + tx.value
    for (const [n, other] of queue.txs) if (n < tx.nonce) spend += other.gasLimit * feeCap(other) + other.value
    if (spend > account.balance) {
      throw reject(
        'INSUFFICIENT_FUNDS',
        `insufficient funds for gas * price + value: address ${sender} have ${account.balance} want ${spend}`,
      )
    }
    if (existing !== undefined) this.removeHash(toHex(existing.hash()))
    queue.txs.set(tx.nonce, tx)
    this.senders.set(sender, queue)
    this.byHash.set(hashHex, tx)
    this.senderOf.set(hashHex, sender)
    this.emit('added', tx)
    return hash
  }

  private removeHash(hashHex: string): void {
    const tx = this.byHash.get(hashHex)
    if (tx === undefined) return
    const sender = this.senderOf.get(hashHex)!
    this.byHash.delete(hashHex)
    this.senderOf.delete(hashHex)
    const q = this.senders.get(sender)
    if (q !== undefined && q.txs.get(tx.nonce) === tx) {
      q.txs.delete(tx.nonce)
      if (q.txs.size === 0) this.senders.delete(sender)
    }
  }

  /** Forget a transaction (it failed in a block for good). */
  drop(tx: TypedTransaction): void {
    this.removeHash(toHex(tx.hash()))
  }

  /**
   * A new head: drop what it included and every transaction whose nonce is now used, and re-read the
   * senders' nonces so queued transactions whose gap closed become pending.
   */
  async onNewHead(included: readonly TypedTransaction[]): Promise<void> {
    const touched = new Set<string>()
    for (const tx of included) {
      const h = toHex(tx.hash())
      const s = this.senderOf.get(h)
      this.removeHash(h)
      if (s !== undefined) touched.add(s)
      else touched.add(toHex(tx.getSenderAddress().bytes))
    }
    for (const sender of touched) {
      const q = this.senders.get(sender)
      if (q === undefined) continue
      const account = await this.c.state.getAccount(fromHex(sender))
      if (account.nonce > q.stateNonce) q.stateNonce = account.nonce
      for (const [n, tx] of [...q.txs]) if (n < account.nonce) this.removeHash(toHex(tx.hash()))
    }
  }

  /** The executable transactions of one sender, in nonce order. */
  private executable(q: SenderQueue): TypedTransaction[] {
    const out: TypedTransaction[] = []
    for (let n = q.stateNonce; ; n++) {
      const tx = q.txs.get(n)
      if (tx === undefined) break
      out.push(tx)
    }
    return out
  }

  /** Whether the transaction is in its sender's executable run (it can go into the next block). */
  isPending(hash: Uint8Array): boolean {
    const hex = toHex(hash)
    const tx = this.byHash.get(hex)
    const q = tx === undefined ? undefined : this.senders.get(this.senderOf.get(hex)!)
    if (tx === undefined || q === undefined) return false
    for (let n = q.stateNonce; n <= tx.nonce; n++) if (!q.txs.has(n)) return false
    return true
  }

  /** Next nonce of a sender counting its pending transactions, if the pool knows the sender. */
  pendingNonce(sender: Uint8Array): bigint | undefined {
    const q = this.senders.get(toHex(sender))
    if (q === undefined) return undefined
    return q.stateNonce + BigInt(this.executable(q).length)
  }

  /** The nonce a sender's next transaction takes: after its pending ones, never below `stateNonce`. */
  nextNonce(sender: Uint8Array, stateNonce: bigint): bigint {
    const pending = this.pendingNonce(sender)
    return pending !== undefined && pending > stateNonce ? pending : stateNonce
  }

  /**
   * Pending transactions in block order: repeatedly the best effective tip among the senders' next
   * transactions. `skip(tx)` removes the rest of that sender's run (a failed or deferred tx blocks
   * its successors).
   */
  candidates(baseFee: bigint): { txs: Iterable<TypedTransaction>; skip(tx: TypedTransaction): void } {
    const runs = new Map<string, TypedTransaction[]>()
    for (const [sender, q] of this.senders) {
      // the run stops at the first transaction the base fee prices out: its successors cannot go first
      const exec = this.executable(q)
      const priced = exec.findIndex((tx) => feeCap(tx) < baseFee)
      const run = priced === -1 ? exec : exec.slice(0, priced)
      if (run.length > 0) runs.set(sender, run)
    }
    const skipped = new Set<string>()
    const txs = {
      *[Symbol.iterator](): Iterator<TypedTransaction> {
        for (;;) {
          let best: string | undefined
          let bestTip = -1n
          for (const [sender, run] of runs) {
            if (skipped.has(sender)) continue
            const tip = effectiveTip(run[0]!, baseFee)
            if (tip > bestTip) {
              bestTip = tip
              best = sender
            }
          }
          if (best === undefined) return
          const run = runs.get(best)!
          const tx = run.shift()!
          if (run.length === 0) runs.delete(best)
          yield tx
        }
      },
    }
    return {
      txs,
      skip: (tx) => {
        const s = this.senderOf.get(toHex(tx.hash()))
        if (s !== undefined) skipped.add(s)
      },
    }
  }

  hasPending(): boolean {
    for (const q of this.senders.values()) if (q.txs.has(q.stateNonce)) return true
    return false
  }

  /** txpool_content: pending and queued, by sender and nonce. */
  content(): { pending: Map<string, TypedTransaction[]>; queued: Map<string, TypedTransaction[]> } {
    const pending = new Map<string, TypedTransaction[]>()
    const queued = new Map<string, TypedTransaction[]>()
    for (const [sender, q] of this.senders) {
      const exec = this.executable(q)
      const execSet = new Set(exec)
      const rest = [...q.txs.values()].filter((t) => !execSet.has(t)).sort((a, b) => (a.nonce < b.nonce ? -1 : 1))
      if (exec.length > 0) pending.set(sender, exec)
      if (rest.length > 0) queued.set(sender, rest)
    }
    return { pending, queued }
  }

  status(): { pending: number; queued: number } {
    let pending = 0
    for (const q of this.senders.values()) pending += this.executable(q).length
    return { pending, queued: this.byHash.size - pending }
  }

  /** All transactions, for the pending block. */
  allPending(baseFee: bigint): TypedTransaction[] {
    return [...this.candidates(baseFee).txs]
  }
}
