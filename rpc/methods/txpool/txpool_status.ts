import { quantity } from '../../../common/index.js'
import { checkParamCount } from '../../validation.js'
import type { MethodFactory } from '../deps.js'

export const txpool_status: MethodFactory = (d) => (params) => {
  checkParamCount(params, 0)
  const s = d.pool.status()
  return { pending: quantity(s.pending), queued: quantity(s.queued) }
}
