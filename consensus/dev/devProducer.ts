import type { TypedTransaction } from '@ethereumjs/tx'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { concat, errorMessage, fromHex, toHex, type Logger, type Startable } from '../../common/index.js'
import type { Chain, TxPool } from '../../evm/index.js'

export interface DevProducerComponents {
  chain: Chain
  pool: TxPool
  logger: Logger
}

export interface DevProducerOptions {
  /** ms between blocks while transactions are pending; 0 = one block per transaction */
  blockTime: number
  /** fee recipient of produced blocks */
  coinbase: Uint8Array
}

/**
 * The single local validator of `--dev`: makes a block when transactions are pending, at most every
 * `blockTime` ms, and marks it final at once (there is no one to disagree with).
 */
export class DevProducer implements Startable {
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined
  private running = false
  private producing: Promise<void> = Promise.resolve()
  private readonly onAdded = (): void => this.schedule()

  /** callers of waitForInclusion, by transaction hash */
  private readonly waiting = new Map<string, (() => void)[]>()

  constructor(
    private readonly c: DevProducerComponents,
    private readonly opts: DevProducerOptions,
  ) {}

  /**
   * With block time 0 (automine, as anvil and Hardhat do it), resolves once the transaction is in a
   * committed block or has been dropped, so eth_sendRawTransaction can answer after the block exists.
   * Resolves at once otherwise.
   */
  waitForInclusion(hash: Uint8Array): Promise<void> {
    if (this.opts.blockTime !== 0 || !this.running) return Promise.resolve()
    const key = toHex(hash)
    // a queued transaction (nonce gap) waits for another one: answer now, as anvil and Hardhat do
    if (!this.c.pool.isPending(hash)) return Promise.resolve()
    return new Promise((resolve) => {
      const list = this.waiting.get(key)
      if (list === undefined) this.waiting.set(key, [resolve])
      else list.push(resolve)
    })
  }

  private settle(hash: Uint8Array): void {
    const key = toHex(hash)
    const list = this.waiting.get(key)
    if (list === undefined) return
    this.waiting.delete(key)
    for (const r of list) r()
  }

  private settleAllGone(): void {
    for (const key of [...this.waiting.keys()]) {
      if (this.c.pool.getByHash(key) === undefined) this.settle(fromHex(key))
    }
  }

  get blockTime(): number {
    return this.opts.blockTime
  }

  async start(): Promise<void> {
    this.running = true
    this.c.pool.on('added', this.onAdded)
    if (this.c.pool.hasPending()) this.schedule()
  }

  async stop(): Promise<void> {
    this.running = false
    this.c.pool.off('added', this.onAdded)
    if (this.timer !== undefined) {
      clearTimeout(this.timer as NodeJS.Timeout)
      clearImmediate(this.timer as NodeJS.Immediate)
    }
    this.timer = undefined
    await this.producing
    for (const list of this.waiting.values()) for (const r of list) r()
    this.waiting.clear()
  }

  private schedule(): void {
    if (!this.running || this.timer !== undefined) return
    const fire = (): void => {
      this.timer = undefined
      this.producing = this.producing.then(() => this.produceOnce())
    }
    this.timer = this.opts.blockTime === 0 ? setImmediate(fire) : setTimeout(fire, this.opts.blockTime)
  }

  /** Make one block from the pending transactions (exported for tests and `evm_mine`-style use). */
  async produceOnce(): Promise<void> {
    const { chain, pool, logger } = this.c
    try {
      const { built, committed } = await chain.produce(
        async (parent) => {
          const baseFee = chain.nextBaseFee()
          const cands = pool.candidates(baseFee)
          // automine (block time 0): one transaction per block
          const txs: Iterable<TypedTransaction> = this.opts.blockTime === 0 ? take(cands.txs, 1) : cands.txs
          const now = BigInt(Math.floor(Date.now() / 1000))
          return chain.buildOn(parent, {
            timestamp: now > parent.header.timestamp ? now : parent.header.timestamp,
            coinbase: this.opts.coinbase,
            candidates: txs,
            onSkip: cands.skip,
            mixHash: keccak_256(concat(parent.header.mixHash, parent.hash())),
          })
        },
        { final: true },
      )
      for (const d of built.dropped) {
        logger.debug('dropping transaction', { hash: toHex(d.tx.hash()), reason: d.reason })
        pool.drop(d.tx)
        this.settle(d.tx.hash())
      }
      if (committed) {
        await pool.onNewHead(built.block.transactions)
        for (const tx of built.block.transactions) this.settle(tx.hash())
        logger.info('produced block', {
          number: built.block.header.number,
          hash: toHex(built.block.hash()),
          txs: built.block.transactions.length,
          gasUsed: built.block.header.gasUsed,
        })
      }
    } catch (e) {
      logger.error('block production failed', { error: errorMessage(e) })
    }
    // anything the pool let go of (replaced, evicted) has nothing left to wait for
    if (this.waiting.size > 0) this.settleAllGone()
    if (pool.hasPending()) this.schedule()
  }
}

function* take<T>(it: Iterable<T>, n: number): Iterable<T> {
  if (n <= 0) return
  let i = 0
  for (const x of it) {
    yield x
    if (++i >= n) return
  }
}
