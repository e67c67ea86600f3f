import { checkParamCount } from '../../validation.js'
import type { MethodFactory } from '../deps.js'

export const net_listening: MethodFactory = (d) => (params) => {
  checkParamCount(params, 0)
  return d.network.listening()
}
