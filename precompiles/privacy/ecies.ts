import { chacha20poly1305 } from '@noble/ciphers/chacha.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToNumberBE } from '@noble/curves/utils.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'

/**
 * ECIES over secp256k1, as the 0x0701 precompile computes it and as its recipient decrypts it:
 *
 *   e  = (uint256(randomness) mod (n - 1)) + 1          ephemeral secret, from the caller's 32 bytes
 *   R  = e·G, 33-byte compressed                         sent with the ciphertext
 *   S  = x(e·P), 32 bytes                                ECDH with the recipient's key P
 *   k, nonce = HKDF-SHA256(ikm = S, salt = R ‖ P (compressed), info = "pars-ecies-v1", 44 bytes)
 *   out = R ‖ ChaCha20-Poly1305(k, nonce).encrypt(plaintext, aad = R)
 *
 * The randomness is the caller's: on-chain it is public, so anyone who sees the call can recompute
 * e and read the plaintext. The precompile serves contracts that encrypt public-by-design data to a
 * key, or with randomness committed to earlier; it never sees a secret key.
 */
export const ECIES_INFO = new TextEncoder().encode('pars-ecies-v1')

const N = secp256k1.Point.CURVE().n

function keys(shared: Uint8Array, ephemeral: Uint8Array, recipient: Uint8Array): { key: Uint8Array; nonce: Uint8Array } {
  const salt = new Uint8Array(66)
  salt.set(ephemeral, 0)
  salt.set(recipient, 33)
  const okm = hkdf(sha256, shared, salt, ECIES_INFO, 44)
  return { key: okm.subarray(0, 32), nonce: okm.subarray(32, 44) }
}

/** Encrypt to a secp256k1 public key (33 or 65 bytes) with 32 bytes of caller-chosen randomness. */
export function eciesEncrypt(publicKey: Uint8Array, plaintext: Uint8Array, randomness: Uint8Array): Uint8Array {
  if (randomness.length !== 32) throw new Error('randomness must be 32 bytes')
  const P = secp256k1.Point.fromBytes(publicKey)
  const e = (bytesToNumberBE(randomness) % (N - 1n)) + 1n
  const R = secp256k1.Point.BASE.multiply(e).toBytes(true)
  const S = P.multiply(e).toBytes(true).subarray(1)
  const { key, nonce } = keys(S, R, P.toBytes(true))
  const ct = chacha20poly1305(key, nonce, R).encrypt(plaintext)
  const out = new Uint8Array(33 + ct.length)
  out.set(R, 0)
  out.set(ct, 33)
  return out
}

/** Decrypt what eciesEncrypt (or the 0x0701 precompile) produced for this private key. Throws if forged. */
export function eciesDecrypt(privateKey: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  if (ciphertext.length < 33 + 16) throw new Error('ciphertext too short')
  const R = ciphertext.subarray(0, 33)
  const S = secp256k1.getSharedSecret(privateKey, R, true).subarray(1)
  const P = secp256k1.getPublicKey(privateKey, true)
  const { key, nonce } = keys(S, R, P)
  return chacha20poly1305(key, nonce, R).decrypt(ciphertext.subarray(33))
}
