import { decodeErrorResult, decodeFunctionResult, encodeFunctionData, hexToBytes, parseAbi, toHex } from 'viem'
import { describe, expect, it } from 'vitest'
import { IHPKE_ABI, executeAsync, hpkeOpen, hpkePrecompile, hpkeSeal, hpkeSuites } from '../../../../precompiles/index.js'

const ERROR_ABI = parseAbi(['error Error(string)'])
const HPKE = hpkePrecompile()
const SUITES = hpkeSuites()
const info = new TextEncoder().encode('pars-hpke-test')
const aad = Uint8Array.of(1, 2, 3)
const msg = new TextEncoder().encode('sealed on-chain, opened off-chain')

async function seal(suite: number, pk: Uint8Array, rnd: Uint8Array): Promise<{ enc?: Uint8Array; ct?: Uint8Array; reverted?: string }> {
  const data = encodeFunctionData({
    abi: IHPKE_ABI,
    functionName: 'seal',
    args: [suite, toHex(pk), toHex(info), toHex(aad), toHex(msg), toHex(rnd)],
  })
  const r = await executeAsync(HPKE, hexToBytes(data), 100_000_000n)
  if (r.exceptionError !== undefined)
    return { reverted: decodeErrorResult({ abi: ERROR_ABI, data: toHex(r.returnValue) }).args[0] as string }
  const [enc, ct] = decodeFunctionResult({ abi: IHPKE_ABI, functionName: 'seal', data: toHex(r.returnValue) }) as [
    `0x${string}`,
    `0x${string}`,
  ]
  return { enc: hexToBytes(enc), ct: hexToBytes(ct) }
}

async function keys(i: number): Promise<{ pk: Uint8Array; sk: Uint8Array }> {
  const kem = SUITES[i]!.suite.kem
  const kp = await kem.deriveKeyPair(new Uint8Array(32).fill(i + 1).buffer)
  return {
    pk: new Uint8Array(await kem.serializePublicKey(kp.publicKey)),
    sk: new Uint8Array(await kem.serializePrivateKey(kp.privateKey)),
  }
}

describe('0x0702 IHPKE', () => {
  for (const [i, name] of [
    [0, 'X25519'],
    [1, 'X-Wing'],
  ] as const) {
    it(`suite ${i} (${name}): the recipient opens what the precompile sealed; the same randomness seals the same bytes`, async () => {
      const { pk, sk } = await keys(i)
      const rnd = new Uint8Array(SUITES[i]!.randomness).fill(7)
      const a = await seal(i, pk, rnd)
      expect(await hpkeOpen(SUITES[i]!, sk, a.enc!, a.ct!, info, aad)).toEqual(msg)
      expect(await seal(i, pk, rnd)).toEqual(a)
      // the TypeScript counterpart seals the same bytes
      const b = await hpkeSeal(SUITES[i]!, pk, info, aad, msg, rnd)
      expect({ enc: b.enc, ct: b.ciphertext }).toEqual(a)
      // a changed aad does not open
      await expect(hpkeOpen(SUITES[i]!, sk, a.enc!, a.ct!, info, Uint8Array.of(9))).rejects.toThrow()
    })
  }

  it('reverts on an unknown suite, wrong key or randomness length, a refused open', async () => {
    const { pk } = await keys(0)
    expect((await seal(2, pk, new Uint8Array(32))).reverted).toMatch(/unknown suite 2/)
    expect((await seal(0, pk.subarray(1), new Uint8Array(32))).reverted).toMatch(/public key must be 32 bytes/)
    expect((await seal(0, pk, new Uint8Array(31))).reverted).toMatch(/randomness must be 32 bytes/)
    expect((await seal(1, new Uint8Array(1216), new Uint8Array(63))).reverted).toMatch(/randomness must be 64 bytes/)
    const data = encodeFunctionData({ abi: IHPKE_ABI, functionName: 'open', args: [0, toHex(new Uint8Array(32)), '0x', '0x', '0x', '0x'] })
    const r = await executeAsync(HPKE, hexToBytes(data), 100_000_000n)
    expect(decodeErrorResult({ abi: ERROR_ABI, data: toHex(r.returnValue) }).args[0]).toMatch(/secret key in public calldata/)
  })
})
