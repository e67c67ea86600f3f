import { queryLogs } from '../../../evm/index.js'
import { checkParamCount, filterOptions } from '../../validation.js'
import { formatLog } from '../../format.js'
import type { MethodFactory } from '../deps.js'
import { resolveLogRange } from '../logRange.js'

export const eth_getLogs: MethodFactory = (d) => async (params) => {
  checkParamCount(params, 1)
  const f = filterOptions(params[0], 0)
  const { from, to } = await resolveLogRange(d, f)
  if (from > to) return []
  const logs = await queryLogs(d.chain, from, to, f, d.limits.logsMaxResults)
  return logs.map(formatLog)
}
