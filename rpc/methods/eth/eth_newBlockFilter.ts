import { checkParamCount } from '../../validation.js'
import type { MethodFactory } from '../deps.js'

export const eth_newBlockFilter: MethodFactory = (d) => (params) => {
  checkParamCount(params, 0)
  return d.filters.newBlockFilter()
}
