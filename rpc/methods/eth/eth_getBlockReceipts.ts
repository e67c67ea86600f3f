import { locateLogs } from '../../../evm/index.js'
import { blockTagOrHash, checkParamCount } from '../../validation.js'
import { formatReceipt } from '../../format.js'
import { findBlock, type MethodFactory } from '../deps.js'

export const eth_getBlockReceipts: MethodFactory = (d) => async (params) => {
  checkParamCount(params, 1)
  const block = await findBlock(d, blockTagOrHash(params[0], 0))
  if (block === undefined) return null
  const receipts = await d.chain.getReceipts(block)
  if (receipts === undefined) return null
  const logs = locateLogs(block, receipts)
  return receipts.map((_r, i) => formatReceipt(block, receipts, i, logs))
}
