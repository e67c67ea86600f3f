import { EVMError, type CustomPrecompile, type ExecResult, type PrecompileInput } from '@ethereumjs/evm'
import { createAddressFromString } from '@ethereumjs/util'
import { revert } from './abi.js'
import { sha3Precompile } from './hash/0603-sha3.js'
import { mldsaPrecompile } from './pq/0600-mldsa.js'
import { mlkemPrecompile } from './pq/0601-mlkem.js'
import { slhdsaPrecompile } from './pq/0602-slhdsa.js'
import { ringPrecompile } from './privacy/0700-ring.js'
import { eciesPrecompile } from './privacy/0701-ecies.js'
import type { ParsPrecompile, PrecompileContext, PrecompileOutcome } from './types.js'
import { hpkePrecompile } from './privacy/0702-hpke.js'

export type { ParsPrecompile, PrecompileContext, PrecompileOutcome } from './types.js'
export { IMLDSA_ABI, mldsaPrecompile } from './pq/0600-mldsa.js'
export { IMLKEM_ABI, ML_KEM_LEVELS, mlkemPrecompile, mlkemRandomness } from './pq/0601-mlkem.js'
export { ISHA3_ABI, sha3Precompile } from './hash/0603-sha3.js'
export { ISLHDSA_ABI, SLH_DSA_SETS, slhdsaPrecompile } from './pq/0602-slhdsa.js'
export { IRING_ABI, RING_GAS_BASE, RING_GAS_PER_MEMBER, ringPrecompile } from './privacy/0700-ring.js'
export {
  hashToPoint,
  MAX_RING,
  MIN_RING,
  RING_DOMAIN,
  ringKeyImage,
  ringSign,
  ringVerify,
  splitRing,
  type RingVerification,
} from './privacy/ring.js'
export { IECIES_ABI, eciesPrecompile } from './privacy/0701-ecies.js'
export { eciesDecrypt, eciesEncrypt, ECIES_INFO } from './privacy/ecies.js'
export { IHPKE_ABI, hpkePrecompile } from './privacy/0702-hpke.js'
export { hpkeOpen, hpkeSeal, hpkeSuites, type HpkeSuite } from './privacy/hpke.js'

/** The address table (DESIGN.md §7). */
export const PARS_PRECOMPILES: readonly ParsPrecompile[] = [
  mldsaPrecompile,
  mlkemPrecompile,
  slhdsaPrecompile,
  sha3Precompile,
  ringPrecompile,
  eciesPrecompile,
  hpkePrecompile(),
]

function toExecResult(p: ParsPrecompile, gas: bigint, outcome: PrecompileOutcome): ExecResult {
  if (outcome.ok) return { returnValue: outcome.output, executionGasUsed: gas }
  return { returnValue: outcome.revert, executionGasUsed: gas, exceptionError: new EVMError(EVMError.errorMessages.REVERT) }
}

function outOfGas(gasLimit: bigint): ExecResult {
  return { returnValue: new Uint8Array(0), executionGasUsed: gasLimit, exceptionError: new EVMError(EVMError.errorMessages.OUT_OF_GAS) }
}

/**
 * Run a precompile as the EVM sees it: gas first (all of it, or out of gas with nothing done), then
 * the work; a failure is a revert with a reason, and nothing escapes as an exception. For the
 * precompiles whose work is synchronous; `executeAsync` runs any.
 */
export function execute(p: ParsPrecompile, data: Uint8Array, gasLimit: bigint, ctx: PrecompileContext = EMPTY_CONTEXT): ExecResult {
  const gas = p.gas(data)
  if (gas > gasLimit) return outOfGas(gasLimit)
  let outcome: PrecompileOutcome | Promise<PrecompileOutcome>
  try {
    outcome = p.run(data, ctx)
  } catch {
    outcome = revert(`${p.name}: internal error`)
  }
  if (outcome instanceof Promise) throw new Error(`${p.name} is asynchronous: use executeAsync`)
  return toExecResult(p, gas, outcome)
}

/** As `execute`, for every precompile (HPKE works asynchronously); what the EVM calls. */
export async function executeAsync(
  p: ParsPrecompile,
  data: Uint8Array,
  gasLimit: bigint,
  ctx: PrecompileContext = EMPTY_CONTEXT,
): Promise<ExecResult> {
  const gas = p.gas(data)
  if (gas > gasLimit) return outOfGas(gasLimit)
  let outcome: PrecompileOutcome
  try {
    outcome = await p.run(data, ctx)
  } catch {
    outcome = revert(`${p.name}: internal error`)
  }
  return toExecResult(p, gas, outcome)
}

const EMPTY_CONTEXT: PrecompileContext = { blockNumber: 0n, prevRandao: new Uint8Array(32), origin: new Uint8Array(20) }

/** The call's context as EthereumJS's EVM holds it while it runs a message. */
function contextOf(input: PrecompileInput): PrecompileContext {
  const evm = input._EVM as unknown as {
    _block?: { header: { number: bigint; mixHash: Uint8Array } }
    _tx?: { origin?: { bytes: Uint8Array } }
  }
  return {
    blockNumber: evm._block?.header.number ?? 0n,
    prevRandao: evm._block?.header.mixHash ?? EMPTY_CONTEXT.prevRandao,
    origin: evm._tx?.origin?.bytes ?? EMPTY_CONTEXT.origin,
  }
}

/** The precompiles in EthereumJS's `customPrecompiles` form. */
export function ethereumJsPrecompiles(list: readonly ParsPrecompile[] = PARS_PRECOMPILES): CustomPrecompile[] {
  return list.map((p) => ({
    address: createAddressFromString(p.address),
    function: (input: PrecompileInput): Promise<ExecResult> => executeAsync(p, input.data, input.gasLimit, contextOf(input)),
  }))
}
