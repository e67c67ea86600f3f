/**
 * One error base for the whole node. Every error carries a typed `code` in its `type` object;
 * code never branches on message text. Errors become JSON-RPC codes in one place (rpc/errors.ts).
 */
export type ErrorType = { code: string } & Record<string, unknown>

export class ParsError<T extends ErrorType = ErrorType> extends Error {
  readonly type: T

  constructor(type: T, message?: string, options?: { cause?: unknown }) {
    super(message ?? type.code, options)
    this.type = type
    this.name = 'ParsError'
  }

  get code(): T['code'] {
    return this.type.code
  }
}

export function isParsError(e: unknown): e is ParsError {
  return e instanceof ParsError
}

/** Message of any thrown value, for logs. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message
  return String(e)
}
