import { checkParamCount, hash32 } from '../../validation.js'
import { formatTransaction } from '../../format.js'
import type { MethodFactory } from '../deps.js'

export const eth_getTransactionByHash: MethodFactory = (d) => async (params) => {
  checkParamCount(params, 1)
  const hash = hash32(params[0], 0)
  const found = await d.chain.getTransaction(hash)
  if (found !== undefined) return formatTransaction(found.tx, { block: found.block, index: found.index })
  const pending = d.pool.getByHash(hash)
  return pending === undefined ? null : formatTransaction(pending)
}
