import { ParsError, toHex } from '../../../common/index.js'
import { call, type CallRequest } from '../../../evm/index.js'
import { parseCallParams } from '../callRequest.js'
import type { MethodFactory } from '../deps.js'

/** Calls with more input than this are not cached (a cache entry holds its key). */
const MAX_CACHED_INPUT = 2048

/** The cache key of a call at a block: every field of the parsed request, in a fixed order. */
function cacheKey(blockHash: Uint8Array, r: CallRequest): string | undefined {
  if ((r.data?.length ?? 0) > MAX_CACHED_INPUT || r.accessList !== undefined || r.authorizationList !== undefined) return undefined
  const hex = (b: Uint8Array | undefined): string => (b === undefined ? '' : toHex(b))
  const num = (n: bigint | undefined): string => (n === undefined ? '' : n.toString(16))
  return [
    toHex(blockHash),
    hex(r.from),
    hex(r.to),
    num(r.gas),
    num(r.gasPrice),
    num(r.maxFeePerGas),
    num(r.maxPriorityFeePerGas),
    num(r.value),
    num(r.nonce),
    hex(r.data),
  ].join('|')
}

export const eth_call: MethodFactory = (d) => async (params) => {
  const { req, block, overrides } = await parseCallParams(d, params)
  if (overrides !== undefined) return toHex(await call(d.chain, block, req, overrides, { gasCap: d.limits.gasCap }))
  const key = cacheKey(block.hash(), req)
  if (key === undefined) return toHex(await call(d.chain, block, req, undefined, { gasCap: d.limits.gasCap }))
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
