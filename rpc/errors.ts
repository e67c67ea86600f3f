import { ParsError, isParsError } from '../common/index.js'

/**
 * Every failure an RPC caller can see, with its JSON-RPC code. Errors become JSON-RPC errors here and
 * nowhere else. Messages follow geth's wording where clients (viem, ethers) match on it.
 */
export const RpcErrorCode = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL: -32603,
  /** geth's generic server error: rejected transactions, unknown blocks */
  SERVER_ERROR: -32000,
  RESOURCE_NOT_FOUND: -32001,
  TX_REJECTED: -32003,
  METHOD_NOT_SUPPORTED: -32004,
  LIMIT_EXCEEDED: -32005,
  /** EIP-1474 / geth: execution reverted, `data` holds the revert bytes */
  EXECUTION_REVERTED: 3,
} as const

export type RpcErrorName = keyof typeof RpcErrorCode

export type RpcErrorType = { code: RpcErrorName; data?: unknown }

/** An error that maps directly to a JSON-RPC error object. */
export class RpcError extends ParsError<RpcErrorType> {
  constructor(code: RpcErrorName, message: string, data?: unknown) {
    super({ code, data }, message)
    this.name = 'RpcError'
  }
}

export function invalidParams(message: string): RpcError {
  return new RpcError('INVALID_PARAMS', message)
}

export interface JsonRpcErrorObject {
  code: number
  message: string
  data?: unknown
}

/**
 * Translate any thrown value into a JSON-RPC error object. Domain errors (ParsError with a code
 * other than the RPC names) are mapped through `domainCodes`; anything unknown is an internal error
 * whose details stay in the log, not in the answer.
 */
export function toJsonRpcError(e: unknown, domainCodes: Record<string, RpcErrorName> = {}): JsonRpcErrorObject {
  if (e instanceof RpcError) {
    const out: JsonRpcErrorObject = { code: RpcErrorCode[e.type.code], message: e.message }
    if (e.type.data !== undefined) out.data = e.type.data
    return out
  }
  if (isParsError(e)) {
    const name = domainCodes[e.type.code]
    if (name !== undefined) {
      const out: JsonRpcErrorObject = { code: RpcErrorCode[name], message: e.message }
      if (e.type['data'] !== undefined) out.data = e.type['data']
      return out
    }
  }
  return { code: RpcErrorCode.INTERNAL, message: 'internal error' }
}
