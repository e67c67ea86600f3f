import { signTypedData } from 'viem/accounts'
import { errorMessage, toHex } from '../../../common/index.js'
import { invalidParams } from '../../errors.js'
import { address, checkParamCount, typedData } from '../../validation.js'
import { devAccountFor, type MethodFactory } from '../deps.js'

/** EIP-712 signature by a dev account (--dev only). */
export const eth_signTypedData_v4: MethodFactory = (d) => async (params) => {
  checkParamCount(params, 2)
  const addr = address(params[0], 0)
  const td = typedData(params[1], 1)
  const account = devAccountFor(d, addr)
  try {
    const args = {
      privateKey: toHex(account.privateKey),
      domain: td.domain,
      types: td.types,
      primaryType: td.primaryType,
      message: td.message,
    }
    return await signTypedData(args as unknown as Parameters<typeof signTypedData>[0])
  } catch (e) {
    throw invalidParams(`invalid argument 1: typed data cannot be encoded (${errorMessage(e).split('\n')[0]})`)
  }
}
