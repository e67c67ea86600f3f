import { quantity } from '../../../common/index.js'
import { checkParamCount } from '../../validation.js'
import type { MethodFactory } from '../deps.js'

export const eth_maxPriorityFeePerGas: MethodFactory = (d) => (params) => {
  checkParamCount(params, 0)
  return quantity(d.suggestedTip)
}
