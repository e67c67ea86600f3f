import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { ml_kem1024, ml_kem512, ml_kem768 } from '@noble/post-quantum/ml-kem.js'
import { decodeErrorResult, decodeFunctionResult, encodeFunctionData, hexToBytes, parseAbi, toHex } from 'viem'
import { describe, expect, it } from 'vitest'
import {
  IMLKEM_ABI,
  ML_KEM_LEVELS,
  execute,
  mlkemPrecompile,
  mlkemRandomness,
  type PrecompileContext,
} from '../../../../precompiles/index.js'

const VECTORS = process.env['PARS_VECTORS'] ?? resolve(__dirname, '../../../../../shared/vectors')
const ERROR_ABI = parseAbi(['error Error(string)'])
const CTX: PrecompileContext = { blockNumber: 7n, prevRandao: new Uint8Array(32).fill(1), origin: new Uint8Array(20).fill(2) }

function encapsulate(pk: Uint8Array, ctx = CTX): { ct?: Uint8Array; ss?: Uint8Array; reverted?: string } {
  const data = encodeFunctionData({ abi: IMLKEM_ABI, functionName: 'encapsulate', args: [toHex(pk)] })
  const r = execute(mlkemPrecompile, hexToBytes(data), 10_000_000n, ctx)
  if (r.exceptionError !== undefined)
    return { reverted: decodeErrorResult({ abi: ERROR_ABI, data: toHex(r.returnValue) }).args[0] as string }
  const [ct, ss] = decodeFunctionResult({ abi: IMLKEM_ABI, functionName: 'encapsulate', data: toHex(r.returnValue) }) as [
    `0x${string}`,
    `0x${string}`,
  ]
  return { ct: hexToBytes(ct), ss: hexToBytes(ss) }
}

describe('0x0601 IMLKEM', () => {
  for (const [name, impl] of [
    ['ML-KEM-512', ml_kem512],
    ['ML-KEM-768', ml_kem768],
    ['ML-KEM-1024', ml_kem1024],
  ] as const) {
    it(`${name}: the key's holder decapsulates the same shared secret; the call is deterministic in its context`, () => {
      const { publicKey, secretKey } = impl.keygen(new Uint8Array(64).fill(5))
      const a = encapsulate(publicKey)
      expect(impl.decapsulate(a.ct!, secretKey)).toEqual(a.ss)
      expect(encapsulate(publicKey)).toEqual(a)
      expect(encapsulate(publicKey, { ...CTX, blockNumber: 8n }).ct).not.toEqual(a.ct)
      // the documented derivation: anyone can recompute the "secret"
      expect(impl.encapsulate(publicKey, mlkemRandomness(publicKey, CTX))).toEqual({ cipherText: a.ct, sharedSecret: a.ss })
    })
  }

  it('refuses keyGen and decapsulate, and reverts on a key of no level', () => {
    for (const [fn, args] of [
      ['keyGen', ['0x' + '00'.repeat(64)]],
      ['decapsulate', ['0x' + '00'.repeat(1632), '0x' + '00'.repeat(768)]],
    ] as const) {
      const r = execute(
        mlkemPrecompile,
        hexToBytes(encodeFunctionData({ abi: IMLKEM_ABI, functionName: fn, args: args as never })),
        10_000_000n,
        CTX,
      )
      expect(decodeErrorResult({ abi: ERROR_ABI, data: toHex(r.returnValue) }).args[0]).toMatch(/secret key in public calldata/)
    }
    expect(encapsulate(new Uint8Array(801)).reverted).toMatch(/not ML-KEM-512, -768 or -1024/)
  })

  it('NIST ACVP ML-KEM: encapsulation vectors (explicit m) and encapsulation key checks through the precompile', () => {
    const dir = join(VECTORS, 'acvp')
    const promptFile = join(dir, 'ML-KEM-encapDecap-FIPS203.prompt.json.gz')
    if (!existsSync(promptFile)) {
      console.warn(`skipped: ${promptFile} not found (set PARS_VECTORS)`)
      return
    }
    const read = (f: string): unknown => JSON.parse(gunzipSync(readFileSync(join(dir, f))).toString('utf8'))
    type Prompt = {
      testGroups: { tgId: number; parameterSet: string; function: string; tests: { tcId: number; ek?: string; m?: string }[] }[]
    }
    type Expected = { testGroups: { tgId: number; tests: { tcId: number; c?: string; k?: string; testPassed?: boolean }[] }[] }
    const prompt = read('ML-KEM-encapDecap-FIPS203.prompt.json.gz') as Prompt
    const expected = read('ML-KEM-encapDecap-FIPS203.expectedResults.json.gz') as Expected
    const want = new Map<string, { c?: string; k?: string; testPassed?: boolean }>()
    for (const g of expected.testGroups) for (const t of g.tests) want.set(`${g.tgId}/${t.tcId}`, t)
    let checked = 0
    for (const g of prompt.testGroups) {
      const level = ML_KEM_LEVELS.find((l) => l.name === g.parameterSet)!
      for (const t of g.tests) {
        const w = want.get(`${g.tgId}/${t.tcId}`)!
        if (g.function === 'encapsulation') {
          // the primitive the precompile runs, with the vector's m
          const r = level.impl.encapsulate(Buffer.from(t.ek!, 'hex'), Buffer.from(t.m!, 'hex'))
          expect(toHex(r.cipherText).slice(2)).toBe(w.c!.toLowerCase())
          expect(toHex(r.sharedSecret).slice(2)).toBe(w.k!.toLowerCase())
          checked++
        } else if (g.function === 'encapsulationKeyCheck') {
          const r = encapsulate(Buffer.from(t.ek!, 'hex'))
          expect(r.reverted === undefined, `tg ${g.tgId} tc ${t.tcId}`).toBe(w.testPassed)
          checked++
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(100)
  })

  for (const lv of ['512', '768', '1024'] as const) {
    it(`Wycheproof ML-KEM-${lv}: keys from seeds, and the off-chain decapsulation of their ciphertexts`, () => {
      const file = join(VECTORS, 'wycheproof', `mlkem_${lv}_test.json`)
      if (!existsSync(file)) {
        console.warn(`skipped: ${file} not found (set PARS_VECTORS)`)
        return
      }
      const level = ML_KEM_LEVELS.find((l) => l.name === `ML-KEM-${lv}`)!
      type T = { tcId: number; seed: string; ek?: string; c: string; K: string; result: string }
      const data = JSON.parse(readFileSync(file, 'utf8')) as { testGroups: { tests: T[] }[] }
      let checked = 0
      for (const g of data.testGroups) {
        for (const t of g.tests) {
          const seed = Buffer.from(t.seed, 'hex')
          let outcome: { ek: string; K: string } | undefined
          try {
            const { publicKey, secretKey } = level.impl.keygen(seed)
            outcome = { ek: toHex(publicKey).slice(2), K: toHex(level.impl.decapsulate(Buffer.from(t.c, 'hex'), secretKey)).slice(2) }
          } catch {
            outcome = undefined
          }
          if (t.result === 'valid') {
            expect(outcome, `tcId ${t.tcId}`).toEqual({ ek: t.ek!.toLowerCase(), K: t.K.toLowerCase() })
          } else {
            // a seed or ciphertext of the wrong length is refused outright
            expect(outcome, `tcId ${t.tcId}`).toBeUndefined()
          }
          checked++
        }
      }
      expect(checked).toBeGreaterThan(50)
    })
  }

  it('Wycheproof ML-KEM-768 encapsulation: (ek, m) gives (c, K), and a key failing the modulus check reverts in the precompile', () => {
    const file = join(VECTORS, 'wycheproof', 'mlkem_768_encaps_test.json')
    if (!existsSync(file)) {
      console.warn(`skipped: ${file} not found (set PARS_VECTORS)`)
      return
    }
    type T = { tcId: number; m: string; ek: string; c: string; K: string; result: string }
    const data = JSON.parse(readFileSync(file, 'utf8')) as { testGroups: { tests: T[] }[] }
    let checked = 0
    for (const g of data.testGroups) {
      for (const t of g.tests) {
        const ek = Buffer.from(t.ek, 'hex')
        const viaPrecompile = encapsulate(ek)
        if (t.result === 'valid') {
          const r = ml_kem768.encapsulate(ek, Buffer.from(t.m, 'hex'))
          expect(toHex(r.cipherText).slice(2), `tcId ${t.tcId}`).toBe(t.c.toLowerCase())
          expect(toHex(r.sharedSecret).slice(2), `tcId ${t.tcId}`).toBe(t.K.toLowerCase())
          expect(viaPrecompile.reverted, `tcId ${t.tcId}`).toBeUndefined()
        } else {
          expect(viaPrecompile.reverted, `tcId ${t.tcId}`).toBeDefined()
        }
        checked++
      }
    }
    expect(checked).toBeGreaterThan(100)
  })
})
