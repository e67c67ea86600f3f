import { quantity } from '../../../common/index.js'
import { checkParamCount, hash32 } from '../../validation.js'
import type { MethodFactory } from '../deps.js'

export const eth_getBlockTransactionCountByHash: MethodFactory = (d) => async (params) => {
  checkParamCount(params, 1)
  const block = await d.chain.getBlockByHash(hash32(params[0], 0))
  return block === undefined ? null : quantity(block.transactions.length)
}
