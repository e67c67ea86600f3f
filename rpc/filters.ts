import { randomBytes } from 'node:crypto'
import type { TypedTransaction } from '@ethereumjs/tx'
import { quantity, toHex, type Logger, type Startable } from '../common/index.js'
import { bytesToBigInt } from '@ethereumjs/util'
import { locateLogs, matchesLog, type Chain, type LogFilter, type NewHeadEvent, type TxPool } from '../evm/index.js'
import { RpcError } from './errors.js'
import { formatHeader, formatLog, formatTransaction, type Json } from './format.js'
import type { RpcConnection } from './types.js'

export interface LogFilterSpec extends LogFilter {
  /** only blocks numbered within [fromBlock, toBlock]; undefined = open */
  fromBlock?: bigint
  toBlock?: bigint
}

type PollFilter =
  | { kind: 'logs'; spec: LogFilterSpec; buffer: Json[]; lastPoll: number }
  | { kind: 'blocks'; buffer: Json[]; lastPoll: number }
  | { kind: 'pending'; buffer: Json[]; lastPoll: number }

export type SubscriptionSpec = { kind: 'newHeads' } | { kind: 'logs'; spec: LogFilter } | { kind: 'newPendingTransactions'; full: boolean }

type Subscription = SubscriptionSpec & { conn: RpcConnection }

export interface FiltersOptions {
  /** a polling filter not polled for this long is removed (geth: 5 minutes) */
  timeoutMs: number
  maxFilters: number
  /** changes kept per filter between polls */
  maxBuffer: number
  maxSubscriptionsPerConnection: number
}

export const defaultFiltersOptions: FiltersOptions = {
  timeoutMs: 5 * 60_000,
  maxFilters: 10_000,
  maxBuffer: 10_000,
  maxSubscriptionsPerConnection: 1_000,
}

export interface FiltersComponents {
  chain: Chain
  pool: TxPool
  logger: Logger
}

/** A random 128-bit id written as a quantity (no leading zeros), as geth writes them. */
function newId(): string {
  return quantity(bytesToBigInt(randomBytes(16)))
}

/** Polling filters (eth_newFilter ...) and WebSocket subscriptions (eth_subscribe). */
export class Filters implements Startable {
  private readonly polls = new Map<string, PollFilter>()
  private readonly subs = new Map<string, Subscription>()
  private readonly perConn = new Map<number, Set<string>>()
  private readonly opts: FiltersOptions
  private sweeper: NodeJS.Timeout | undefined
  private readonly onHead = (e: NewHeadEvent): void => this.handleHead(e)
  private readonly onTx = (tx: TypedTransaction): void => this.handleTx(tx)

  constructor(
    private readonly c: FiltersComponents,
    opts: Partial<FiltersOptions> = {},
  ) {
    this.opts = { ...defaultFiltersOptions, ...opts }
  }

  async start(): Promise<void> {
    this.c.chain.on('newHead', this.onHead)
    this.c.pool.on('added', this.onTx)
    this.sweeper = setInterval(() => this.sweep(), Math.min(this.opts.timeoutMs, 60_000))
    this.sweeper.unref()
  }

  async stop(): Promise<void> {
    this.c.chain.off('newHead', this.onHead)
    this.c.pool.off('added', this.onTx)
    if (this.sweeper !== undefined) clearInterval(this.sweeper)
    this.polls.clear()
    this.subs.clear()
  }

  private sweep(now = Date.now()): void {
    for (const [id, f] of this.polls) if (now - f.lastPoll > this.opts.timeoutMs) this.polls.delete(id)
  }

  private install(f: PollFilter): string {
    if (this.polls.size >= this.opts.maxFilters)
      throw new RpcError('LIMIT_EXCEEDED', `too many filters installed (${this.opts.maxFilters})`)
    const id = newId()
    this.polls.set(id, f)
    return id
  }

  newLogFilter(spec: LogFilterSpec): string {
    return this.install({ kind: 'logs', spec, buffer: [], lastPoll: Date.now() })
  }
  newBlockFilter(): string {
    return this.install({ kind: 'blocks', buffer: [], lastPoll: Date.now() })
  }
  newPendingTransactionFilter(): string {
    return this.install({ kind: 'pending', buffer: [], lastPoll: Date.now() })
  }

  private get(id: string): PollFilter {
    const f = this.polls.get(id.toLowerCase())
    if (f === undefined) throw new RpcError('SERVER_ERROR', 'filter not found')
    return f
  }

  /** What happened since the last poll. */
  changes(id: string): Json[] {
    const f = this.get(id)
    f.lastPoll = Date.now()
    const out = f.buffer
    f.buffer = []
    return out
  }

  /** The log filter's spec, for eth_getFilterLogs. */
  logFilterSpec(id: string): LogFilterSpec {
    const f = this.get(id)
    if (f.kind !== 'logs') throw new RpcError('SERVER_ERROR', 'filter not found')
    f.lastPoll = Date.now()
    return f.spec
  }

  uninstall(id: string): boolean {
    return this.polls.delete(id.toLowerCase())
  }

  subscribe(conn: RpcConnection, sub: SubscriptionSpec): string {
    let ids = this.perConn.get(conn.id)
    if (ids === undefined) {
      ids = new Set()
      this.perConn.set(conn.id, ids)
      conn.onClose(() => {
        for (const id of this.perConn.get(conn.id) ?? []) this.subs.delete(id)
        this.perConn.delete(conn.id)
      })
    }
    if (ids.size >= this.opts.maxSubscriptionsPerConnection)
      throw new RpcError('LIMIT_EXCEEDED', 'too many subscriptions on this connection')
    const id = newId()
    this.subs.set(id, { ...sub, conn })
    ids.add(id)
    return id
  }

  unsubscribe(conn: RpcConnection, id: string): boolean {
    const s = this.subs.get(id.toLowerCase())
    if (s === undefined || s.conn.id !== conn.id) return false
    this.subs.delete(id.toLowerCase())
    this.perConn.get(conn.id)?.delete(id.toLowerCase())
    return true
  }

  private push(f: PollFilter, items: Json[]): void {
    f.buffer.push(...items)
    if (f.buffer.length > this.opts.maxBuffer) f.buffer.splice(0, f.buffer.length - this.opts.maxBuffer)
  }

  private notify(id: string, s: Subscription, result: Json): void {
    s.conn.notify({ jsonrpc: '2.0', method: 'eth_subscription', params: { subscription: id, result } })
  }

  private handleHead({ block, receipts }: NewHeadEvent): void {
    try {
      const n = block.header.number
      const hash = toHex(block.hash())
      const logs = locateLogs(block, receipts)
      for (const f of this.polls.values()) {
        if (f.kind === 'blocks') this.push(f, [hash])
        else if (f.kind === 'logs') {
          if (f.spec.fromBlock !== undefined && n < f.spec.fromBlock) continue
          if (f.spec.toBlock !== undefined && n > f.spec.toBlock) continue
          this.push(f, logs.filter((l) => matchesLog(l, f.spec)).map(formatLog))
        }
      }
      let header: Json | undefined
      for (const [id, s] of this.subs) {
        if (s.kind === 'newHeads') this.notify(id, s, (header ??= formatHeader(block)))
        else if (s.kind === 'logs') for (const l of logs) if (matchesLog(l, s.spec)) this.notify(id, s, formatLog(l))
      }
    } catch (e) {
      this.c.logger.error('filter update failed', { error: e instanceof Error ? e.message : String(e) })
    }
  }

  private handleTx(tx: TypedTransaction): void {
    let hash: string | undefined
    let full: Json | undefined
    for (const f of this.polls.values()) if (f.kind === 'pending') this.push(f, [(hash ??= toHex(tx.hash()))])
    for (const [id, s] of this.subs) {
      if (s.kind !== 'newPendingTransactions') continue
      this.notify(id, s, s.full ? (full ??= formatTransaction(tx)) : (hash ??= toHex(tx.hash())))
    }
  }
}
