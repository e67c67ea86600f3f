import type { Block } from '@ethereumjs/block'
import type { CallRequest, StateOverrides } from '../../evm/index.js'
import { blockTagOrHash, checkParamCount, stateOverride, transactionRequest, type TransactionRequest } from '../validation.js'
import { requireBlock, type RpcDeps } from './deps.js'

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

/**
 * The arguments eth_call, eth_estimateGas and eth_createAccessList share: the call object, a block
 * (default latest) and state overrides (undefined when none are given).
 */
export async function parseCallParams(
  d: RpcDeps,
  params: readonly unknown[],
): Promise<{ req: CallRequest; block: Block; overrides: StateOverrides | undefined }> {
  checkParamCount(params, 1, 3)
  const req = toCallRequest(transactionRequest(params[0], 0))
  const tag = params[1] === undefined || params[1] === null ? ({ kind: 'tag', tag: 'latest' } as const) : blockTagOrHash(params[1], 1)
  const parsed = params[2] === undefined || params[2] === null ? undefined : stateOverride(params[2], 2)
  const overrides = parsed !== undefined && parsed.size > 0 ? parsed : undefined
  return { req, block: await requireBlock(d, tag), overrides }
}
