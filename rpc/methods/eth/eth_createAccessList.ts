import { quantity, toHex } from '../../../common/index.js'
import { createAccessList } from '../../../evm/index.js'
import { parseCallParams } from '../callRequest.js'
import type { Json } from '../../format.js'
import type { MethodFactory } from '../deps.js'

export const eth_createAccessList: MethodFactory = (d) => async (params) => {
  const { req, block, overrides } = await parseCallParams(d, params)
  const r = await createAccessList(d.chain, block, req, overrides, { gasCap: d.limits.gasCap })
  const out: Record<string, Json> = {
    accessList: r.accessList.map((e) => ({ address: toHex(e.address), storageKeys: e.storageKeys.map((k) => toHex(k)) })),
    gasUsed: quantity(r.gasUsed),
  }
  if (r.error !== undefined) out['error'] = r.error
  return out
}
