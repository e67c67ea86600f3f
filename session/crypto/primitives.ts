import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from 'node:crypto'
import { hchacha, xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { isLE } from '@noble/ciphers/utils.js'
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { sha3_256 } from '@noble/hashes/sha3.js'
import { randomBytes as nobleRandomBytes } from '@noble/hashes/utils.js'
import { ml_dsa87 } from '@noble/post-quantum/ml-dsa.js'
import { ml_kem1024 } from '@noble/post-quantum/ml-kem.js'
import { concat, utf8 } from '../../common/index.js'
import { SessionError } from '../errors.js'

/**
 * The primitives of the session protocol, each from a well-kept library (noble), in one place so the
 * protocol code names what it does and the vectors test what it uses.
 */
export { concat, equalBytes, utf8 } from '../../common/index.js'
export { ed25519, ml_dsa87, ml_kem1024, sha3_256, x25519 }

/** A source of randomness; tests inject a seeded one, everything else uses the OS CSPRNG. */
export type RandomSource = (n: number) => Uint8Array
export const osRandom: RandomSource = (n) => nobleRandomBytes(n)

export const LENGTHS = {
  mldsaPublicKey: ml_dsa87.lengths.publicKey!,
  mldsaSignature: ml_dsa87.lengths.signature!,
  mlkemPublicKey: ml_kem1024.lengths.publicKey!,
  mlkemCipherText: ml_kem1024.lengths.cipherText!,
  x25519: 32,
  ed25519PublicKey: 32,
  ed25519Signature: 64,
} as const

/** HKDF-SHA256 (RFC 5869). */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array | undefined, info: Uint8Array, length: number): Uint8Array {
  return hkdf(sha256, ikm, salt, info, length)
}

/** HKDF-SHA256 with a text label as info. */
export function kdf(ikm: Uint8Array, salt: Uint8Array | undefined, label: string, length: number): Uint8Array {
  return hkdfSha256(ikm, salt, utf8.encode(label), length)
}

export const NONCE_BYTES = 24
export const TAG_BYTES = 16

/**
 * XChaCha20-Poly1305 with a random 24-byte nonce, prepended: nonce ‖ ciphertext ‖ tag.
 *
 * Through Node's OpenSSL ChaCha20-Poly1305 on a subkey from noble's HChaCha20 (the XChaCha
 * construction of draft-irtf-cfrg-xchacha: subkey = HChaCha20(key, nonce[0..16]), IETF nonce =
 * 4 zero bytes ‖ nonce[16..24]). Onion layers, ratchet bodies and sync batches are sealed and opened
 * at every hop and member: OpenSSL does a 12 KB seal in a fraction of noble's pure-JS time. The
 * output is the same bytes (Wycheproof vectors, and a differential test against noble's
 * xchacha20poly1305); big-endian hosts, where the word layout would differ, use noble.
 */
export function seal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, random: RandomSource): Uint8Array {
  const nonce = random(NONCE_BYTES)
  if (!isLE || key.length !== 32) return concat(nonce, xchacha20poly1305(key, nonce, aad).encrypt(plaintext))
  const cipher = createCipheriv('chacha20-poly1305', xchachaSubkey(key, nonce), ietfNonce(nonce), { authTagLength: TAG_BYTES })
  cipher.setAAD(aad, { plaintextLength: plaintext.length })
  const body = cipher.update(plaintext)
  cipher.final()
  const out = new Uint8Array(NONCE_BYTES + body.length + TAG_BYTES)
  out.set(nonce)
  out.set(body, NONCE_BYTES)
  out.set(cipher.getAuthTag(), NONCE_BYTES + body.length)
  return out
}

/** Open what `seal` made; undefined if the key, the data or the associated data is wrong. */
export function open(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | undefined {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) return undefined
  const nonce = sealed.subarray(0, NONCE_BYTES)
  try {
    if (!isLE || key.length !== 32) return xchacha20poly1305(key, nonce, aad).decrypt(sealed.subarray(NONCE_BYTES))
    const body = sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES)
    const decipher = createDecipheriv('chacha20-poly1305', xchachaSubkey(key, nonce), ietfNonce(nonce), { authTagLength: TAG_BYTES })
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES))
    decipher.setAAD(aad, { plaintextLength: body.length })
    const plaintext = decipher.update(body)
    decipher.final() // throws when the tag does not match
    return new Uint8Array(plaintext.buffer, plaintext.byteOffset, plaintext.length)
  } catch {
    return undefined
  }
}

/** "expand 32-byte k" as little-endian words */
const SIGMA = new Uint32Array(Uint8Array.from(Buffer.from('expand 32-byte k', 'latin1')).buffer)

/** HChaCha20(key, nonce[0..16]): the XChaCha20 subkey (little-endian hosts). */
function xchachaSubkey(key: Uint8Array, nonce: Uint8Array): Buffer {
  const k = new Uint32Array(8)
  new Uint8Array(k.buffer).set(key)
  const n = new Uint32Array(4)
  new Uint8Array(n.buffer).set(nonce.subarray(0, 16))
  const out = new Uint32Array(8)
  hchacha(SIGMA, k, n, out)
  k.fill(0)
  return Buffer.from(out.buffer)
}

function ietfNonce(nonce: Uint8Array): Buffer {
  const iv = Buffer.alloc(12)
  iv.set(nonce.subarray(16, 24), 4)
  return iv
}

/** SHA-256 through Node's OpenSSL (record hashes over whole messages at every swarm member). */
export function sha256Native(data: Uint8Array): Uint8Array {
  const d = createHash('sha256').update(data).digest()
  return new Uint8Array(d.buffer, d.byteOffset, d.length)
}

/** Ed25519 verification, strict RFC 8032 (canonical encodings only, not ZIP 215's relaxed rules). */
export function ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false })
  } catch {
    return false
  }
}

/** X25519 agreement; a low-order peer key (an all-zero result) is refused. */
export function dh(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  const fast = nativeDh(secretKey, publicKey)
  if (fast !== undefined) return fast
  return nobleDh(secretKey, publicKey)
}

/** X25519 by noble: the reference (and what decides whenever the native path declines). */
export function nobleDh(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  try {
    return x25519.getSharedSecret(secretKey, publicKey)
  } catch (e) {
    throw new SessionError('MALFORMED', 'X25519 agreement with a low-order or invalid public key', { cause: e })
  }
}

/**
 * X25519 through Node's OpenSSL, about 25x faster than noble's JS once a key is a KeyObject (the
 * ratchet agrees a new key at every turn). Importing a raw private key costs more than the agreement,
 * so key objects are remembered per key array (WeakMaps: they go with the arrays, and several nodes
 * in one process share nothing observable). Any failure, or an all-zero result, returns undefined and
 * noble decides; a differential test over the Wycheproof vectors checks the two agree.
 */
const PKCS8_X25519 = Uint8Array.from(Buffer.from('302e020100300506032b656e04220420', 'hex'))
const SPKI_X25519 = Uint8Array.from(Buffer.from('302a300506032b656e032100', 'hex'))
const privateObjects = new WeakMap<Uint8Array, KeyObject>()
const publicObjects = new WeakMap<Uint8Array, KeyObject>()

/** The OpenSSL key object of a raw key (its DER prefix given), made once per key array. */
function keyObject(cache: WeakMap<Uint8Array, KeyObject>, raw: Uint8Array, derPrefix: Uint8Array, type: 'pkcs8' | 'spki'): KeyObject {
  let key = cache.get(raw)
  if (key === undefined) {
    const der = Buffer.from(concat(derPrefix, raw))
    key = type === 'pkcs8' ? createPrivateKey({ key: der, format: 'der', type }) : createPublicKey({ key: der, format: 'der', type })
    cache.set(raw, key)
  }
  return key
}

function nativeDh(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array | undefined {
  if (secretKey.length !== 32 || publicKey.length !== 32) return undefined
  try {
    const priv = keyObject(privateObjects, secretKey, PKCS8_X25519, 'pkcs8')
    const pub = keyObject(publicObjects, publicKey, SPKI_X25519, 'spki')
    const out = new Uint8Array(diffieHellman({ privateKey: priv, publicKey: pub }))
    return out.some((b) => b !== 0) ? out : undefined
  } catch {
    return undefined
  }
}

/**
 * Ed25519 through Node's OpenSSL, for what service nodes sign and check per stored record (storage
 * receipts): 24 µs to sign and 69 µs to verify here, against 0.5 ms and 1 ms for noble. Identities
 * keep noble's strict RFC 8032 check (ed25519Verify); a receipt only has to be unforgeable without
 * the node's key, which both give.
 */
const PKCS8_ED25519 = Uint8Array.from(Buffer.from('302e020100300506032b657004220420', 'hex'))
const SPKI_ED25519 = Uint8Array.from(Buffer.from('302a300506032b6570032100', 'hex'))
const edPrivateObjects = new WeakMap<Uint8Array, KeyObject>()
const edPublicObjects = new WeakMap<Uint8Array, KeyObject>()

/** Sign with an Ed25519 key given by its 32-byte seed. */
export function ed25519SignNative(seed: Uint8Array, message: Uint8Array): Uint8Array {
  return new Uint8Array(nodeSign(null, message, keyObject(edPrivateObjects, seed, PKCS8_ED25519, 'pkcs8')))
}

/** Check an Ed25519 signature; false for anything malformed. */
export function ed25519VerifyNative(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false
  try {
    return nodeVerify(null, message, keyObject(edPublicObjects, publicKey, SPKI_ED25519, 'spki'), signature)
  } catch {
    return false
  }
}

/** The two X25519 paths, for the differential test. */
export const __x25519 = { nativeDh, nobleDh }

/** A fresh X25519 key pair from the random source. */
export function x25519KeyPair(random: RandomSource): { secretKey: Uint8Array; publicKey: Uint8Array } {
  if (random === osRandom) {
    // generated natively, its key object kept for the agreements it will take part in
    const { privateKey, publicKey } = generateKeyPairSync('x25519')
    const jwk = privateKey.export({ format: 'jwk' }) as { d: string; x: string }
    const secretKey = Uint8Array.from(Buffer.from(jwk.d, 'base64url'))
    const pub = Uint8Array.from(Buffer.from(jwk.x, 'base64url'))
    privateObjects.set(secretKey, privateKey)
    publicObjects.set(pub, publicKey)
    return { secretKey, publicKey: pub }
  }
  const secretKey = random(32)
  return { secretKey, publicKey: x25519.getPublicKey(secretKey) }
}

/** A fresh ML-KEM-1024 key pair from the random source. */
export function mlkemKeyPair(random: RandomSource): { secretKey: Uint8Array; publicKey: Uint8Array } {
  return ml_kem1024.keygen(random(64))
}

/** ML-KEM-1024 encapsulation with randomness from the source. */
export function encapsulate(publicKey: Uint8Array, random: RandomSource): { cipherText: Uint8Array; sharedSecret: Uint8Array } {
  try {
    return ml_kem1024.encapsulate(publicKey, random(32))
  } catch (e) {
    throw new SessionError('MALFORMED', 'not an ML-KEM-1024 public key', { cause: e })
  }
}

export function decapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array {
  if (cipherText.length !== LENGTHS.mlkemCipherText) throw new SessionError('MALFORMED', 'ML-KEM-1024 ciphertext of the wrong length')
  return ml_kem1024.decapsulate(cipherText, secretKey)
}
