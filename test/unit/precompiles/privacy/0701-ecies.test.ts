import { secp256k1 } from '@noble/curves/secp256k1.js'
import { decodeErrorResult, decodeFunctionResult, encodeFunctionData, hexToBytes, parseAbi, toHex } from 'viem'
import { describe, expect, it } from 'vitest'
import { IECIES_ABI, eciesDecrypt, eciesEncrypt, eciesPrecompile, execute } from '../../../../precompiles/index.js'

const ERROR_ABI = parseAbi(['error Error(string)'])

function encrypt(pk: Uint8Array, pt: Uint8Array, rnd: Uint8Array): { ct?: Uint8Array; reverted?: string } {
  const data = encodeFunctionData({ abi: IECIES_ABI, functionName: 'encrypt', args: [toHex(pk), toHex(pt), toHex(rnd)] })
  const r = execute(eciesPrecompile, hexToBytes(data), 10_000_000n)
  if (r.exceptionError !== undefined)
    return { reverted: decodeErrorResult({ abi: ERROR_ABI, data: toHex(r.returnValue) }).args[0] as string }
  return { ct: hexToBytes(decodeFunctionResult({ abi: IECIES_ABI, functionName: 'encrypt', data: toHex(r.returnValue) }) as `0x${string}`) }
}

describe('0x0701 IECIES', () => {
  const sk = secp256k1.utils.randomSecretKey()
  const pk = secp256k1.getPublicKey(sk, true)
  const msg = new TextEncoder().encode('to the holder of this key')

  it('encrypts to a compressed or uncompressed key; the recipient decrypts off-chain', () => {
    const rnd = new Uint8Array(32).fill(42)
    const a = encrypt(pk, msg, rnd).ct!
    expect(eciesDecrypt(sk, a)).toEqual(msg)
    const b = encrypt(secp256k1.getPublicKey(sk, false), msg, rnd).ct!
    expect(b).toEqual(a) // the same key in either form, the same randomness: the same ciphertext
    // the precompile and the TypeScript counterpart agree byte for byte
    expect(eciesEncrypt(pk, msg, rnd)).toEqual(a)
  })

  it('is deterministic in the randomness, and another key cannot open it, nor a forged ciphertext', () => {
    const a = encrypt(pk, msg, new Uint8Array(32).fill(1)).ct!
    expect(encrypt(pk, msg, new Uint8Array(32).fill(1)).ct).toEqual(a)
    expect(encrypt(pk, msg, new Uint8Array(32).fill(2)).ct).not.toEqual(a)
    expect(() => eciesDecrypt(secp256k1.utils.randomSecretKey(), a)).toThrow()
    const forged = Uint8Array.from(a)
    forged[40] ^= 1
    expect(() => eciesDecrypt(sk, forged)).toThrow()
    // randomness 0 and n-1 are still usable ephemeral keys
    expect(eciesDecrypt(sk, encrypt(pk, msg, new Uint8Array(32)).ct!)).toEqual(msg)
    expect(eciesDecrypt(sk, encrypt(pk, msg, new Uint8Array(32).fill(0xff)).ct!)).toEqual(msg)
  })

  it('reverts on a bad key, refuses decrypt, and never throws', () => {
    expect(encrypt(Uint8Array.of(2, ...new Uint8Array(32).fill(0xff)), msg, new Uint8Array(32)).reverted).toMatch(/not a point/)
    expect(encrypt(new Uint8Array(20), msg, new Uint8Array(32)).reverted).toMatch(/33 or 65 bytes/)
    const d = encodeFunctionData({ abi: IECIES_ABI, functionName: 'decrypt', args: [toHex(sk), '0x00'] })
    const r = execute(eciesPrecompile, hexToBytes(d), 10_000_000n)
    expect(decodeErrorResult({ abi: ERROR_ABI, data: toHex(r.returnValue) }).args[0]).toMatch(/secret key in public calldata/)
  })
})
