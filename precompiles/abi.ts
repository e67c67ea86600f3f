import { decodeFunctionData, encodeErrorResult, encodeFunctionResult, hexToBytes, toHex, type Abi } from 'viem'
import type { PrecompileOutcome } from './types.js'

const ERROR_ABI = [{ type: 'error', name: 'Error', inputs: [{ name: 'reason', type: 'string' }] }] as const

/** A revert carrying `Error(string)`, which Solidity and viem decode as the reason. */
export function revert(reason: string): PrecompileOutcome {
  return { ok: false, revert: hexToBytes(encodeErrorResult({ abi: ERROR_ABI, errorName: 'Error', args: [reason] })) }
}

export interface DecodedCall {
  functionName: string
  args: readonly unknown[]
}

/**
 * Decode a call to `abi` (4-byte selector + ABI arguments). Anything that is not a well-formed call
 * of one of its functions gives undefined: the precompile reverts.
 */
export function decodeCall(abi: Abi, input: Uint8Array): DecodedCall | undefined {
  if (input.length < 4) return undefined
  try {
    const d = decodeFunctionData({ abi, data: toHex(input) })
    return { functionName: d.functionName, args: (d.args ?? []) as readonly unknown[] }
  } catch {
    return undefined
  }
}

/**
 * The checks every precompile starts with: a well-formed call of its interface, and none of the
 * functions that would take a secret key (keyGen, sign, decrypt) — those are refused with a reason.
 * Returns the decoded call, or the revert to answer with.
 */
export function acceptCall(
  name: string,
  abi: Abi,
  input: Uint8Array,
  refused: Record<string, string> = {},
): DecodedCall | PrecompileOutcome {
  const call = decodeCall(abi, input)
  if (call === undefined) return revert(`${name}: malformed call (unknown selector or bad ABI encoding)`)
  const instead = refused[call.functionName]
  if (instead !== undefined) {
    return revert(`${name}: ${call.functionName} is refused: it would put a secret key in public calldata; ${instead}`)
  }
  return call
}

export function isOutcome(x: DecodedCall | PrecompileOutcome): x is PrecompileOutcome {
  return 'ok' in x
}

/** ABI-encode the result of `functionName`. */
export function encodeResult(abi: Abi, functionName: string, result: unknown): PrecompileOutcome {
  return { ok: true, output: hexToBytes(encodeFunctionResult({ abi, functionName, result } as Parameters<typeof encodeFunctionResult>[0])) }
}

/** Gas for hashing `length` bytes: so much per 32-byte word. */
export function perWord(length: number, gasPerWord: bigint): bigint {
  return BigInt(Math.ceil(length / 32)) * gasPerWord
}
