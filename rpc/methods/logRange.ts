import type { Block } from '@ethereumjs/block'
import type { LogFilterSpec } from '../filters.js'
import { RpcError } from '../errors.js'
import type { FilterOptions } from '../validation.js'
import { findBlock, type RpcDeps } from './deps.js'

/** The block range of a log query: [from, to], capped, or one block by hash. */
export async function resolveLogRange(d: RpcDeps, f: FilterOptions): Promise<{ from: bigint; to: bigint; block?: Block }> {
  if (f.blockHash !== undefined) {
    const block = await d.chain.getBlockByHash(f.blockHash)
    if (block === undefined) throw new RpcError('SERVER_ERROR', 'unknown block')
    return { from: block.header.number, to: block.header.number, block }
  }
  const head = d.chain.head.header.number
  const from =
    f.fromBlock === undefined
      ? head
      : ((await findBlock(d, f.fromBlock))?.header.number ?? (f.fromBlock.kind === 'number' ? f.fromBlock.number : head))
  let to =
    f.toBlock === undefined
      ? head
      : ((await findBlock(d, f.toBlock))?.header.number ?? (f.toBlock.kind === 'number' ? f.toBlock.number : head))
  if (to > head) to = head
  if (from > to && !(f.fromBlock?.kind === 'number' && f.fromBlock.number > head))
    throw new RpcError('INVALID_PARAMS', 'invalid block range params: fromBlock is after toBlock')
  if (to - from + 1n > d.limits.logsMaxRange) {
    throw new RpcError('LIMIT_EXCEEDED', `block range too wide: ${to - from + 1n} blocks, at most ${d.limits.logsMaxRange}`)
  }
  return { from, to }
}

/** The filter spec eth_newFilter installs: numeric bounds only where the caller gave numbers. */
export function filterSpec(f: FilterOptions, range: { from?: bigint; to?: bigint }): LogFilterSpec {
  const spec: LogFilterSpec = { addresses: f.addresses, topics: f.topics }
  if (range.from !== undefined) spec.fromBlock = range.from
  if (range.to !== undefined) spec.toBlock = range.to
  return spec
}
