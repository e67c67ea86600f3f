import { quantity } from '../../../common/index.js'
import { address, blockTagOrHash, checkParamCount } from '../../validation.js'
import { withAccount, type MethodFactory } from '../deps.js'

const LATEST = { kind: 'tag', tag: 'latest' } as const

export const eth_getTransactionCount: MethodFactory = (d) => (params) => {
  checkParamCount(params, 1, 2)
  const addr = address(params[0], 0)
  const tag = params[1] === undefined ? LATEST : blockTagOrHash(params[1], 1)
  return withAccount(d, tag, addr, (account) => {
    const nonce = account?.nonce ?? 0n
    return quantity(tag.kind === 'tag' && tag.tag === 'pending' ? d.pool.nextNonce(addr, nonce) : nonce)
  })
}
