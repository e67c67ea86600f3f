import { existsSync, readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { join, resolve } from 'node:path'
import { ml_dsa44, ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js'
import { decodeErrorResult, decodeFunctionResult, encodeFunctionData, parseAbi, toHex, type Hex } from 'viem'
import { describe, expect, it } from 'vitest'
import { IMLDSA_ABI, execute, mldsaPrecompile } from '../../../../precompiles/index.js'

const VECTORS = process.env['PARS_VECTORS'] ?? resolve(__dirname, '../../../../../shared/vectors')
const ERROR_ABI = parseAbi(['error Error(string)'])
const PLENTY = 10_000_000n

/** Call the precompile as the EVM would; the decoded bool, or the revert reason. */
function callVerify(
  pk: Uint8Array,
  msg: Uint8Array,
  sig: Uint8Array,
  ctx?: Uint8Array,
): { valid?: boolean; reverted?: string; gas: bigint } {
  const data =
    ctx === undefined
      ? encodeFunctionData({ abi: IMLDSA_ABI, functionName: 'verify', args: [toHex(pk), toHex(msg), toHex(sig)] })
      : encodeFunctionData({ abi: IMLDSA_ABI, functionName: 'verifyWithContext', args: [toHex(pk), toHex(msg), toHex(sig), toHex(ctx)] })
  const input = Buffer.from(data.slice(2), 'hex')
  const r = execute(mldsaPrecompile, input, PLENTY)
  if (r.exceptionError !== undefined) {
    const e = decodeErrorResult({ abi: ERROR_ABI, data: toHex(r.returnValue) })
    return { reverted: e.args[0] as string, gas: r.executionGasUsed }
  }
  const fn = ctx === undefined ? 'verify' : 'verifyWithContext'
  return {
    valid: decodeFunctionResult({ abi: IMLDSA_ABI, functionName: fn, data: toHex(r.returnValue) }) as boolean,
    gas: r.executionGasUsed,
  }
}

describe('0x0600 IMLDSA', () => {
  const levels = [
    ['44', ml_dsa44],
    ['65', ml_dsa65],
    ['87', ml_dsa87],
  ] as const

  for (const [lv, impl] of levels) {
    it(`ML-DSA-${lv}: a signature verifies, a wrong message or context does not`, () => {
      const { publicKey, secretKey } = impl.keygen(new Uint8Array(32).fill(Number(lv)))
      const msg = new TextEncoder().encode('pars session message')
      const sig = impl.sign(msg, secretKey)
      expect(callVerify(publicKey, msg, sig).valid).toBe(true)
      expect(callVerify(publicKey, new TextEncoder().encode('pars session massage'), sig).valid).toBe(false)
      const ctx = new TextEncoder().encode('pars-trigger')
      const sigCtx = impl.sign(msg, secretKey, { context: ctx })
      expect(callVerify(publicKey, msg, sigCtx, ctx).valid).toBe(true)
      expect(callVerify(publicKey, msg, sigCtx).valid).toBe(false)
      expect(callVerify(publicKey, msg, sig, ctx).valid).toBe(false)
    })
  }

  it('refuses keyGen and sign: they would put secrets in calldata', () => {
    for (const [fn, args] of [
      ['keyGen', ['0x' + '00'.repeat(32)]],
      ['sign', ['0x' + '11'.repeat(2560), '0x01']],
    ] as const) {
      const data = encodeFunctionData({ abi: IMLDSA_ABI, functionName: fn, args: args as never })
      const r = execute(mldsaPrecompile, Buffer.from(data.slice(2), 'hex'), PLENTY)
      expect(r.exceptionError?.error).toBe('revert')
      expect(decodeErrorResult({ abi: ERROR_ABI, data: toHex(r.returnValue) }).args[0]).toMatch(/secret key in public calldata/)
    }
  })

  it('reverts on malformed input and never throws', () => {
    const { publicKey } = ml_dsa44.keygen(new Uint8Array(32))
    expect(callVerify(publicKey.subarray(1), new Uint8Array(1), new Uint8Array(2420)).reverted).toMatch(/not ML-DSA-44, -65 or -87/)
    expect(callVerify(publicKey, new Uint8Array(1), new Uint8Array(2419)).reverted).toMatch(/signature must be 2420 bytes/)
    expect(callVerify(publicKey, new Uint8Array(1), new Uint8Array(2420), new Uint8Array(256)).reverted).toMatch(/context longer than 255/)
    for (const input of [new Uint8Array(0), Uint8Array.of(1, 2, 3), Buffer.from('deadbeef' + '00'.repeat(64), 'hex')]) {
      const r = execute(mldsaPrecompile, input, PLENTY)
      expect(r.exceptionError?.error).toBe('revert')
    }
    // a truncated ABI encoding of a real selector
    const data = encodeFunctionData({ abi: IMLDSA_ABI, functionName: 'verify', args: [toHex(publicKey), '0x01', '0x02'] })
    expect(execute(mldsaPrecompile, Buffer.from(data.slice(2, 200), 'hex'), PLENTY).exceptionError?.error).toBe('revert')
  })

  it('charges gas before any work: too little gas is out of gas with nothing done', () => {
    const input = new Uint8Array(5000)
    const need = mldsaPrecompile.gas(input)
    const r = execute(mldsaPrecompile, input, need - 1n)
    expect(r.exceptionError?.error).toBe('out of gas')
    expect(r.executionGasUsed).toBe(need - 1n)
    // the price grows with the input
    expect(mldsaPrecompile.gas(new Uint8Array(10_000))).toBeGreaterThan(need)
  })

  for (const lv of ['44', '65', '87'] as const) {
    it(`agrees with every Wycheproof ML-DSA-${lv} verify vector (valid: true; invalid: false or revert)`, () => {
      const file = join(VECTORS, 'wycheproof', `mldsa_${lv}_verify_test.json`)
      if (!existsSync(file)) {
        console.warn(`skipped: ${file} not found (set PARS_VECTORS)`)
        return
      }
      const data = JSON.parse(readFileSync(file, 'utf8')) as {
        testGroups: { publicKey: string; tests: { tcId: number; msg: string; sig: string; ctx?: string; result: string }[] }[]
      }
      let checked = 0
      for (const g of data.testGroups) {
        const pk = Buffer.from(g.publicKey, 'hex')
        for (const t of g.tests) {
          const r = callVerify(
            pk,
            Buffer.from(t.msg, 'hex'),
            Buffer.from(t.sig, 'hex'),
            t.ctx === undefined ? undefined : Buffer.from(t.ctx, 'hex'),
          )
          const accepted = r.valid === true
          expect(accepted, `tcId ${t.tcId}: ${r.reverted ?? String(r.valid)}`).toBe(t.result === 'valid')
          checked++
        }
      }
      expect(checked).toBeGreaterThan(100)
    })
  }

  it('agrees with the NIST ACVP ML-DSA sigVer vectors of the pure external interface (with contexts)', () => {
    const dir = join(VECTORS, 'acvp')
    const promptFile = join(dir, 'ML-DSA-sigVer-FIPS204.prompt.json.gz')
    if (!existsSync(promptFile)) {
      console.warn(`skipped: ${promptFile} not found (set PARS_VECTORS)`)
      return
    }
    const read = (f: string): unknown => JSON.parse(gunzipSync(readFileSync(join(dir, f))).toString('utf8'))
    type Prompt = {
      testGroups: {
        tgId: number
        signatureInterface: string
        preHash?: string
        tests: { tcId: number; pk: string; message: string; context: string; signature: string }[]
      }[]
    }
    type Expected = { testGroups: { tgId: number; tests: { tcId: number; testPassed: boolean }[] }[] }
    const prompt = read('ML-DSA-sigVer-FIPS204.prompt.json.gz') as Prompt
    const expected = read('ML-DSA-sigVer-FIPS204.expectedResults.json.gz') as Expected
    const want = new Map<string, boolean>()
    for (const g of expected.testGroups) for (const t of g.tests) want.set(`${g.tgId}/${t.tcId}`, t.testPassed)
    let checked = 0
    for (const g of prompt.testGroups) {
      // the precompile is FIPS 204 pure ML-DSA over the message; pre-hash and internal (mu) forms are not its interface
      if (g.signatureInterface !== 'external' || g.preHash !== 'pure') continue
      for (const t of g.tests) {
        const r = callVerify(
          Buffer.from(t.pk, 'hex'),
          Buffer.from(t.message, 'hex'),
          Buffer.from(t.signature, 'hex'),
          Buffer.from(t.context, 'hex'),
        )
        expect(r.valid === true, `tg ${g.tgId} tc ${t.tcId}: ${r.reverted ?? String(r.valid)}`).toBe(want.get(`${g.tgId}/${t.tcId}`))
        checked++
      }
    }
    expect(checked).toBeGreaterThanOrEqual(45)
  })
})

export type { Hex }
