import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js'
import { concat, nativeSecp256k1 } from '../../common/index.js'

/**
 * Linkable ring signatures over secp256k1: LSAG (Liu, Wei and Wong 2004; the scheme Monero used
 * before CLSAG), as the 0x0700 precompile verifies it and as ringSign makes it.
 *
 *   ring       P_0 .. P_{n-1}: 33-byte compressed keys, 2 <= n <= MAX_RING (repeats allowed)
 *   Hp(P)      try-and-increment: for t = 0, 1, ..: x = SHA-256("pars-ring-v1/point" ‖ P ‖ t);
 *              the first x that is a curve point's x gives the point with even y (about two tries)
 *   key image  I = x·Hp(P_π) for the signer's key x (P_π = x·G): one per key, whatever the ring
 *              or message, and nothing in it says which member made it
 *   prefix     h = SHA-256("pars-ring-v1/ring" ‖ u16 n ‖ P_0 ‖ .. ‖ P_{n-1} ‖ I ‖ SHA-256(message))
 *   challenge  c_{i+1} = SHA-256(h ‖ L_i ‖ R_i) mod q, with (33-byte compressed)
 *              L_i = s_i·G + c_i·P_i   and   R_i = s_i·Hp(P_i) + c_i·I
 *   signature  I (33) ‖ c_0 (32) ‖ s_0 .. s_{n-1} (32 each), scalars big-endian and below q
 *
 * A signature is valid when the chain of challenges closes (c_n = c_0). Two valid signatures with
 * the same key image were made by the same key: a contract records the image to allow one action
 * per key (one vote, one claim) without learning whose key it is.
 *
 * The curve arithmetic runs on libsecp256k1 when its binding loads (about 15x faster) and on noble
 * otherwise; noble is the reference: whenever a native call throws (a sum at infinity), noble
 * computes that step, and a unit test checks the two agree.
 */
export const RING_DOMAIN = 'pars-ring-v1'
export const MAX_RING = 64
export const MIN_RING = 2

const Point = secp256k1.Point
type Pt = InstanceType<typeof Point>
const Q = Point.CURVE().n
const enc = new TextEncoder()
const POINT_TAG = enc.encode(`${RING_DOMAIN}/point`)
const RING_TAG = enc.encode(`${RING_DOMAIN}/ring`)

/** The ring signature's verification result. keyImage is set only when valid. */
export interface RingVerification {
  valid: boolean
  keyImage?: Uint8Array
}

const toBig = bytesToNumberBE
const to32 = (n: bigint): Uint8Array => numberToBytesBE(n, 32)

/** The curve steps, native first, noble deciding whenever native throws. Points are 33-byte compressed. */
function isPoint(p: Uint8Array): boolean {
  if (nativeSecp256k1 === undefined) return nobleIsPoint(p)
  return p.length === 33 && (p[0] === 2 || p[0] === 3) && nativeSecp256k1.publicKeyVerify(p)
}

function nobleIsPoint(p: Uint8Array): boolean {
  if (p.length !== 33 || (p[0] !== 2 && p[0] !== 3)) return false
  try {
    Point.fromBytes(p)
    return true
  } catch {
    return false
  }
}

function nobleCombo(s: bigint, A: Uint8Array | undefined, c: bigint, B: Uint8Array): Uint8Array {
  const a: Pt = A === undefined ? Point.BASE.multiplyUnsafe(s) : Point.fromBytes(A).multiplyUnsafe(s)
  const sum = a.add(Point.fromBytes(B).multiplyUnsafe(c))
  return sum.toBytes(true) // throws at infinity: no signature hashes that
}

/** s·A + c·B, A = G when undefined; throws when the sum is the point at infinity. */
function combo(s: bigint, A: Uint8Array | undefined, c: bigint, B: Uint8Array): Uint8Array {
  if (nativeSecp256k1 !== undefined) {
    // zero scalars are legal input but libsecp256k1 refuses them: handled here, so that no input can
    // push verification onto the slower reference path more than once (a sum at infinity ends it)
    if (s === 0n && c === 0n) throw new RangeError('point at infinity')
    try {
      const cb = c === 0n ? undefined : nativeSecp256k1.publicKeyTweakMul(B, to32(c), true)
      if (s === 0n) return cb!
      const sa = A === undefined ? nativeSecp256k1.publicKeyCreate(to32(s), true) : nativeSecp256k1.publicKeyTweakMul(A, to32(s), true)
      return cb === undefined ? sa : nativeSecp256k1.publicKeyCombine([sa, cb], true)
    } catch {
      // a sum at infinity (or any native refusal): the reference decides
    }
  }
  return nobleCombo(s, A, c, B)
}

/** Hp: a point nobody knows the discrete log of, from a ring member's key (see the scheme above). */
export function hashToPoint(publicKey: Uint8Array): Uint8Array {
  const candidate = new Uint8Array(33)
  candidate[0] = 2
  const input = concat(POINT_TAG, publicKey, new Uint8Array(1))
  for (let t = 0; t < 256; t++) {
    input[input.length - 1] = t
    candidate.set(sha256(input), 1)
    if (isPoint(candidate)) return candidate
  }
  // 2^-256 likely; no key in the world reaches it
  throw new Error('hashToPoint: no point in 256 tries')
}

function scalarOf(b: Uint8Array): bigint {
  return toBig(sha256(b)) % Q
}

function prefix(ring: readonly Uint8Array[], keyImage: Uint8Array, message: Uint8Array): Uint8Array {
  const n = new Uint8Array([ring.length >> 8, ring.length & 0xff])
  return sha256(concat(RING_TAG, n, ...ring, keyImage, sha256(message)))
}

function challenge(h: Uint8Array, L: Uint8Array, R: Uint8Array): bigint {
  return scalarOf(concat(h, L, R))
}

/** Split a concatenation of 33-byte keys; undefined if the length is not a multiple of 33. */
export function splitRing(ring: Uint8Array): Uint8Array[] | undefined {
  if (ring.length % 33 !== 0) return undefined
  const out: Uint8Array[] = []
  for (let at = 0; at < ring.length; at += 33) out.push(ring.subarray(at, at + 33))
  return out
}

/** The 33-byte compressed key image of a secp256k1 private key: what a contract sees to link its signatures. */
export function ringKeyImage(privateKey: Uint8Array): Uint8Array {
  const x = secp256k1.Point.Fn.fromBytes(privateKey)
  const P = secp256k1.getPublicKey(privateKey, true)
  return Point.fromBytes(hashToPoint(P)).multiply(x).toBytes(true)
}

function randomScalar(): bigint {
  return secp256k1.Point.Fn.fromBytes(secp256k1.utils.randomSecretKey())
}

/**
 * Sign `message` as one member of `ring` (33-byte compressed keys; the signer's own key among them)
 * with a fresh random nonce. Throws if the key is not in the ring or the ring's size is out of range.
 */
export function ringSign(message: Uint8Array, ring: readonly Uint8Array[], privateKey: Uint8Array): Uint8Array {
  if (ring.length < MIN_RING || ring.length > MAX_RING)
    throw new Error(`ring must have ${MIN_RING} to ${MAX_RING} keys, got ${ring.length}`)
  for (const P of ring) if (!isPoint(P)) throw new Error('ring keys must be 33-byte compressed secp256k1 points')
  const x = secp256k1.Point.Fn.fromBytes(privateKey)
  const own = secp256k1.getPublicKey(privateKey, true)
  const pi = ring.findIndex((P) => P.every((b, i) => b === own[i]))
  if (pi < 0) throw new Error("the signer's public key is not in the ring")
  const n = ring.length
  const hp = ring.map(hashToPoint)
  const image = Point.fromBytes(hp[pi]!).multiply(x).toBytes(true)
  const h = prefix(ring, image, message)
  const c = new Array<bigint>(n)
  const s = new Array<bigint>(n)
  const alpha = randomScalar()
  let next = (pi + 1) % n
  c[next] = challenge(h, Point.BASE.multiply(alpha).toBytes(true), Point.fromBytes(hp[pi]!).multiply(alpha).toBytes(true))
  for (let i = next; i !== pi; i = next) {
    next = (i + 1) % n
    s[i] = randomScalar()
    c[next] = challenge(h, combo(s[i]!, undefined, c[i]!, ring[i]!), combo(s[i]!, hp[i]!, c[i]!, image))
  }
  s[pi] = secp256k1.Point.Fn.sub(alpha, secp256k1.Point.Fn.mul(c[pi]!, x))
  return concat(image, to32(c[0]!), ...s.map((v) => to32(v!)))
}

/**
 * Check a ring signature. Returns { valid: false } for any signature that does not verify, including
 * one of the wrong length or with scalars out of range; throws only on a malformed ring (size out of
 * range, or a key that is not a point), which the precompile turns into a revert.
 */
export function ringVerify(message: Uint8Array, ring: readonly Uint8Array[], signature: Uint8Array): RingVerification {
  const n = ring.length
  if (n < MIN_RING || n > MAX_RING) throw new RangeError(`ring must have ${MIN_RING} to ${MAX_RING} keys, got ${n}`)
  for (const P of ring) if (!isPoint(P)) throw new RangeError('ring keys must be 33-byte compressed secp256k1 points')
  if (signature.length !== 65 + 32 * n) return { valid: false }
  const image = signature.subarray(0, 33)
  if (!isPoint(image)) return { valid: false }
  const c0 = toBig(signature.subarray(33, 65))
  const s: bigint[] = []
  for (let i = 0; i < n; i++) {
    const v = toBig(signature.subarray(65 + 32 * i, 97 + 32 * i))
    if (v >= Q) return { valid: false }
    s.push(v)
  }
  if (c0 >= Q) return { valid: false }
  const h = prefix(ring, image, message)
  let c = c0
  try {
    for (let i = 0; i < n; i++) c = challenge(h, combo(s[i]!, undefined, c, ring[i]!), combo(s[i]!, hashToPoint(ring[i]!), c, image))
  } catch {
    return { valid: false } // a step at infinity
  }
  return c === c0 ? { valid: true, keyImage: Uint8Array.from(image) } : { valid: false }
}

/** The same steps with noble alone: the reference the native path is tested against. */
export const __reference = { nobleCombo, combo, nobleIsPoint, isPoint }
