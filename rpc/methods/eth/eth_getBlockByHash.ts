import { bool, checkParamCount, hash32 } from '../../validation.js'
import { formatBlock } from '../../format.js'
import type { MethodFactory } from '../deps.js'

export const eth_getBlockByHash: MethodFactory = (d) => async (params) => {
  checkParamCount(params, 2)
  const hash = hash32(params[0], 0)
  const full = bool(params[1], 1)
  const block = await d.chain.getBlockByHash(hash)
  return block === undefined ? null : formatBlock(block, full)
}
