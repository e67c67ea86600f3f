import { BaseError, ContractFunctionRevertedError } from 'viem'

/**
 * What a contract call failed with, in one line: the custom error and its arguments (e.g.
 * `NameTaken("alice", 1795415324)`), the revert reason, or viem's short message.
 */
export function contractFailure(e: unknown): string {
  if (e instanceof BaseError) {
    const revert = e.walk((x) => x instanceof ContractFunctionRevertedError)
    if (revert instanceof ContractFunctionRevertedError) {
      if (revert.data?.errorName !== undefined) {
        const args = (revert.data.args ?? []).map((a) => (typeof a === 'string' ? JSON.stringify(a) : String(a)))
        return `${revert.data.errorName}(${args.join(', ')})`
      }
      if (revert.reason !== undefined) return revert.reason
    }
    return e.shortMessage.split('\n')[0]!
  }
  return e instanceof Error ? e.message.split('\n')[0]! : String(e)
}
