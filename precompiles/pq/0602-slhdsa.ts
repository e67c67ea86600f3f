import {
  slh_dsa_sha2_128f,
  slh_dsa_sha2_128s,
  slh_dsa_sha2_192f,
  slh_dsa_sha2_192s,
  slh_dsa_sha2_256f,
  slh_dsa_sha2_256s,
  slh_dsa_shake_128f,
  slh_dsa_shake_128s,
  slh_dsa_shake_192f,
  slh_dsa_shake_192s,
  slh_dsa_shake_256f,
  slh_dsa_shake_256s,
} from '@noble/post-quantum/slh-dsa.js'
import { hexToBytes, parseAbi } from 'viem'
import { acceptCall, encodeResult, isOutcome, perWord, revert } from '../abi.js'
import type { ParsPrecompile } from '../types.js'

/** ISLHDSA at 0x0602: FIPS 205 SLH-DSA (pure) verification for the 12 parameter sets. */
export const ISLHDSA_ABI = parseAbi([
  'function verify(uint8 parameterSet, bytes pk, bytes msg, bytes sig) view returns (bool)',
  'function keyGen(uint8 parameterSet, bytes seed) view returns (bytes pk, bytes sk)',
  'function sign(uint8 parameterSet, bytes sk, bytes msg) view returns (bytes sig)',
])

interface ParameterSet {
  name: string
  impl: typeof slh_dsa_sha2_128s
  /**
   * noble's verification time here (2 ms for SHA2-128s to 35 ms for SHAKE-192f/256f) at about
   * 50,000 gas per ms, ecrecover's rate with the node's native secp256k1; `npm run bench:precompiles`
   * confirms each set within 0.5x–2x of ecrecover's gas/s (docs/precompiles.md).
   */
  gas: bigint
}

/** Numbered 0..11 in FIPS 205 table order (DESIGN.md §7). */
export const SLH_DSA_SETS: readonly ParameterSet[] = [
  { name: 'SLH-DSA-SHA2-128s', impl: slh_dsa_sha2_128s, gas: 115_000n },
  { name: 'SLH-DSA-SHAKE-128s', impl: slh_dsa_shake_128s, gas: 440_000n },
  { name: 'SLH-DSA-SHA2-128f', impl: slh_dsa_sha2_128f, gas: 255_000n },
  { name: 'SLH-DSA-SHAKE-128f', impl: slh_dsa_shake_128f, gas: 1_200_000n },
  { name: 'SLH-DSA-SHA2-192s', impl: slh_dsa_sha2_192s, gas: 140_000n },
  { name: 'SLH-DSA-SHAKE-192s', impl: slh_dsa_shake_192s, gas: 610_000n },
  { name: 'SLH-DSA-SHA2-192f', impl: slh_dsa_sha2_192f, gas: 370_000n },
  { name: 'SLH-DSA-SHAKE-192f', impl: slh_dsa_shake_192f, gas: 1_750_000n },
  { name: 'SLH-DSA-SHA2-256s', impl: slh_dsa_sha2_256s, gas: 190_000n },
  { name: 'SLH-DSA-SHAKE-256s', impl: slh_dsa_shake_256s, gas: 880_000n },
  { name: 'SLH-DSA-SHA2-256f', impl: slh_dsa_sha2_256f, gas: 385_000n },
  { name: 'SLH-DSA-SHAKE-256f', impl: slh_dsa_shake_256f, gas: 1_750_000n },
]

const GAS_PER_WORD = 12n
const MALFORMED_GAS = 3_000n

/**
 * The price needs the parameter set before any decoding: it is the first ABI word after the
 * selector, so the last byte of input[4..36] (anything else there is malformed and priced low).
 */
function gas(input: Uint8Array): bigint {
  let base = MALFORMED_GAS
  if (input.length >= 36 && input.subarray(4, 35).every((b) => b === 0)) base = SLH_DSA_SETS[input[35]!]?.gas ?? MALFORMED_GAS
  return base + perWord(input.length, GAS_PER_WORD)
}

export const slhdsaPrecompile: ParsPrecompile = {
  address: '0x0000000000000000000000000000000000000602',
  name: 'ISLHDSA',
  gas,
  run(input) {
    const call = acceptCall('ISLHDSA', ISLHDSA_ABI, input, { keyGen: 'sign off-chain', sign: 'sign off-chain' })
    if (isOutcome(call)) return call
    const [setId, pkHex, msgHex, sigHex] = call.args as [number, `0x${string}`, `0x${string}`, `0x${string}`]
    const set = SLH_DSA_SETS[setId]
    if (set === undefined) return revert(`ISLHDSA: unknown parameter set ${setId} (0..11)`)
    const pk = hexToBytes(pkHex)
    if (pk.length !== set.impl.lengths.publicKey) {
      return revert(`ISLHDSA: ${set.name} public key must be ${set.impl.lengths.publicKey} bytes, got ${pk.length}`)
    }
    const sig = hexToBytes(sigHex)
    if (sig.length !== set.impl.lengths.signature) {
      return revert(`ISLHDSA: ${set.name} signature must be ${set.impl.lengths.signature} bytes, got ${sig.length}`)
    }
    let valid: boolean
    try {
      valid = set.impl.verify(sig, hexToBytes(msgHex), pk)
    } catch {
      valid = false
    }
    return encodeResult(ISLHDSA_ABI, 'verify', valid)
  },
}
