import { checkParamCount } from '../../validation.js'
import type { MethodFactory } from '../deps.js'

export const web3_clientVersion: MethodFactory = (d) => (params) => {
  checkParamCount(params, 0)
  return d.clientVersion
}
