import { checkParamCount } from '../../validation.js'
import type { MethodFactory } from '../deps.js'
import { filterId } from '../filterId.js'

export const eth_uninstallFilter: MethodFactory = (d) => (params) => {
  checkParamCount(params, 1)
  return d.filters.uninstall(filterId(params[0], 0))
}
