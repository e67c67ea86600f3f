import { sha3_256 } from '@noble/hashes/sha3.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { describe, expect, it } from 'vitest'
import {
  decodeBundle,
  encodeBundle,
  generatePhrase,
  generatePrekey,
  hybridSign,
  hybridVerify,
  identityFromPhrase,
  makeBundle,
  normalizePhrase,
  parseSessionId,
  sessionLink,
  verifyBundle,
} from '../../../session/index.js'
import { alice, bob, eve, NOW, PHRASE_A, seededRandom, codeOf } from './helpers.js'

describe('identity from a recovery phrase', () => {
  it('the same phrase always restores the same four key pairs and Session ID', () => {
    const again = identityFromPhrase(PHRASE_A)
    expect(again.sessionId).toBe(alice.sessionId)
    expect(again.mldsa.publicKey).toEqual(alice.mldsa.publicKey)
    expect(again.mlkem.publicKey).toEqual(alice.mlkem.publicKey)
    expect(again.ed25519.publicKey).toEqual(alice.ed25519.publicKey)
    expect(again.x25519.secretKey).toEqual(alice.x25519.secretKey)
    // as typed by a person: capitals and extra spaces are the same phrase
    expect(identityFromPhrase(`  ${PHRASE_A.toUpperCase().replace(/ /g, '   ')} `).sessionId).toBe(alice.sessionId)
    expect(bob.sessionId).not.toBe(alice.sessionId)
  })

  it('the Session ID is 05 + hex(SHA3-256(ML-DSA-87 public key)), 66 characters, and links round-trip', () => {
    expect(alice.sessionId).toBe('05' + bytesToHex(sha3_256(alice.mldsa.publicKey)))
    expect(alice.sessionId).toHaveLength(66)
    expect(alice.mldsa.publicKey).toHaveLength(2592)
    expect(alice.mlkem.publicKey).toHaveLength(1568)
    const link = sessionLink(alice.sessionId)
    expect(link).toBe(`pars://session/${alice.sessionId}`)
    expect(parseSessionId(link)).toBe(alice.sessionId)
    expect(parseSessionId(alice.sessionId.toUpperCase())).toBe(alice.sessionId)
    expect(codeOf(() => parseSessionId('06' + alice.sessionId.slice(2)))).toBe('MALFORMED')
    expect(codeOf(() => parseSessionId(alice.sessionId.slice(0, 65)))).toBe('MALFORMED')
  })

  it('new phrases are 24 valid words; a wrong word, a bad checksum or 12 words are refused', () => {
    const p = generatePhrase()
    expect(p.split(' ')).toHaveLength(24)
    expect(normalizePhrase(p)).toBe(p)
    expect(codeOf(() => normalizePhrase(PHRASE_A.replace(/art$/, 'zzz')))).toBe('BAD_PHRASE')
    expect(codeOf(() => normalizePhrase(PHRASE_A.replace(/art$/, 'abandon')))).toBe('BAD_PHRASE') // checksum
    expect(codeOf(() => normalizePhrase('abandon '.repeat(11) + 'about'))).toBe('BAD_PHRASE')
  })

  it('hybrid signatures need both ML-DSA-87 and Ed25519, over the same context', () => {
    const msg = new TextEncoder().encode('statement')
    const sig = hybridSign(alice, 'ctx-a', msg)
    expect(hybridVerify({ mldsa: alice.mldsa.publicKey, ed25519: alice.ed25519.publicKey }, 'ctx-a', msg, sig)).toBe(true)
    expect(hybridVerify({ mldsa: alice.mldsa.publicKey, ed25519: alice.ed25519.publicKey }, 'ctx-b', msg, sig)).toBe(false)
    // a valid ML-DSA half with someone else's Ed25519 half fails, and the other way round
    const other = hybridSign(bob, 'ctx-a', msg)
    const mixed = Uint8Array.from([...sig.subarray(0, 4627), ...other.subarray(4627)])
    expect(hybridVerify({ mldsa: alice.mldsa.publicKey, ed25519: bob.ed25519.publicKey }, 'ctx-a', msg, sig)).toBe(false)
    expect(hybridVerify({ mldsa: bob.mldsa.publicKey, ed25519: alice.ed25519.publicKey }, 'ctx-a', msg, sig)).toBe(false)
    expect(hybridVerify({ mldsa: alice.mldsa.publicKey, ed25519: alice.ed25519.publicKey }, 'ctx-a', msg, mixed)).toBe(false)
  })
})

describe('key bundles: self-certifying against the Session ID', () => {
  const random = seededRandom(3)
  const prekey = generatePrekey(1, NOW, random)
  const bundle = makeBundle(bob, prekey, random)
  const bytes = encodeBundle(bundle)

  it('encodes, decodes and verifies against the ID alone', () => {
    const b = verifyBundle(bytes, bob.sessionId, NOW)
    expect(b.identity.sessionId).toBe(bob.sessionId)
    expect(b.prekey.x25519).toEqual(prekey.x25519.publicKey)
    expect(encodeBundle(decodeBundle(bytes))).toEqual(bytes)
  })

  it('refuses a bundle for another ID, a substituted key, a flipped bit anywhere, an expired prekey, bad lengths', () => {
    // Eve's own valid bundle offered as Bob's: it does not hash to Bob's ID
    const eves = encodeBundle(makeBundle(eve, prekey, random))
    expect(codeOf(() => verifyBundle(eves, bob.sessionId, NOW))).toBe('BAD_BUNDLE')
    // Bob's identity with Eve's prekey swapped in: the signature fails
    const swapped = { ...bundle, prekey: { ...bundle.prekey, x25519: eve.x25519.publicKey } }
    expect(codeOf(() => verifyBundle(swapped, bob.sessionId, NOW))).toBe('BAD_BUNDLE')
    for (const at of [1, 2600, 2625, 2660, 2670, 4300, bytes.length - 70, bytes.length - 1]) {
      const f = Uint8Array.from(bytes)
      f[at]! ^= 1
      expect(
        codeOf(() => verifyBundle(f, bob.sessionId, NOW)),
        `bit at ${at}`,
      ).toBe('BAD_BUNDLE')
    }
    expect(codeOf(() => verifyBundle(bytes, bob.sessionId, prekey.expiresAt))).toBe('BUNDLE_EXPIRED')
    expect(codeOf(() => decodeBundle(bytes.subarray(0, bytes.length - 1)))).toBe('MALFORMED')
    expect(codeOf(() => decodeBundle(Uint8Array.from([...bytes, 0])))).toBe('MALFORMED')
    const v2 = Uint8Array.from(bytes)
    v2[0] = 2
    expect(codeOf(() => decodeBundle(v2))).toBe('UNSUPPORTED_VERSION')
  })
})
