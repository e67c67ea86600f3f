// The session protocol's primitives, as session/crypto/primitives.ts calls them, against the public
// vectors in ../shared/vectors (Wycheproof and NIST ACVP); skipped with a message where absent.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { describe, expect, it } from 'vitest'
import {
  __x25519,
  dh,
  ed25519Verify,
  hkdfSha256,
  ml_dsa87,
  ml_kem1024,
  open,
  osRandom,
  seal,
  sha256Native,
  x25519KeyPair,
} from '../../../session/crypto/primitives.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { SessionError } from '../../../session/index.js'
import { acvpResults, readAcvp, type SigVerPrompt, VECTORS } from '../../helpers/vectors.js'

function wycheproof<G>(name: string): { testGroups: G[] } | undefined {
  const file = join(VECTORS, 'wycheproof', name)
  if (!existsSync(file)) {
    console.warn(`skipped: ${file} not found (set PARS_VECTORS)`)
    return undefined
  }
  return JSON.parse(readFileSync(file, 'utf8')) as { testGroups: G[] }
}

const h = (s: string): Uint8Array => hexToBytes(s)

/** Wycheproof's XChaCha20-Poly1305 tests with a 24-byte nonce and a 32-byte key (undefined: the file is absent). */
function xchachaVectors() {
  type T = { tcId: number; key: string; iv: string; aad: string; msg: string; ct: string; tag: string; result: string }
  const data = wycheproof<{ ivSize: number; tests: T[] }>('xchacha20_poly1305_test.json')
  return data?.testGroups.filter((g) => g.ivSize === 192).flatMap((g) => g.tests.filter((t) => h(t.key).length === 32))
}

describe('session primitives against Wycheproof', () => {
  it('X25519 agreement: every vector; an all-zero result (low-order peer key) is refused', () => {
    type T = { tcId: number; public: string; private: string; shared: string; result: string }
    const data = wycheproof<{ tests: T[] }>('x25519_test.json')
    if (data === undefined) return
    let n = 0
    for (const t of data.testGroups.flatMap((g) => g.tests)) {
      n++
      if (/^0+$/.test(t.shared)) {
        expect(() => dh(h(t.private), h(t.public)), `tcId ${t.tcId}`).toThrow(SessionError)
        continue
      }
      expect(bytesToHex(dh(h(t.private), h(t.public))), `tcId ${t.tcId}`).toBe(t.shared)
    }
    expect(n).toBeGreaterThan(500)
  })

  it("X25519: Node's native agreement and noble agree on every Wycheproof vector (native declines exactly where noble refuses)", () => {
    type T = { tcId: number; public: string; private: string; shared: string; result: string }
    const data = wycheproof<{ tests: T[] }>('x25519_test.json')
    if (data === undefined) return
    for (const t of data.testGroups.flatMap((g) => g.tests)) {
      const native = __x25519.nativeDh(h(t.private), h(t.public))
      let noble: string | undefined
      try {
        noble = bytesToHex(__x25519.nobleDh(h(t.private), h(t.public)))
      } catch {
        noble = undefined
      }
      expect(native === undefined ? undefined : bytesToHex(native), `tcId ${t.tcId}`).toBe(noble)
    }
    // key pairs made natively agree with noble's view of the same keys
    const a = x25519KeyPair(osRandom)
    const b = x25519KeyPair(osRandom)
    expect(bytesToHex(dh(a.secretKey, b.publicKey))).toBe(bytesToHex(__x25519.nobleDh(b.secretKey, a.publicKey)))
  })

  it('Ed25519 verification (strict RFC 8032): valid vectors verify, invalid ones do not', () => {
    type G = { publicKey: { pk: string }; tests: { tcId: number; msg: string; sig: string; result: string }[] }
    const data = wycheproof<G>('ed25519_test.json')
    if (data === undefined) return
    let n = 0
    for (const g of data.testGroups) {
      for (const t of g.tests) {
        expect(ed25519Verify(h(t.sig), h(t.msg), h(g.publicKey.pk)), `tcId ${t.tcId}`).toBe(t.result === 'valid')
        n++
      }
    }
    expect(n).toBeGreaterThan(100)
  })

  it('XChaCha20-Poly1305 opening: valid vectors open to their plaintext, invalid ones do not open', () => {
    const tests = xchachaVectors()
    if (tests === undefined) return
    for (const t of tests) {
      const out = open(h(t.key), h(t.iv + t.ct + t.tag), h(t.aad))
      if (t.result === 'valid') expect(out && bytesToHex(out), `tcId ${t.tcId}`).toBe(t.msg)
      else expect(out, `tcId ${t.tcId}`).toBeUndefined()
    }
    expect(tests.length).toBeGreaterThan(100)
  })

  it('XChaCha20-Poly1305 sealing (OpenSSL on an HChaCha20 subkey): every valid vector, byte for byte', () => {
    const valid = xchachaVectors()?.filter((t) => t.result === 'valid')
    if (valid === undefined) return
    for (const t of valid) expect(bytesToHex(seal(h(t.key), h(t.msg), h(t.aad), () => h(t.iv))), `tcId ${t.tcId}`).toBe(t.iv + t.ct + t.tag)
    expect(valid.length).toBeGreaterThan(50)
  })

  it("XChaCha20-Poly1305: the OpenSSL path and noble's agree on random keys, nonces and lengths, and open each other's output", () => {
    for (let i = 0; i < 200; i++) {
      const key = osRandom(32)
      const nonce = osRandom(24)
      const aad = osRandom(i % 40)
      const msg = osRandom((i * 97) % 5000)
      const ours = seal(key, msg, aad, () => nonce)
      expect(bytesToHex(ours)).toBe(bytesToHex(nonce) + bytesToHex(xchacha20poly1305(key, nonce, aad).encrypt(msg)))
      expect(bytesToHex(open(key, ours, aad)!)).toBe(bytesToHex(msg))
      const flipped = Uint8Array.from(ours)
      flipped[24 + (i % Math.max(1, ours.length - 24))]! ^= 1
      expect(open(key, flipped, aad)).toBeUndefined()
      expect(open(key, ours, osRandom(3))).toBeUndefined()
    }
  })

  it("SHA-256 through OpenSSL equals noble's", () => {
    for (const len of [0, 1, 55, 56, 64, 1000, 12_542]) {
      const d = osRandom(len)
      expect(bytesToHex(sha256Native(d))).toBe(bytesToHex(sha256(d)))
    }
  })

  it('HKDF-SHA256: every vector (oversized outputs refused)', () => {
    type T = { tcId: number; ikm: string; salt: string; info: string; size: number; okm: string; result: string }
    const data = wycheproof<{ tests: T[] }>('hkdf_sha256_test.json')
    if (data === undefined) return
    for (const t of data.testGroups.flatMap((g) => g.tests)) {
      if (t.result === 'valid') expect(bytesToHex(hkdfSha256(h(t.ikm), h(t.salt), h(t.info), t.size)), `tcId ${t.tcId}`).toBe(t.okm)
      else expect(() => hkdfSha256(h(t.ikm), h(t.salt), h(t.info), t.size), `tcId ${t.tcId}`).toThrow()
    }
  })
})

describe('session primitives against NIST ACVP', () => {
  it('ML-KEM-1024 and ML-DSA-87 key generation from seeds (what identities derive)', () => {
    type KemG = { parameterSet: string; tests: { tcId: number; d: string; z: string; ek: string; dk: string }[] }
    type DsaG = { parameterSet: string; tests: { tcId: number; seed: string; pk: string; sk: string }[] }
    const kem = readAcvp<{ testGroups: KemG[] }>('ML-KEM-keyGen-FIPS203.internalProjection.json.gz')
    const dsa = readAcvp<{ testGroups: DsaG[] }>('ML-DSA-keyGen-FIPS204.internalProjection.json.gz')
    if (kem === undefined || dsa === undefined) return
    let n = 0
    for (const t of kem.testGroups.filter((g) => g.parameterSet === 'ML-KEM-1024').flatMap((g) => g.tests)) {
      const k = ml_kem1024.keygen(h(t.d + t.z))
      expect(bytesToHex(k.publicKey).toUpperCase(), `tcId ${t.tcId}`).toBe(t.ek.toUpperCase())
      expect(bytesToHex(k.secretKey).toUpperCase()).toBe(t.dk.toUpperCase())
      n++
    }
    for (const t of dsa.testGroups.filter((g) => g.parameterSet === 'ML-DSA-87').flatMap((g) => g.tests)) {
      const k = ml_dsa87.keygen(h(t.seed))
      expect(bytesToHex(k.publicKey).toUpperCase(), `tcId ${t.tcId}`).toBe(t.pk.toUpperCase())
      expect(bytesToHex(k.secretKey).toUpperCase()).toBe(t.sk.toUpperCase())
      n++
    }
    expect(n).toBe(50)
  })

  it('ML-DSA-87 sigVer with contexts (how hybrid signatures verify)', () => {
    const prompt = readAcvp<SigVerPrompt>('ML-DSA-sigVer-FIPS204.prompt.json.gz')
    const expected = readAcvp<{ testGroups: { tgId: number; tests: { tcId: number; testPassed: boolean }[] }[] }>(
      'ML-DSA-sigVer-FIPS204.expectedResults.json.gz',
    )
    if (prompt === undefined || expected === undefined) return
    const want = acvpResults(expected)
    let n = 0
    for (const g of prompt.testGroups.filter(
      (g) => g.parameterSet === 'ML-DSA-87' && g.signatureInterface === 'external' && g.preHash === 'pure',
    )) {
      for (const t of g.tests) {
        let ok: boolean
        try {
          ok = ml_dsa87.verify(h(t.signature), h(t.message), h(t.pk), { context: h(t.context ?? '') })
        } catch {
          ok = false
        }
        expect(ok, `tg ${g.tgId} tc ${t.tcId}`).toBe(want.get(`${g.tgId}/${t.tcId}`)!.testPassed)
        n++
      }
    }
    expect(n).toBeGreaterThan(10)
  })
})
