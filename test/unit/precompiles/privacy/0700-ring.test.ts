import { secp256k1 } from '@noble/curves/secp256k1.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { decodeErrorResult, decodeFunctionResult, encodeFunctionData, hexToBytes, parseAbi, toHex } from 'viem'
import { describe, expect, it } from 'vitest'
import { nativeSecp256k1 } from '../../../../common/index.js'
import {
  IRING_ABI,
  MAX_RING,
  RING_GAS_BASE,
  RING_GAS_PER_MEMBER,
  execute,
  hashToPoint,
  ringKeyImage,
  ringPrecompile,
  ringSign,
  ringVerify,
} from '../../../../precompiles/index.js'
import { __reference } from '../../../../precompiles/privacy/ring.js'

const ERROR_ABI = parseAbi(['error Error(string)'])
const enc = new TextEncoder()

const keys = Array.from({ length: 5 }, (_, i) => keccak_256(Uint8Array.of(7, i)))
const ring = keys.map((k) => secp256k1.getPublicKey(k, true))
const msg = enc.encode('one vote per member')

function call(
  ringBytes: Uint8Array,
  message: Uint8Array,
  sig: Uint8Array,
  gas = 10_000_000n,
): { valid?: boolean; image?: string; reverted?: string } {
  const data = hexToBytes(
    encodeFunctionData({ abi: IRING_ABI, functionName: 'verify', args: [toHex(ringBytes), toHex(message), toHex(sig)] }),
  )
  const r = execute(ringPrecompile, data, gas)
  if (r.exceptionError !== undefined) {
    if (r.returnValue.length === 0) return { reverted: r.exceptionError.error }
    return { reverted: decodeErrorResult({ abi: ERROR_ABI, data: toHex(r.returnValue) }).args[0] as string }
  }
  const [valid, image] = decodeFunctionResult({ abi: IRING_ABI, functionName: 'verify', data: toHex(r.returnValue) }) as [
    boolean,
    `0x${string}`,
  ]
  return { valid, image }
}

const concat = (parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]))

describe('linkable ring signatures (LSAG over secp256k1)', () => {
  it('any member signs; the signature verifies and carries that key image, which names no member', () => {
    for (const [i, k] of keys.entries()) {
      const sig = ringSign(msg, ring, k)
      expect(sig.length).toBe(65 + 32 * ring.length)
      const r = ringVerify(msg, ring, sig)
      expect(r.valid, `member ${i}`).toBe(true)
      expect(r.keyImage).toEqual(ringKeyImage(k))
    }
    const images = new Set(keys.map((k) => toHex(ringKeyImage(k))))
    expect(images.size).toBe(keys.length)
    // the key image is not any member's public key
    for (const P of ring) expect(images.has(toHex(P))).toBe(false)
  })

  it('links: one key signing twice, in another ring and on another message, shows the same key image', () => {
    const a = ringVerify(msg, ring, ringSign(msg, ring, keys[2]!))
    const other = [ring[2]!, secp256k1.getPublicKey(keccak_256(Uint8Array.of(99)), true)]
    const m2 = enc.encode('a second vote')
    const b = ringVerify(m2, other, ringSign(m2, other, keys[2]!))
    expect(b.valid).toBe(true)
    expect(b.keyImage).toEqual(a.keyImage)
    // signatures are randomised: the same key and message sign differently, and both verify
    expect(ringSign(msg, ring, keys[2]!)).not.toEqual(ringSign(msg, ring, keys[2]!))
  })

  it('rejects another message, another ring, a reordered ring, a swapped key image and any flipped bit', () => {
    const sig = ringSign(msg, ring, keys[1]!)
    expect(ringVerify(enc.encode('one vote per membeR'), ring, sig).valid).toBe(false)
    expect(ringVerify(msg, [...ring.slice(0, 4), secp256k1.getPublicKey(keccak_256(Uint8Array.of(1)), true)], sig).valid).toBe(false)
    expect(ringVerify(msg, [...ring].reverse(), sig).valid).toBe(false)
    const swapped = Uint8Array.from(sig)
    swapped.set(ringKeyImage(keys[3]!), 0)
    expect(ringVerify(msg, ring, swapped).valid).toBe(false)
    for (const at of [0, 1, 20, 33, 50, 64, 65, 100, sig.length - 1]) {
      const f = Uint8Array.from(sig)
      f[at]! ^= 0x01
      expect(ringVerify(msg, ring, f).valid, `bit flipped at ${at}`).toBe(false)
    }
    expect(ringVerify(msg, ring, sig.subarray(0, sig.length - 32)).valid).toBe(false)
  })

  it('the signer cannot negate its key image to sign a second time unlinked', () => {
    const sig = ringSign(msg, ring, keys[0]!)
    const negated = Uint8Array.from(sig)
    negated[0] = negated[0] === 2 ? 3 : 2 // -I has the same x and the other parity
    expect(ringVerify(msg, ring, negated).valid).toBe(false)
  })

  it('zero and out-of-range scalars, or a key image off the curve, are invalid signatures, not errors', () => {
    const zeros = new Uint8Array(65 + 32 * ring.length)
    zeros.set(ringKeyImage(keys[0]!), 0)
    expect(ringVerify(msg, ring, zeros).valid).toBe(false)
    const big = Uint8Array.from(ringSign(msg, ring, keys[0]!))
    big.fill(0xff, 65, 97)
    expect(ringVerify(msg, ring, big).valid).toBe(false)
    const offCurve = Uint8Array.from(ringSign(msg, ring, keys[0]!))
    offCurve.set([2, ...new Uint8Array(32).fill(0xff)], 0)
    expect(ringVerify(msg, ring, offCurve).valid).toBe(false)
  })

  it('libsecp256k1 and noble compute every step alike (zero scalars and the point at infinity included)', () => {
    expect(nativeSecp256k1, 'the native binding loads on this machine').toBeDefined()
    const n = secp256k1.Point.CURVE().n
    const x = secp256k1.Point.Fn.fromBytes(keys[0]!)
    const rnd = () => secp256k1.Point.Fn.fromBytes(secp256k1.utils.randomSecretKey())
    const cases: [bigint, Uint8Array | undefined, bigint, Uint8Array][] = [
      [0n, undefined, 5n, ring[1]!],
      [7n, ring[2]!, 0n, ring[3]!],
      [n - 1n, undefined, 1n, ring[0]!],
    ]
    for (let i = 0; i < 40; i++) cases.push([rnd(), i % 2 ? undefined : ring[i % 5]!, rnd(), ring[(i + 1) % 5]!])
    for (const [s, A, c, B] of cases) expect(__reference.combo(s, A, c, B)).toEqual(__reference.nobleCombo(s, A, c, B))
    // s·G + c·P at infinity (s = -c·x): both refuse
    const c = 12345n
    const s = (n - ((c * x) % n)) % n
    expect(() => __reference.nobleCombo(s, undefined, c, ring[0]!)).toThrow()
    expect(() => __reference.combo(s, undefined, c, ring[0]!)).toThrow()
    // point decoding: random x coordinates, half of them on the curve
    for (let i = 0; i < 400; i++) {
      const p = Uint8Array.of(2 + (i % 2), ...keccak_256(Uint8Array.of(i >> 8, i)))
      expect(__reference.isPoint(p)).toBe(__reference.nobleIsPoint(p))
    }
    const h = hashToPoint(ring[0]!)
    expect(h[0]).toBe(2)
    expect(() => secp256k1.Point.fromBytes(h)).not.toThrow()
  })
})

describe('0x0700 IRingSignature', () => {
  const ringBytes = concat(ring)

  it('verify returns (true, key image) for a good signature and (false, empty) for a bad one', () => {
    const sig = ringSign(msg, ring, keys[4]!)
    expect(call(ringBytes, msg, sig)).toEqual({ valid: true, image: toHex(ringKeyImage(keys[4]!)) })
    const forged = Uint8Array.from(sig)
    forged[70]! ^= 4
    expect(call(ringBytes, msg, forged)).toEqual({ valid: false, image: '0x' })
    expect(call(ringBytes, msg, new Uint8Array(3))).toEqual({ valid: false, image: '0x' })
  })

  it('reverts on a malformed ring, a ring out of range, a key off the curve, and refuses sign and keyImage', () => {
    const sig = ringSign(msg, ring, keys[0]!)
    expect(call(ringBytes.subarray(1), msg, sig).reverted).toMatch(/33-byte compressed keys/)
    expect(call(ring[0]!, msg, sig).reverted).toMatch(/2 to 64 keys, got 1/)
    const tooMany = concat(Array.from({ length: MAX_RING + 1 }, () => ring[0]!))
    expect(call(tooMany, msg, sig).reverted).toMatch(/2 to 64 keys, got 65/)
    const offCurve = Uint8Array.from(ringBytes)
    offCurve.set([2, ...new Uint8Array(32).fill(0xff)], 33)
    expect(call(offCurve, msg, sig).reverted).toMatch(/not a compressed secp256k1 point/)
    for (const [functionName, args] of [
      ['sign', [toHex(ringBytes), toHex(msg), toHex(keys[0]!)]],
      ['keyImage', [toHex(keys[0]!)]],
    ] as const) {
      const data = encodeFunctionData({ abi: IRING_ABI, functionName, args } as Parameters<typeof encodeFunctionData>[0])
      const r = execute(ringPrecompile, hexToBytes(data), 10_000_000n)
      expect(decodeErrorResult({ abi: ERROR_ABI, data: toHex(r.returnValue) }).args[0]).toMatch(/secret key in public calldata/)
    }
  })

  it('prices by ring size before any work; a head that names no ring is priced as one member', () => {
    const sig = ringSign(msg, ring, keys[0]!)
    const data = hexToBytes(
      encodeFunctionData({ abi: IRING_ABI, functionName: 'verify', args: [toHex(ringBytes), toHex(msg), toHex(sig)] }),
    )
    const gas = ringPrecompile.gas(data)
    expect(gas).toBeGreaterThan(RING_GAS_BASE + RING_GAS_PER_MEMBER * 5n)
    expect(gas).toBeLessThan(RING_GAS_BASE + RING_GAS_PER_MEMBER * 6n)
    // one gas short: out of gas, all of it used, nothing computed
    const r = execute(ringPrecompile, data, gas - 1n)
    expect(r.exceptionError?.error).toBe('out of gas')
    expect(r.executionGasUsed).toBe(gas - 1n)
    const garbage = Uint8Array.of(...data.subarray(0, 4), ...new Uint8Array(32).fill(0xff))
    expect(ringPrecompile.gas(garbage)).toBeLessThan(RING_GAS_BASE + 2n * RING_GAS_PER_MEMBER)
    expect(execute(ringPrecompile, garbage, 10_000_000n).exceptionError?.error).toBe('revert')
  })
})
