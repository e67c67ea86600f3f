import type { CallRequest } from '../../evm/index.js'
import type { TransactionRequest } from '../validation.js'

/** The validated request object as the EVM layer takes it. */
export function toCallRequest(t: TransactionRequest): CallRequest {
  const r: CallRequest = {}
  if (t.from !== undefined) r.from = t.from
  if (t.to !== null) r.to = t.to
  if (t.gas !== undefined) r.gas = t.gas
  if (t.gasPrice !== undefined) r.gasPrice = t.gasPrice
  if (t.maxFeePerGas !== undefined) r.maxFeePerGas = t.maxFeePerGas
  if (t.maxPriorityFeePerGas !== undefined) r.maxPriorityFeePerGas = t.maxPriorityFeePerGas
  if (t.value !== undefined) r.value = t.value
  if (t.data !== undefined) r.data = t.data
  if (t.nonce !== undefined) r.nonce = t.nonce
  if (t.accessList !== undefined) r.accessList = t.accessList
  if (t.authorizationList !== undefined) r.authorizationList = t.authorizationList.map((a) => ({ ...a, yParity: BigInt(a.yParity) }))
  return r
}
