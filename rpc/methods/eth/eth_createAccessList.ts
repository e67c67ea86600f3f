import { quantity, toHex } from '../../../common/index.js'
import { createAccessList } from '../../../evm/index.js'
import { blockTagOrHash, checkParamCount, stateOverride, transactionRequest } from '../../validation.js'
import { toCallRequest } from '../callRequest.js'
import type { Json } from '../../format.js'
import { requireBlock, type MethodFactory } from '../deps.js'

export const eth_createAccessList: MethodFactory = (d) => async (params) => {
  checkParamCount(params, 1, 3)
  const req = toCallRequest(transactionRequest(params[0], 0))
  const tag = params[1] === undefined || params[1] === null ? ({ kind: 'tag', tag: 'latest' } as const) : blockTagOrHash(params[1], 1)
  const overrides = params[2] === undefined || params[2] === null ? undefined : stateOverride(params[2], 2)
  const block = await requireBlock(d, tag)
  const r = await createAccessList(d.chain, block, req, overrides, { gasCap: d.limits.gasCap })
  const out: Record<string, Json> = {
    accessList: r.accessList.map((e) => ({ address: toHex(e.address), storageKeys: e.storageKeys.map((k) => toHex(k)) })),
    gasUsed: quantity(r.gasUsed),
  }
  if (r.error !== undefined) out['error'] = r.error
  return out
}
