import { signMessage } from 'viem/accounts'
import { toHex } from '../../../common/index.js'
import { address, checkParamCount, data } from '../../validation.js'
import { devAccountFor, type MethodFactory } from '../deps.js'

/** personal_sign(message, address): what viem and ethers call for a JSON-RPC account's signMessage (--dev only). */
export const personal_sign: MethodFactory = (d) => async (params) => {
  checkParamCount(params, 2, 3)
  const message = data(params[0], 0)
  const addr = address(params[1], 1)
  const account = devAccountFor(d, addr)
  return signMessage({ message: { raw: message }, privateKey: toHex(account.privateKey) })
}
