import { RpcError } from '../../errors.js'
import { checkParamCount } from '../../validation.js'
import type { MethodFactory } from '../deps.js'
import { filterId } from '../filterId.js'

export const eth_unsubscribe: MethodFactory = (d) => (params, ctx) => {
  if (ctx.connection === undefined)
    throw new RpcError('METHOD_NOT_SUPPORTED', 'notifications not supported: subscribe over a WebSocket connection')
  checkParamCount(params, 1)
  return d.filters.unsubscribe(ctx.connection, filterId(params[0], 0))
}
