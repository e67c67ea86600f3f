import { slh_dsa_sha2_128f } from '@noble/post-quantum/slh-dsa.js'
import { decodeErrorResult, decodeFunctionResult, encodeFunctionData, parseAbi, toHex } from 'viem'
import { describe, expect, it } from 'vitest'
import { ISLHDSA_ABI, SLH_DSA_SETS, execute, slhdsaPrecompile } from '../../../../precompiles/index.js'
import { acvpResults, readAcvp, type SigVerPrompt, type SlhKeyGenGroup } from '../../../helpers/vectors.js'

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

  it('NIST ACVP SLH-DSA keyGen: the off-chain signer makes the NIST keys, and its signatures verify in the precompile', () => {
    const data = readAcvp<{ testGroups: SlhKeyGenGroup[] }>('SLH-DSA-keyGen-FIPS205.internalProjection.json.gz')
    if (data === undefined) return
    let checked = 0
    for (const g of data.testGroups) {
      const id = SLH_DSA_SETS.findIndex((s) => s.name === g.parameterSet)
      const set = SLH_DSA_SETS[id]!
      // keygen of the small ("s") sets builds a large top tree (2 s with SHAKE): one vector per set
      for (const t of g.tests.slice(0, 1)) {
        const keys = set.impl.keygen(Buffer.from(t.skSeed + t.skPrf + t.pkSeed, 'hex'))
        expect(toHex(keys.publicKey).slice(2), `${g.parameterSet} tc ${t.tcId}`).toBe(t.pk.toLowerCase())
        expect(toHex(keys.secretKey).slice(2)).toBe(t.sk.toLowerCase())
        checked++
      }
      // signing is quick with the fast ("f") SHA2 sets (0.1-0.3 s; SHAKE takes 0.5-1.8 s)
      if (set.name.startsWith('SLH-DSA-SHA2') && set.name.endsWith('f')) {
        const t = g.tests[0]!
        const msg = new TextEncoder().encode(`signed under ${set.name}`)
        const sig = set.impl.sign(msg, Buffer.from(t.sk, 'hex'))
        expect(callVerify(id, Buffer.from(t.pk, 'hex'), msg, sig).valid, set.name).toBe(true)
      }
    }
    expect(checked).toBe(12)
  })

  it('NIST ACVP SLH-DSA sigVer through the precompile (pure external interface)', () => {
    // ../shared/vectors has this file's expected results but not yet its prompt (the inputs)
    const prompt = readAcvp<SigVerPrompt>('SLH-DSA-sigVer-FIPS205.prompt.json.gz')
    const expected = readAcvp<{ testGroups: { tgId: number; tests: { tcId: number; testPassed: boolean }[] }[] }>(
      'SLH-DSA-sigVer-FIPS205.expectedResults.json.gz',
    )
    if (prompt === undefined || expected === undefined) return
    const want = acvpResults(expected)
    let checked = 0
    for (const g of prompt.testGroups) {
      if (g.signatureInterface !== 'external' || g.preHash !== 'pure') continue
      const id = SLH_DSA_SETS.findIndex((s) => s.name === g.parameterSet)
      for (const t of g.tests) {
        if (t.context !== undefined && t.context !== '') continue // the interface has no context argument
        const r = callVerify(id, Buffer.from(t.pk, 'hex'), Buffer.from(t.message, 'hex'), Buffer.from(t.signature, 'hex'))
        expect(r.valid === true, `tg ${g.tgId} tc ${t.tcId}`).toBe(want.get(`${g.tgId}/${t.tcId}`)!.testPassed)
        checked++
      }
    }
    expect(checked).toBeGreaterThan(0)
  })
})
