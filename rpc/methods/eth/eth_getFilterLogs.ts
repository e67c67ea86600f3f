import { queryLogs } from '../../../evm/index.js'
import { RpcError } from '../../errors.js'
import { formatLog } from '../../format.js'
import { checkParamCount } from '../../validation.js'
import type { MethodFactory } from '../deps.js'
import { filterId } from '../filterId.js'

export const eth_getFilterLogs: MethodFactory = (d) => async (params) => {
  checkParamCount(params, 1)
  const spec = d.filters.logFilterSpec(filterId(params[0], 0))
  const head = d.chain.head.header.number
  const from = spec.fromBlock ?? head
  const to = spec.toBlock === undefined || spec.toBlock > head ? head : spec.toBlock
  if (from > to) return []
  if (to - from + 1n > d.limits.logsMaxRange)
    throw new RpcError('LIMIT_EXCEEDED', `block range too wide: ${to - from + 1n} blocks, at most ${d.limits.logsMaxRange}`)
  return (await queryLogs(d.chain, from, to, spec, d.limits.logsMaxResults)).map(formatLog)
}
