import { quantity } from '../../../common/index.js'
import { checkParamCount } from '../../validation.js'
import type { MethodFactory } from '../deps.js'

/** Legacy gas price: the next block's base fee plus the suggested tip. */
export const eth_gasPrice: MethodFactory = (d) => (params) => {
  checkParamCount(params, 0)
  return quantity(d.chain.nextBaseFee() + d.suggestedTip)
}
