import { Address } from '@ethereumjs/util'
import { quantity } from '../../../common/index.js'
import { address, blockTagOrHash, checkParamCount } from '../../validation.js'
import { requireBlock, type MethodFactory } from '../deps.js'

export const eth_getTransactionCount: MethodFactory = (d) => async (params) => {
  checkParamCount(params, 1, 2)
  const addr = address(params[0], 0)
  const tag = params[1] === undefined ? ({ kind: 'tag', tag: 'latest' } as const) : blockTagOrHash(params[1], 1)
  const block = await requireBlock(d, tag)
  const account = await d.chain.reader(block).getAccount(new Address(addr))
  const nonce = account?.nonce ?? 0n
  return quantity(tag.kind === 'tag' && tag.tag === 'pending' ? d.pool.nextNonce(addr, nonce) : nonce)
}
