import type { Block } from '@ethereumjs/block'
import { ParsError, equalBytes } from '../common/index.js'
import type { Chain } from './chain.js'
import type { LocatedLog, StoredLog, StoredReceipt } from './types.js'

/** A log filter: `topics[i]` null matches anything, else any of the listed topics. */
export interface LogFilter {
  addresses: Uint8Array[]
  topics: (Uint8Array[] | null)[]
}

export type LogQueryErrorType = { code: 'LOG_LIMIT_EXCEEDED' }

export function matchesLog(log: StoredLog, f: LogFilter): boolean {
  if (f.addresses.length > 0 && !f.addresses.some((a) => equalBytes(a, log.address))) return false
  // as geth: a filter naming more topic positions than the log has never matches it, wildcards or not
  // (this is what tells an ERC-721 Transfer, 4 topics, from an ERC-20 Transfer, 3)
  if (f.topics.length > log.topics.length) return false
  for (let i = 0; i < f.topics.length && i < log.topics.length; i++) {
    const want = f.topics[i]
    if (want === null || want === undefined || want.length === 0) continue
    if (!want.some((t) => equalBytes(t, log.topics[i]!))) return false
  }
  return true
}

/** The logs of a block with their positions. */
export function locateLogs(block: Block, receipts: readonly StoredReceipt[]): LocatedLog[] {
  const out: LocatedLog[] = []
  let logIndex = 0
  const blockHash = block.hash()
  receipts.forEach((r, i) => {
    const txHash = block.transactions[i]!.hash()
    for (const l of r.logs) {
      out.push({
        ...l,
        blockHash,
        blockNumber: block.header.number,
        blockTimestamp: block.header.timestamp,
        transactionHash: txHash,
        transactionIndex: i,
        logIndex: logIndex++,
        removed: false,
      })
    }
  })
  return out
}

function union(lists: bigint[][]): Set<bigint> {
  const s = new Set<bigint>()
  for (const l of lists) for (const n of l) s.add(n)
  return s
}

/**
 * Logs matching `f` in blocks [from, to], using the persisted address and topic indexes to visit only
 * blocks that can match. Throws LOG_LIMIT_EXCEEDED past `maxResults`.
 */
export async function queryLogs(chain: Chain, from: bigint, to: bigint, f: LogFilter, maxResults: number): Promise<LocatedLog[]> {
  let candidates: Set<bigint> | undefined
  const narrow = (s: Set<bigint>): void => {
    candidates = candidates === undefined ? s : new Set([...candidates].filter((n) => s.has(n)))
  }
  if (f.addresses.length > 0) {
    narrow(union(await Promise.all(f.addresses.map((a) => chain.store.logBlocksByAddress(a, from, to)))))
  }
  for (let pos = 0; pos < f.topics.length; pos++) {
    const want = f.topics[pos]
    if (want === null || want === undefined || want.length === 0) continue
    narrow(union(await Promise.all(want.map((t) => chain.store.logBlocksByTopic(pos, t, from, to)))))
  }
  const numbers: bigint[] = []
  if (candidates === undefined) {
    for (let n = from; n <= to; n++) numbers.push(n)
  } else {
    numbers.push(...[...candidates].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)))
  }
  const out: LocatedLog[] = []
  for (const n of numbers) {
    const block = await chain.getBlockByNumber(n)
    if (block === undefined) break
    if (block.header.logsBloom.every((b) => b === 0)) continue
    out.push(...(await blockLogs(chain, block, f)))
    if (out.length > maxResults) {
      throw new ParsError(
        { code: 'LOG_LIMIT_EXCEEDED' },
        `query returned more than ${maxResults} results; narrow the block range or filter`,
      )
    }
  }
  return out
}

/** The logs of one block matching `f`. */
export async function blockLogs(chain: Chain, block: Block, f: LogFilter): Promise<LocatedLog[]> {
  const receipts = (await chain.getReceipts(block)) ?? []
  return locateLogs(block, receipts).filter((l) => matchesLog(l, f))
}
