import { quantity } from '../../../common/index.js'
import { checkParamCount } from '../../validation.js'
import type { MethodFactory } from '../deps.js'

export const net_peerCount: MethodFactory = (d) => (params) => {
  checkParamCount(params, 0)
  return quantity(d.network.peerCount())
}
