import { blockTag, checkParamCount, quantityAsNumber } from '../../validation.js'
import { formatTransaction } from '../../format.js'
import { findBlock, type MethodFactory } from '../deps.js'

export const eth_getTransactionByBlockNumberAndIndex: MethodFactory = (d) => async (params) => {
  checkParamCount(params, 2)
  const block = await findBlock(d, blockTag(params[0], 0))
  const index = quantityAsNumber(params[1], 1)
  const tx = block?.transactions[index]
  return block === undefined || tx === undefined ? null : formatTransaction(tx, { block, index })
}
