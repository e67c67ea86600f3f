import { ml_dsa44, ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js'
import { hexToBytes, parseAbi } from 'viem'
import { acceptCall, encodeResult, isOutcome, perWord, revert } from '../abi.js'
import type { ParsPrecompile } from '../types.js'

/** IMLDSA at 0x0600: FIPS 204 ML-DSA (pure) verification, the level chosen by the key's length. */
export const IMLDSA_ABI = parseAbi([
  'function verify(bytes pk, bytes msg, bytes sig) view returns (bool)',
  'function verifyWithContext(bytes pk, bytes msg, bytes sig, bytes ctx) view returns (bool)',
  'function keyGen(bytes seed) view returns (bytes pk, bytes sk)',
  'function sign(bytes sk, bytes msg) view returns (bytes sig)',
])

interface Level {
  name: string
  impl: typeof ml_dsa44
  publicKey: number
  signature: number
  /** calibrated by `npm run bench:precompiles` against ecrecover (docs/precompiles.md) */
  gas: bigint
}

const LEVELS: readonly Level[] = [
  { name: 'ML-DSA-44', impl: ml_dsa44, publicKey: 1312, signature: 2420, gas: 60_000n },
  { name: 'ML-DSA-65', impl: ml_dsa65, publicKey: 1952, signature: 3309, gas: 90_000n },
  { name: 'ML-DSA-87', impl: ml_dsa87, publicKey: 2592, signature: 4627, gas: 140_000n },
]

/** Gas per 32-byte word of message and context (SHAKE-256 absorbs the message). */
const GAS_PER_WORD = 12n
/** Cheapest price, for calls that turn out malformed: the input was still read. */
const BASE_GAS = LEVELS[0]!.gas

function levelOf(pk: Uint8Array): Level | undefined {
  return LEVELS.find((l) => l.publicKey === pk.length)
}

/**
 * Gas comes from the input before any decoding work: the level from the key length word of the ABI
 * encoding would need decoding, so the price uses the input length, which bounds key, message,
 * signature and context together, plus the base of the largest level the input can hold.
 */
function gas(input: Uint8Array): bigint {
  let base = BASE_GAS
  for (const l of LEVELS) if (input.length >= l.publicKey + l.signature) base = l.gas
  return base + perWord(input.length, GAS_PER_WORD)
}

export const mldsaPrecompile: ParsPrecompile = {
  address: '0x0000000000000000000000000000000000000600',
  name: 'IMLDSA',
  gas,
  run(input) {
    const call = acceptCall('IMLDSA', IMLDSA_ABI, input, { keyGen: 'sign off-chain', sign: 'sign off-chain' })
    if (isOutcome(call)) return call
    const [pkHex, msgHex, sigHex, ctxHex] = call.args as `0x${string}`[]
    const pk = hexToBytes(pkHex!)
    const level = levelOf(pk)
    if (level === undefined) return revert(`IMLDSA: public key of ${pk.length} bytes is not ML-DSA-44, -65 or -87`)
    const sig = hexToBytes(sigHex!)
    if (sig.length !== level.signature) {
      return revert(`IMLDSA: ${level.name} signature must be ${level.signature} bytes, got ${sig.length}`)
    }
    const context = ctxHex === undefined ? new Uint8Array(0) : hexToBytes(ctxHex)
    if (context.length > 255) return revert('IMLDSA: context longer than 255 bytes')
    let valid: boolean
    try {
      valid = level.impl.verify(sig, hexToBytes(msgHex!), pk, { context })
    } catch {
      valid = false
    }
    return encodeResult(IMLDSA_ABI, call.functionName, valid)
  },
}
