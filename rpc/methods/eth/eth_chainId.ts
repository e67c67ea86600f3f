import { quantity } from '../../../common/index.js'
import { checkParamCount } from '../../validation.js'
import type { MethodFactory } from '../deps.js'

export const eth_chainId: MethodFactory = (d) => {
  const id = quantity(d.chain.chainId)
  return (params) => {
    checkParamCount(params, 0)
    return id
  }
}
