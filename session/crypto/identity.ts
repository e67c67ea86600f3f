import { entropyToMnemonic, mnemonicToSeedSync, validateMnemonic } from '@scure/bip39'
import { wordlist } from '@scure/bip39/wordlists/english.js'
import { hexToBytes } from '@noble/hashes/utils.js'
import { SessionError } from '../errors.js'
import {
  concat,
  ed25519,
  ed25519Verify,
  kdf,
  ml_dsa87,
  ml_kem1024,
  osRandom,
  sha3_256,
  utf8,
  x25519,
  type RandomSource,
} from './primitives.js'
import { hexOf } from '../../common/index.js'

/**
 * A Pars identity: four key pairs derived from one 24-word BIP39 phrase, so the phrase alone
 * restores it. From the phrase's 64-byte BIP39 seed (no BIP39 passphrase):
 *
 *   ML-DSA-87   keygen(HKDF-SHA256(seed, salt "pars-identity-v1", info "ml-dsa-87",   32 bytes))
 *   ML-KEM-1024 keygen(HKDF-SHA256(seed, salt "pars-identity-v1", info "ml-kem-1024", 64 bytes))
 *   Ed25519     secret  HKDF-SHA256(seed, salt "pars-identity-v1", info "ed25519",     32 bytes)
 *   X25519      secret  HKDF-SHA256(seed, salt "pars-identity-v1", info "x25519",      32 bytes)
 *
 * Session ID = "05" + hex(SHA3-256(ML-DSA-87 public key)): 66 characters, self-certifying.
 */
export interface KeyPair {
  publicKey: Uint8Array
  secretKey: Uint8Array
}

export interface Identity {
  sessionId: string
  mldsa: KeyPair
  mlkem: KeyPair
  ed25519: KeyPair
  x25519: KeyPair
}

/** The public half of an identity: what a peer needs to check its signatures and agree keys with it. */
export interface PublicIdentity {
  sessionId: string
  mldsa: Uint8Array
  ed25519: Uint8Array
  x25519: Uint8Array
}

const IDENTITY_SALT = utf8.encode('pars-identity-v1')
export const SESSION_ID_PREFIX = '05'
export const SESSION_LINK_PREFIX = 'pars://session/'

/** A new 24-word recovery phrase (256 bits of entropy). */
export function generatePhrase(random: RandomSource = osRandom): string {
  return entropyToMnemonic(random(32), wordlist)
}

/** Normalise a phrase as typed (case, spacing) and check it: 24 English BIP39 words with a valid checksum. */
export function normalizePhrase(phrase: string): string {
  const words = phrase.normalize('NFKD').trim().toLowerCase().split(/\s+/)
  if (words.length !== 24) throw new SessionError('BAD_PHRASE', `a recovery phrase has 24 words, got ${words.length}`)
  const normalized = words.join(' ')
  if (!validateMnemonic(normalized, wordlist)) {
    throw new SessionError('BAD_PHRASE', 'not a valid recovery phrase: a word is not in the BIP39 English list, or the checksum fails')
  }
  return normalized
}

export function sessionIdOf(mldsaPublicKey: Uint8Array): string {
  return SESSION_ID_PREFIX + hexOf(sha3_256(mldsaPublicKey))
}

/** The identity a phrase restores; the same phrase always gives the same keys and Session ID. */
export function identityFromPhrase(phrase: string): Identity {
  const seed = mnemonicToSeedSync(normalizePhrase(phrase))
  const part = (info: string, n: number): Uint8Array => kdf(seed, IDENTITY_SALT, info, n)
  const mldsa = ml_dsa87.keygen(part('ml-dsa-87', 32))
  const mlkem = ml_kem1024.keygen(part('ml-kem-1024', 64))
  const edSecret = part('ed25519', 32)
  const xSecret = part('x25519', 32)
  return {
    sessionId: sessionIdOf(mldsa.publicKey),
    mldsa,
    mlkem,
    ed25519: { secretKey: edSecret, publicKey: ed25519.getPublicKey(edSecret) },
    x25519: { secretKey: xSecret, publicKey: x25519.getPublicKey(xSecret) },
  }
}

export function publicIdentity(id: Identity): PublicIdentity {
  return { sessionId: id.sessionId, mldsa: id.mldsa.publicKey, ed25519: id.ed25519.publicKey, x25519: id.x25519.publicKey }
}

/**
 * A Session ID from what a user pastes: the 66-character ID or a pars://session/<id> link (any case).
 * Returns the canonical lower-case ID.
 */
export function parseSessionId(text: string): string {
  let s = text.trim()
  if (s.toLowerCase().startsWith(SESSION_LINK_PREFIX)) s = s.slice(SESSION_LINK_PREFIX.length)
  s = s.toLowerCase()
  if (!/^05[0-9a-f]{64}$/.test(s)) throw new SessionError('MALFORMED', 'a Session ID is "05" followed by 64 hex digits (66 characters)')
  return s
}

export function sessionLink(sessionId: string): string {
  return SESSION_LINK_PREFIX + parseSessionId(sessionId)
}

/** The 33 bytes of a Session ID, as bound into associated data. */
export function sessionIdBytes(sessionId: string): Uint8Array {
  return hexToBytes(parseSessionId(sessionId))
}

export const HYBRID_SIGNATURE_BYTES = ml_dsa87.lengths.signature! + 64

/**
 * A hybrid signature: ML-DSA-87 (FIPS 204, with `context` as its context string) ‖ Ed25519 over
 * context ‖ message. Both must verify: it stands while either scheme does.
 */
export function hybridSign(id: Identity, context: string, message: Uint8Array, random: RandomSource = osRandom): Uint8Array {
  const ctx = utf8.encode(context)
  const pq = ml_dsa87.sign(message, id.mldsa.secretKey, { context: ctx, extraEntropy: random(32) })
  const classic = ed25519.sign(concat(ctx, message), id.ed25519.secretKey)
  return concat(pq, classic)
}

export function hybridVerify(
  pub: { mldsa: Uint8Array; ed25519: Uint8Array },
  context: string,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (signature.length !== HYBRID_SIGNATURE_BYTES) return false
  const ctx = utf8.encode(context)
  const pqLen = ml_dsa87.lengths.signature!
  try {
    return (
      ml_dsa87.verify(signature.subarray(0, pqLen), message, pub.mldsa, { context: ctx }) &&
      ed25519Verify(signature.subarray(pqLen), concat(ctx, message), pub.ed25519)
    )
  } catch {
    return false
  }
}
