import { quantity } from '../../../common/index.js'
import { estimateGas } from '../../../evm/index.js'
import { blockTagOrHash, checkParamCount, stateOverride, transactionRequest } from '../../validation.js'
import { toCallRequest } from '../callRequest.js'
import { requireBlock, type MethodFactory } from '../deps.js'

export const eth_estimateGas: MethodFactory = (d) => async (params) => {
  checkParamCount(params, 1, 3)
  const req = toCallRequest(transactionRequest(params[0], 0))
  const tag = params[1] === undefined || params[1] === null ? ({ kind: 'tag', tag: 'latest' } as const) : blockTagOrHash(params[1], 1)
  const overrides = params[2] === undefined || params[2] === null ? undefined : stateOverride(params[2], 2)
  const block = await requireBlock(d, tag)
  return quantity(await estimateGas(d.chain, block, req, overrides, { gasCap: d.limits.gasCap }))
}
