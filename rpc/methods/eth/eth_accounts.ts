import { toHex } from '../../../common/index.js'
import { checkParamCount } from '../../validation.js'
import type { MethodFactory } from '../deps.js'

export const eth_accounts: MethodFactory = (d) => (params) => {
  checkParamCount(params, 0)
  return (d.devAccounts ?? []).map((a) => toHex(a.address))
}
