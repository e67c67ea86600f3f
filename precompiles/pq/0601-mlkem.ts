import { ml_kem1024, ml_kem512, ml_kem768 } from '@noble/post-quantum/ml-kem.js'
import { sha3_256 } from '@noble/hashes/sha3.js'
import { hexToBytes, parseAbi, toHex } from 'viem'
import { acceptCall, encodeResult, isOutcome, perWord, revert } from '../abi.js'
import type { ParsPrecompile, PrecompileContext } from '../types.js'

/** IMLKEM at 0x0601: FIPS 203 ML-KEM encapsulation, the level chosen by the key's length. */
export const IMLKEM_ABI = parseAbi([
  'function encapsulate(bytes pk) view returns (bytes ct, bytes ss)',
  'function keyGen(bytes seed) view returns (bytes pk, bytes sk)',
  'function decapsulate(bytes sk, bytes ct) view returns (bytes ss)',
])

interface Level {
  name: string
  impl: typeof ml_kem512
  publicKey: number
  /** calibrated by `npm run bench:precompiles` against ecrecover */
  gas: bigint
}

export const ML_KEM_LEVELS: readonly Level[] = [
  { name: 'ML-KEM-512', impl: ml_kem512, publicKey: 800, gas: 21_000n },
  { name: 'ML-KEM-768', impl: ml_kem768, publicKey: 1184, gas: 32_000n },
  { name: 'ML-KEM-1024', impl: ml_kem1024, publicKey: 1568, gas: 45_000n },
]

const DOMAIN = new TextEncoder().encode('pars-mlkem-v1')

/**
 * The encapsulation randomness m of FIPS 203 for a call: SHA3-256("pars-mlkem-v1" ‖ prevRandao (32)
 * ‖ block number (8, big-endian) ‖ tx origin (20) ‖ pk). Every validator computes the same m, so the
 * precompile is deterministic; and everything in it is public, so the shared secret it returns is
 * public too: anyone can recompute it. Use it where that is fine (tests, commitments), not to hide data.
 */
export function mlkemRandomness(pk: Uint8Array, ctx: PrecompileContext): Uint8Array {
  const n = new Uint8Array(8)
  new DataView(n.buffer).setBigUint64(0, ctx.blockNumber)
  const buf = new Uint8Array(DOMAIN.length + 32 + 8 + 20 + pk.length)
  let o = 0
  for (const part of [DOMAIN, ctx.prevRandao, n, ctx.origin, pk]) {
    buf.set(part, o)
    o += part.length
  }
  return sha3_256(buf)
}

function gas(input: Uint8Array): bigint {
  let base = ML_KEM_LEVELS[0]!.gas
  for (const l of ML_KEM_LEVELS) if (input.length >= l.publicKey) base = l.gas
  return base + perWord(input.length, 12n)
}

export const mlkemPrecompile: ParsPrecompile = {
  address: '0x0000000000000000000000000000000000000601',
  name: 'IMLKEM',
  gas,
  run(input, ctx) {
    const call = acceptCall('IMLKEM', IMLKEM_ABI, input, { keyGen: 'generate keys off-chain', decapsulate: 'decapsulate off-chain' })
    if (isOutcome(call)) return call
    const pk = hexToBytes(call.args[0] as `0x${string}`)
    const level = ML_KEM_LEVELS.find((l) => l.publicKey === pk.length)
    if (level === undefined) return revert(`IMLKEM: public key of ${pk.length} bytes is not ML-KEM-512, -768 or -1024`)
    let ct: Uint8Array
    let ss: Uint8Array
    try {
      ;({ cipherText: ct, sharedSecret: ss } = level.impl.encapsulate(pk, mlkemRandomness(pk, ctx)))
    } catch {
      // FIPS 203's encapsulation key check (coefficients below q) failed
      return revert(`IMLKEM: not a valid ${level.name} encapsulation key`)
    }
    return encodeResult(IMLKEM_ABI, 'encapsulate', [toHex(ct), toHex(ss)])
  },
}
