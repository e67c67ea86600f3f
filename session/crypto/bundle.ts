import { SessionError } from '../errors.js'
import {
  HYBRID_SIGNATURE_BYTES,
  hybridSign,
  hybridVerify,
  sessionIdOf,
  parseSessionId,
  type Identity,
  type KeyPair,
  type PublicIdentity,
} from './identity.js'
import { concat, LENGTHS, mlkemKeyPair, osRandom, x25519KeyPair, type RandomSource } from './primitives.js'
import { Reader, Writer } from '../protocol/bytes.js'

/**
 * A signed prekey: an X25519 key and an ML-KEM-1024 key that initiators use for the handshake,
 * rotated (PREKEY_LIFETIME) and signed by the identity. Its secrets stay with the owner.
 */
export interface Prekey {
  id: number
  /** unix seconds after which initiators must not use it */
  expiresAt: number
  x25519: KeyPair
  mlkem: KeyPair
}

/**
 * What anyone may fetch to start a session with an identity: its public keys and one signed prekey,
 * under a hybrid (ML-DSA-87 + Ed25519) signature. Self-certifying: the ML-DSA key hashes to the
 * Session ID, and that key signs the rest.
 */
export interface KeyBundle {
  identity: PublicIdentity
  prekey: { id: number; expiresAt: number; x25519: Uint8Array; mlkem: Uint8Array }
  signature: Uint8Array
}

export const BUNDLE_VERSION = 1
export const PREKEY_LIFETIME_SECONDS = 30 * 24 * 3600
const BUNDLE_CONTEXT = 'pars-bundle-v1'

export function generatePrekey(id: number, now: number, random: RandomSource = osRandom, lifetime = PREKEY_LIFETIME_SECONDS): Prekey {
  return { id, expiresAt: Math.floor(now) + lifetime, x25519: x25519KeyPair(random), mlkem: mlkemKeyPair(random) }
}

function signedPart(identity: PublicIdentity, prekey: KeyBundle['prekey']): Uint8Array {
  return new Writer()
    .u8(BUNDLE_VERSION)
    .bytes(identity.mldsa)
    .bytes(identity.ed25519)
    .bytes(identity.x25519)
    .u32(prekey.id)
    .u64(BigInt(prekey.expiresAt))
    .bytes(prekey.x25519)
    .bytes(prekey.mlkem)
    .finish()
}

export function makeBundle(id: Identity, prekey: Prekey, random: RandomSource = osRandom): KeyBundle {
  const identity: PublicIdentity = {
    sessionId: id.sessionId,
    mldsa: id.mldsa.publicKey,
    ed25519: id.ed25519.publicKey,
    x25519: id.x25519.publicKey,
  }
  const pre = { id: prekey.id, expiresAt: prekey.expiresAt, x25519: prekey.x25519.publicKey, mlkem: prekey.mlkem.publicKey }
  return { identity, prekey: pre, signature: hybridSign(id, BUNDLE_CONTEXT, signedPart(identity, pre), random) }
}

export function encodeBundle(b: KeyBundle): Uint8Array {
  return concat(signedPart(b.identity, b.prekey), b.signature)
}

/** Decode a bundle's bytes (structure only: `verifyBundle` checks it). */
export function decodeBundle(bytes: Uint8Array): KeyBundle {
  const r = new Reader(bytes, 'key bundle')
  const version = r.u8()
  if (version !== BUNDLE_VERSION)
    throw new SessionError('UNSUPPORTED_VERSION', `key bundle version ${version} (this build speaks ${BUNDLE_VERSION})`)
  const mldsa = r.bytes(LENGTHS.mldsaPublicKey)
  const ed25519 = r.bytes(LENGTHS.ed25519PublicKey)
  const x25519 = r.bytes(LENGTHS.x25519)
  const prekey = { id: r.u32(), expiresAt: Number(r.u64()), x25519: r.bytes(LENGTHS.x25519), mlkem: r.bytes(LENGTHS.mlkemPublicKey) }
  const signature = r.bytes(HYBRID_SIGNATURE_BYTES)
  r.end()
  return { identity: { sessionId: sessionIdOf(mldsa), mldsa, ed25519, x25519 }, prekey, signature }
}

/**
 * Accept a bundle for `sessionId` only if its ML-DSA key hashes to that ID, both signatures over
 * everything else verify, and its prekey has not expired. Returns the bundle; throws BAD_BUNDLE or
 * BUNDLE_EXPIRED otherwise.
 */
export function verifyBundle(bundle: KeyBundle | Uint8Array, sessionId: string, nowSeconds: number): KeyBundle {
  const b = bundle instanceof Uint8Array ? decodeBundle(bundle) : bundle
  const want = parseSessionId(sessionId)
  if (sessionIdOf(b.identity.mldsa) !== want) {
    throw new SessionError('BAD_BUNDLE', `the bundle's ML-DSA key does not hash to ${want}: it belongs to someone else`)
  }
  if (!hybridVerify(b.identity, BUNDLE_CONTEXT, signedPart(b.identity, b.prekey), b.signature)) {
    throw new SessionError('BAD_BUNDLE', 'the bundle signature does not verify: it was altered or forged')
  }
  if (b.prekey.expiresAt <= nowSeconds) throw new SessionError('BUNDLE_EXPIRED', `the bundle's prekey ${b.prekey.id} has expired`)
  return { ...b, identity: { ...b.identity, sessionId: want } }
}
