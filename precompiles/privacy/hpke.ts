import { Chacha20Poly1305 } from '@hpke/chacha20poly1305'
import { CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core'
import { XWing } from '@hpke/hybridkem-x-wing'

/**
 * RFC 9180 HPKE, base mode, as the 0x0702 precompile seals and its recipient opens. Suites by number:
 *   0  DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305   randomness: 32 bytes (ikm of the ephemeral key)
 *   1  X-Wing (ML-KEM-768 + X25519), HKDF-SHA256, ChaCha20-Poly1305  randomness: 64 bytes (X-Wing's eseed)
 * The randomness is the caller's and public on-chain: whoever sees the call can re-derive the
 * ephemeral key and read the plaintext (see docs/precompiles.md).
 */
export interface HpkeSuite {
  name: string
  suite: CipherSuite
  publicKey: number
  randomness: number
}

export function hpkeSuites(): HpkeSuite[] {
  return [
    {
      name: 'DHKEM(X25519)/HKDF-SHA256/ChaCha20-Poly1305',
      suite: new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Chacha20Poly1305() }),
      publicKey: 32,
      randomness: 32,
    },
    {
      name: 'X-Wing/HKDF-SHA256/ChaCha20-Poly1305',
      suite: new CipherSuite({ kem: new XWing(), kdf: new HkdfSha256(), aead: new Chacha20Poly1305() }),
      publicKey: 1216,
      randomness: 64,
    },
  ]
}

/** An exact copy as an ArrayBuffer (for a Node Buffer, slice() would share the whole pool). */
const copy = (b: Uint8Array): ArrayBuffer => Uint8Array.from(b).buffer as ArrayBuffer

/** Seal to `publicKey` with the caller's randomness: `enc` and the ciphertext. */
export async function hpkeSeal(
  s: HpkeSuite,
  publicKey: Uint8Array,
  info: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
  randomness: Uint8Array,
): Promise<{ enc: Uint8Array; ciphertext: Uint8Array }> {
  const recipientPublicKey = await s.suite.kem.deserializePublicKey(copy(publicKey))
  const r = await s.suite.seal({ recipientPublicKey, ekm: copy(randomness), info: copy(info) }, copy(plaintext), copy(aad))
  return { enc: new Uint8Array(r.enc), ciphertext: new Uint8Array(r.ct) }
}

/** Open what hpkeSeal (or the 0x0702 precompile) sealed, with the recipient's private key. */
export async function hpkeOpen(
  s: HpkeSuite,
  privateKey: Uint8Array,
  enc: Uint8Array,
  ciphertext: Uint8Array,
  info: Uint8Array,
  aad: Uint8Array,
): Promise<Uint8Array> {
  const recipientKey = await s.suite.kem.deserializePrivateKey(copy(privateKey))
  return new Uint8Array(await s.suite.open({ recipientKey, enc: copy(enc), info: copy(info) }, copy(ciphertext), copy(aad)))
}
