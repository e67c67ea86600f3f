import { checkParamCount, hash32 } from '../../validation.js'
import { formatReceipt } from '../../format.js'
import type { MethodFactory } from '../deps.js'

export const eth_getTransactionReceipt: MethodFactory = (d) => async (params) => {
  checkParamCount(params, 1)
  const found = await d.chain.getTransaction(hash32(params[0], 0))
  if (found === undefined) return null
  const receipts = await d.chain.getReceipts(found.block)
  return receipts === undefined ? null : formatReceipt(found.block, receipts, found.index)
}
