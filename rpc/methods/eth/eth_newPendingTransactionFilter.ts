import { checkParamCount } from '../../validation.js'
import type { MethodFactory } from '../deps.js'

export const eth_newPendingTransactionFilter: MethodFactory = (d) => (params) => {
  checkParamCount(params, 0, 1)
  return d.filters.newPendingTransactionFilter()
}
