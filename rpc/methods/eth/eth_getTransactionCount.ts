import { quantity } from '../../../common/index.js'
import { address, blockTagOrLatest, checkParamCount } from '../../validation.js'
import { withAccount, type MethodFactory } from '../deps.js'

export const eth_getTransactionCount: MethodFactory = (d) => (params) => {
  checkParamCount(params, 1, 2)
  const addr = address(params[0], 0)
  const tag = blockTagOrLatest(params[1], 1)
  return withAccount(d, tag, addr, (account) => {
    const nonce = account?.nonce ?? 0n
    return quantity(tag.kind === 'tag' && tag.tag === 'pending' ? d.pool.nextNonce(addr, nonce) : nonce)
  })
}
