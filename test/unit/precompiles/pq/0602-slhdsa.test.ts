import { slh_dsa_sha2_128f } from '@noble/post-quantum/slh-dsa.js'
import { decodeErrorResult, decodeFunctionResult, encodeFunctionData, parseAbi, toHex } from 'viem'
import { describe, expect, it } from 'vitest'
import { ISLHDSA_ABI, SLH_DSA_SETS, execute, slhdsaPrecompile } from '../../../../precompiles/index.js'

const ERROR_ABI = parseAbi(['error Error(string)'])

function callVerify(set: number, pk: Uint8Array, msg: Uint8Array, sig: Uint8Array): { valid?: boolean; reverted?: string } {
  const data = encodeFunctionData({ abi: ISLHDSA_ABI, functionName: 'verify', args: [set, toHex(pk), toHex(msg), toHex(sig)] })
  const r = execute(slhdsaPrecompile, Buffer.from(data.slice(2), 'hex'), 100_000_000n)
  if (r.exceptionError !== undefined)
    return { reverted: decodeErrorResult({ abi: ERROR_ABI, data: toHex(r.returnValue) }).args[0] as string }
  return { valid: decodeFunctionResult({ abi: ISLHDSA_ABI, functionName: 'verify', data: toHex(r.returnValue) }) as boolean }
}

describe('0x0602 ISLHDSA', () => {
  it('verifies an SLH-DSA-SHA2-128f signature (set 2) and rejects a forged one or another set', () => {
    const { publicKey, secretKey } = slh_dsa_sha2_128f.keygen(new Uint8Array(48).fill(3))
    const msg = new TextEncoder().encode('pars')
    const sig = slh_dsa_sha2_128f.sign(msg, secretKey)
    expect(callVerify(2, publicKey, msg, sig).valid).toBe(true)
    const forged = Uint8Array.from(sig)
    forged[10] ^= 1
    expect(callVerify(2, publicKey, msg, forged).valid).toBe(false)
    expect(callVerify(2, publicKey, new TextEncoder().encode('parz'), sig).valid).toBe(false)
    // the same lengths, read as SHAKE-128f (set 3): a different scheme, not valid
    expect(callVerify(3, publicKey, msg, sig).valid).toBe(false)
  })

  it('wires all 12 parameter sets in FIPS 205 order: right-sized junk is a well-formed call that returns false', () => {
    SLH_DSA_SETS.forEach((s, id) => {
      const r = callVerify(id, new Uint8Array(s.impl.lengths.publicKey!), new Uint8Array(1), new Uint8Array(s.impl.lengths.signature!))
      expect(r, s.name).toEqual({ valid: false })
    })
    expect(SLH_DSA_SETS.map((s) => s.name)).toEqual([
      'SLH-DSA-SHA2-128s',
      'SLH-DSA-SHAKE-128s',
      'SLH-DSA-SHA2-128f',
      'SLH-DSA-SHAKE-128f',
      'SLH-DSA-SHA2-192s',
      'SLH-DSA-SHAKE-192s',
      'SLH-DSA-SHA2-192f',
      'SLH-DSA-SHAKE-192f',
      'SLH-DSA-SHA2-256s',
      'SLH-DSA-SHAKE-256s',
      'SLH-DSA-SHA2-256f',
      'SLH-DSA-SHAKE-256f',
    ])
  })

  it('reverts on an unknown set, wrong lengths, refused functions and garbage', () => {
    expect(callVerify(12, new Uint8Array(32), new Uint8Array(1), new Uint8Array(7856)).reverted).toMatch(/unknown parameter set 12/)
    expect(callVerify(0, new Uint8Array(31), new Uint8Array(1), new Uint8Array(7856)).reverted).toMatch(/public key must be 32 bytes/)
    expect(callVerify(0, new Uint8Array(32), new Uint8Array(1), new Uint8Array(7855)).reverted).toMatch(/signature must be 7856 bytes/)
    const sign = encodeFunctionData({ abi: ISLHDSA_ABI, functionName: 'sign', args: [0, `0x${'00'.repeat(64)}`, '0x01'] })
    const r = execute(slhdsaPrecompile, Buffer.from(sign.slice(2), 'hex'), 10_000_000n)
    expect(decodeErrorResult({ abi: ERROR_ABI, data: toHex(r.returnValue) }).args[0]).toMatch(/secret key in public calldata/)
    expect(execute(slhdsaPrecompile, Uint8Array.of(9, 9, 9, 9, 9), 10_000_000n).exceptionError?.error).toBe('revert')
  })

  it('prices by parameter set before decoding anything, and a malformed head cheaply', () => {
    const input = (set: number): Uint8Array => {
      const b = new Uint8Array(36 + 64)
      b[35] = set
      return b
    }
    expect(slhdsaPrecompile.gas(input(11))).toBeGreaterThan(slhdsaPrecompile.gas(input(0)))
    const bogus = input(0)
    bogus[4] = 1 // not a uint8 ABI word
    expect(slhdsaPrecompile.gas(bogus)).toBeLessThan(slhdsaPrecompile.gas(input(0)))
  })
})
