import { quantity } from '../../../common/index.js'
import { estimateGas } from '../../../evm/index.js'
import { parseCallParams } from '../callRequest.js'
import type { MethodFactory } from '../deps.js'

export const eth_estimateGas: MethodFactory = (d) => async (params) => {
  const { req, block, overrides } = await parseCallParams(d, params)
  return quantity(await estimateGas(d.chain, block, req, overrides, { gasCap: d.limits.gasCap }))
}
