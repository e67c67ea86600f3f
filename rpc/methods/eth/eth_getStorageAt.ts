import { Address, setLengthLeft } from '@ethereumjs/util'
import { toHex } from '../../../common/index.js'
import { address, blockTagOrLatest, checkParamCount, quantity } from '../../validation.js'
import { requireBlock, type MethodFactory } from '../deps.js'

export const eth_getStorageAt: MethodFactory = (d) => async (params) => {
  checkParamCount(params, 2, 3)
  const addr = address(params[0], 0)
  // geth takes the slot as a quantity or as 32-byte hex; both parse as a number here
  const slot = quantity(typeof params[1] === 'string' ? params[1].replace(/^0x0+(?=[0-9a-fA-F])/, '0x') : params[1], 1)
  const block = await requireBlock(d, blockTagOrLatest(params[2], 2))
  const key = setLengthLeft(hexToBytes32(slot), 32)
  const value = await d.chain.reader(block).getStorage(new Address(addr), key)
  return toHex(setLengthLeft(value, 32))
}

function hexToBytes32(n: bigint): Uint8Array {
  const out = new Uint8Array(32)
  for (let i = 31; i >= 0 && n > 0n; i--) {
    out[i] = Number(n & 0xffn)
    n >>= 8n
  }
  return out
}
