import { quantity } from '../../../common/index.js'
import { checkParamCount } from '../../validation.js'
import type { MethodFactory } from '../deps.js'

export const eth_syncing: MethodFactory = (d) => (params) => {
  checkParamCount(params, 0)
  const s = d.syncing()
  if (s === false) return false
  return { startingBlock: quantity(s.startingBlock), currentBlock: quantity(s.currentBlock), highestBlock: quantity(s.highestBlock) }
}
