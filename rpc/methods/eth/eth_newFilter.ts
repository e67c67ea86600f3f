import { checkParamCount, filterOptions } from '../../validation.js'
import { findBlock, type MethodFactory } from '../deps.js'
import { filterSpec } from '../logRange.js'

export const eth_newFilter: MethodFactory = (d) => async (params) => {
  checkParamCount(params, 1)
  const f = filterOptions(params[0], 0)
  const bound = async (t: typeof f.fromBlock): Promise<bigint | undefined> => {
    if (t === undefined) return undefined
    if (t.kind === 'number') return t.number
    if (t.tag === 'latest' || t.tag === 'pending') return undefined
    return (await findBlock(d, t))?.header.number
  }
  return d.filters.newLogFilter(filterSpec(f, { from: await bound(f.fromBlock), to: await bound(f.toBlock) }))
}
