import { checkParamCount } from '../../validation.js'
import type { MethodFactory } from '../deps.js'

export const net_version: MethodFactory = (d) => (params) => {
  checkParamCount(params, 0)
  return d.chain.chainId.toString()
}
