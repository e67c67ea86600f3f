import { blockTag, bool, checkParamCount } from '../../validation.js'
import { formatBlock } from '../../format.js'
import { findBlock, type MethodFactory } from '../deps.js'

export const eth_getBlockByNumber: MethodFactory = (d) => async (params) => {
  checkParamCount(params, 2)
  const tag = blockTag(params[0], 0)
  const full = bool(params[1], 1)
  const block = await findBlock(d, tag)
  return block === undefined ? null : formatBlock(block, full)
}
