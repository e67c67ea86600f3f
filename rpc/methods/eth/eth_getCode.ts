import { Address } from '@ethereumjs/util'
import { toHex } from '../../../common/index.js'
import { address, blockTagOrLatest, checkParamCount } from '../../validation.js'
import { requireBlock, type MethodFactory } from '../deps.js'

export const eth_getCode: MethodFactory = (d) => async (params) => {
  checkParamCount(params, 1, 2)
  const addr = address(params[0], 0)
  const block = await requireBlock(d, blockTagOrLatest(params[1], 1))
  return toHex(await d.chain.reader(block).getCode(new Address(addr)))
}
