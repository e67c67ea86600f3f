import { checkParamCount, hash32, quantityAsNumber } from '../../validation.js'
import { formatTransaction } from '../../format.js'
import type { MethodFactory } from '../deps.js'

export const eth_getTransactionByBlockHashAndIndex: MethodFactory = (d) => async (params) => {
  checkParamCount(params, 2)
  const block = await d.chain.getBlockByHash(hash32(params[0], 0))
  const index = quantityAsNumber(params[1], 1)
  const tx = block?.transactions[index]
  return block === undefined || tx === undefined ? null : formatTransaction(tx, { block, index })
}
