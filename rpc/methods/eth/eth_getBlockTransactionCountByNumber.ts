import { quantity } from '../../../common/index.js'
import { blockTag, checkParamCount } from '../../validation.js'
import { findBlock, type MethodFactory } from '../deps.js'

export const eth_getBlockTransactionCountByNumber: MethodFactory = (d) => async (params) => {
  checkParamCount(params, 1)
  const block = await findBlock(d, blockTag(params[0], 0))
  return block === undefined ? null : quantity(block.transactions.length)
}
