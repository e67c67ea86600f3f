import { keccak_256 } from '@noble/hashes/sha3.js'
import { toHex } from '../../../common/index.js'
import { checkParamCount, data } from '../../validation.js'
import type { MethodFactory } from '../deps.js'

export const web3_sha3: MethodFactory = () => (params) => {
  checkParamCount(params, 1)
  return toHex(keccak_256(data(params[0], 0)))
}
