import { ParsError, toHex } from '../../../common/index.js'
import { call } from '../../../evm/index.js'
import { blockTagOrHash, checkParamCount, stateOverride, transactionRequest } from '../../validation.js'
import { toCallRequest } from '../callRequest.js'
import { requireBlock, type MethodFactory } from '../deps.js'

export const eth_call: MethodFactory = (d) => async (params) => {
  checkParamCount(params, 1, 3)
  const req = toCallRequest(transactionRequest(params[0], 0))
  const tag = params[1] === undefined || params[1] === null ? ({ kind: 'tag', tag: 'latest' } as const) : blockTagOrHash(params[1], 1)
  const overrides = params[2] === undefined || params[2] === null ? undefined : stateOverride(params[2], 2)
  const block = await requireBlock(d, tag)
  if (overrides !== undefined && overrides.size > 0) return toHex(await call(d.chain, block, req, overrides, { gasCap: d.limits.gasCap }))
  const key = toHex(block.hash()) + JSON.stringify(params[0])
  const hit = d.callCache.get(key)
  if (hit !== undefined) {
    if (hit.ok) return hit.value
    throw hit.error
  }
  try {
    const value = toHex(await call(d.chain, block, req, undefined, { gasCap: d.limits.gasCap }))
    d.callCache.set(key, { ok: true, value })
    return value
  } catch (e) {
    // a revert is as deterministic as a result; anything else is not cached
    if (e instanceof ParsError && e.code === 'EXECUTION_REVERTED') d.callCache.set(key, { ok: false, error: e })
    throw e
  }
}
