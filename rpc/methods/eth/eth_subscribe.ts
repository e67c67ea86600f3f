import { RpcError, invalidParams } from '../../errors.js'
import { bool, checkParamCount, filterOptions } from '../../validation.js'
import type { MethodFactory } from '../deps.js'

export const eth_subscribe: MethodFactory = (d) => (params, ctx) => {
  if (ctx.connection === undefined)
    throw new RpcError('METHOD_NOT_SUPPORTED', 'notifications not supported: subscribe over a WebSocket connection')
  checkParamCount(params, 1, 2)
  switch (params[0]) {
    case 'newHeads':
      checkParamCount(params, 1)
      return d.filters.subscribe(ctx.connection, { kind: 'newHeads' })
    case 'logs': {
      const f = params[1] === undefined ? { addresses: [], topics: [] } : filterOptions(params[1], 1)
      if ('blockHash' in f && f.blockHash !== undefined) throw invalidParams('invalid argument 1: a logs subscription takes no blockHash')
      return d.filters.subscribe(ctx.connection, { kind: 'logs', spec: { addresses: f.addresses, topics: f.topics } })
    }
    case 'newPendingTransactions':
      return d.filters.subscribe(ctx.connection, {
        kind: 'newPendingTransactions',
        full: params[1] === undefined ? false : bool(params[1], 1),
      })
    default:
      throw invalidParams(
        `invalid argument 0: unsupported subscription ${JSON.stringify(params[0])}; use newHeads, logs or newPendingTransactions`,
      )
  }
}
