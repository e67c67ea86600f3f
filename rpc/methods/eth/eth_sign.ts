import { signMessage } from 'viem/accounts'
import { toHex } from '../../../common/index.js'
import { address, checkParamCount, data } from '../../validation.js'
import { devAccountFor, type MethodFactory } from '../deps.js'

/** EIP-191 personal-message signature by a dev account (--dev only). */
export const eth_sign: MethodFactory = (d) => async (params) => {
  checkParamCount(params, 2)
  const addr = address(params[0], 0)
  const message = data(params[1], 1)
  const account = devAccountFor(d, addr)
  return signMessage({ message: { raw: message }, privateKey: toHex(account.privateKey) })
}
