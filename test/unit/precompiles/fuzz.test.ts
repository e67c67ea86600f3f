import { ml_dsa44 } from '@noble/post-quantum/ml-dsa.js'
import { encodeFunctionData, toHex } from 'viem'
import { describe, expect, it } from 'vitest'
import {
  IECIES_ABI,
  IMLDSA_ABI,
  IRING_ABI,
  ISHA3_ABI,
  ISLHDSA_ABI,
  PARS_PRECOMPILES,
  executeAsync,
  ringSign,
} from '../../../precompiles/index.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'

/** A small deterministic PRNG (xorshift32), so a failure names a seed that reproduces it. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x
  }
}

function randomBytes(next: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = next() & 0xff
  return out
}

const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex.slice(2), 'hex'))

/** Valid calls of each precompile, to mutate. */
function seeds(): Uint8Array[] {
  const { publicKey, secretKey } = ml_dsa44.keygen(new Uint8Array(32))
  const msg = Uint8Array.of(1, 2, 3)
  const sig = ml_dsa44.sign(msg, secretKey)
  const ringKeys = [new Uint8Array(32).fill(2), new Uint8Array(32).fill(3), new Uint8Array(32).fill(4)]
  const ring = ringKeys.map((k) => secp256k1.getPublicKey(k, true))
  const ringSig = ringSign(msg, ring, ringKeys[1]!)
  return [
    bytes(encodeFunctionData({ abi: IRING_ABI, functionName: 'verify', args: [toHex(Buffer.concat(ring)), toHex(msg), toHex(ringSig)] })),
    bytes(encodeFunctionData({ abi: IMLDSA_ABI, functionName: 'verify', args: [toHex(publicKey), toHex(msg), toHex(sig)] })),
    bytes(
      encodeFunctionData({ abi: IMLDSA_ABI, functionName: 'verifyWithContext', args: [toHex(publicKey), toHex(msg), toHex(sig), '0x01'] }),
    ),
    bytes(
      encodeFunctionData({
        abi: ISLHDSA_ABI,
        functionName: 'verify',
        args: [0, toHex(new Uint8Array(32)), '0x01', toHex(new Uint8Array(7856))],
      }),
    ),
    bytes(encodeFunctionData({ abi: ISHA3_ABI, functionName: 'sha3_256', args: ['0x0102'] })),
    bytes(
      encodeFunctionData({
        abi: IECIES_ABI,
        functionName: 'encrypt',
        args: [toHex(secp256k1.getPublicKey(new Uint8Array(32).fill(1), true)), '0x0102', toHex(new Uint8Array(32))],
      }),
    ),
  ]
}

describe('precompile fuzzing: random and mutated calldata', () => {
  it('never throws out of the EVM: every input is a result, a revert or out of gas, and gas is never more than charged', async () => {
    const calls = seeds()
    for (const p of PARS_PRECOMPILES) {
      for (let seed = 1; seed <= 300; seed++) {
        const next = rng(seed * 7919 + p.address.length)
        let input: Uint8Array
        if (seed % 3 === 0) {
          input = randomBytes(next, next() % 600)
        } else {
          // a valid call of some precompile with a few bytes flipped, cut short or extended
          const base = calls[next() % calls.length]!
          input = Uint8Array.from(base)
          for (let k = 0; k < 1 + (next() % 4); k++) input[next() % input.length] ^= 1 << (next() % 8)
          if (seed % 5 === 0) input = input.subarray(0, next() % input.length)
          if (seed % 7 === 0) input = Uint8Array.from([...input, ...randomBytes(next, next() % 64)])
        }
        const gasLimit = seed % 11 === 0 ? BigInt(next() % 100_000) : 100_000_000n
        // executeAsync is what the EVM calls: it must resolve, never reject
        const res = await executeAsync(p, input, gasLimit)
        expect(res.executionGasUsed <= gasLimit, `${p.name} seed ${seed}`).toBe(true)
        if (res.exceptionError !== undefined) expect(['revert', 'out of gas']).toContain(res.exceptionError.error)
      }
    }
  })
})
