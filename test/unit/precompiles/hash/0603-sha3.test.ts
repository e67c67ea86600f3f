import { sha3_256 } from '@noble/hashes/sha3.js'
import { keccak256, decodeFunctionResult, encodeFunctionData, toHex } from 'viem'
import { describe, expect, it } from 'vitest'
import { ISHA3_ABI, execute, sha3Precompile } from '../../../../precompiles/index.js'

describe('0x0603 ISHA3', () => {
  it('returns FIPS 202 SHA3-256, not keccak256', () => {
    for (const s of ['', 'abc', 'x'.repeat(1000)]) {
      const bytes = new TextEncoder().encode(s)
      const data = encodeFunctionData({ abi: ISHA3_ABI, functionName: 'sha3_256', args: [toHex(bytes)] })
      const r = execute(sha3Precompile, Buffer.from(data.slice(2), 'hex'), 1_000_000n)
      expect(r.exceptionError).toBeUndefined()
      const out = decodeFunctionResult({ abi: ISHA3_ABI, functionName: 'sha3_256', data: toHex(r.returnValue) })
      expect(out).toBe(toHex(sha3_256(bytes)))
      expect(out).not.toBe(keccak256(bytes))
    }
    // the FIPS 202 value for the empty string
    const data = encodeFunctionData({ abi: ISHA3_ABI, functionName: 'sha3_256', args: ['0x'] })
    const r = execute(sha3Precompile, Buffer.from(data.slice(2), 'hex'), 1_000_000n)
    expect(toHex(r.returnValue)).toBe('0xa7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a')
  })

  it('reverts on a malformed call and charges by length', () => {
    expect(execute(sha3Precompile, Uint8Array.of(1, 2), 1_000_000n).exceptionError?.error).toBe('revert')
    expect(sha3Precompile.gas(new Uint8Array(64))).toBe(3_000n + 60n)
    expect(sha3Precompile.gas(new Uint8Array(6400))).toBe(3_000n + 6_000n)
  })
})
