import { describe, expect, it } from 'vitest'
import {
  ContentType,
  encodeBundle,
  envelopeKind,
  hybridSign,
  __handshakeInternals,
  generatePrekey,
  makeBundle,
  Session,
  verifySignedMessage,
  type ReceivedMessage,
} from '../../../session/index.js'
import { alice, bob, establish, eve, guard, NOW, seededRandom, text, codeOf } from './helpers.js'

describe('session establishment (PQXDH-style)', () => {
  it('two identities made from phrases establish a session and talk both ways', () => {
    const { a, b } = establish()
    expect(b.peer.sessionId).toBe(alice.sessionId)
    expect(a.peer.sessionId).toBe(bob.sessionId)
    expect(text(a.decrypt(b.encrypt('hi alice')))).toBe('hi alice')
    for (let i = 0; i < 5; i++) {
      expect(text(b.decrypt(a.encrypt(`a${i}`)))).toBe(`a${i}`)
      expect(text(a.decrypt(b.encrypt(`b${i}`)))).toBe(`b${i}`)
    }
  })

  it('the responder cannot send before it has accepted the handshake, and answers only after it', () => {
    const { a, b } = establish()
    // after the first reply, Alice stops attaching the handshake
    const beforeReply = a.encrypt('x')
    a.decrypt(b.encrypt('reply'))
    const afterReply = a.encrypt('y')
    expect(envelopeKind(beforeReply).kind).toBe('handshake')
    expect(envelopeKind(afterReply).kind).toBe('message')
    expect(text(b.decrypt(beforeReply))).toBe('x')
    expect(text(b.decrypt(afterReply))).toBe('y')
  })

  it('if the first message is lost, any later one (still carrying the handshake) establishes the session', () => {
    const random = seededRandom(11)
    const prekey = generatePrekey(3, NOW, random)
    const a = Session.initiate(alice, bob.sessionId, encodeBundle(makeBundle(bob, prekey, random)), { random, now: () => NOW })
    a.encrypt('lost')
    const second = a.encrypt('second')
    const { session: b, message } = Session.accept(bob, () => prekey, second, guard(), { now: () => NOW })
    expect(text(message)).toBe('second')
    expect(text(a.decrypt(b.encrypt('ok')))).toBe('ok')
  })

  it('once a swarm holds a message carrying the handshake, the next ones go without it until a day has passed', () => {
    const random = seededRandom(13)
    let now = NOW
    const prekey = generatePrekey(3, NOW, random)
    const a = Session.initiate(alice, bob.sessionId, encodeBundle(makeBundle(bob, prekey, random)), { random, now: () => now })
    const first = a.encrypt('first')
    expect(a.attachesHandshake).toBe(true)
    a.handshakeHeld()
    expect(a.attachesHandshake).toBe(false)
    const second = a.encrypt('second')
    expect(envelopeKind(first).kind).toBe('handshake')
    expect(envelopeKind(second).kind).toBe('message')
    // the handshake is most of a first message: ~10.6 KB of 12.5
    expect(first.length - second.length).toBeGreaterThan(10_000)
    // kept across a restart of the state
    const restored = Session.restore(alice, a.serialize(), { random, now: () => now })
    expect(restored.attachesHandshake).toBe(false)
    // the second arrives first: no session opens it yet; after the handshake, it opens
    const { session: b } = Session.accept(bob, () => prekey, first, guard(), { now: () => NOW })
    expect(text(b.decrypt(second))).toBe('second')
    // a day on, without an answer, the handshake travels again (the first copy may have expired by the time Bob looks)
    now = NOW + 86_400
    expect(restored.attachesHandshake).toBe(true)
    expect(envelopeKind(restored.encrypt('third')).kind).toBe('handshake')
    // an answer ends it for good
    restored.decrypt(b.encrypt('reply'))
    expect(restored.attachesHandshake).toBe(false)
    expect(envelopeKind(restored.encrypt('fourth')).kind).toBe('message')
  })

  it('a session kept in the first record format (no handshake-held time) restores and still attaches the handshake', () => {
    const random = seededRandom(14)
    const prekey = generatePrekey(3, NOW, random)
    const a = Session.initiate(alice, bob.sessionId, encodeBundle(makeBundle(bob, prekey, random)), { random, now: () => NOW })
    a.encrypt('first')
    const v2 = a.serialize()
    // version 1: the same fields without the trailing u64
    const v1 = Uint8Array.from(v2.subarray(0, v2.length - 8))
    v1[0] = 1
    const old = Session.restore(alice, v1, { random, now: () => NOW })
    expect(old.attachesHandshake).toBe(true)
    const { message } = Session.accept(bob, () => prekey, old.encrypt('from the old record'), guard(), { now: () => NOW })
    expect(text(message)).toBe('from the old record')
  })

  it('a replayed handshake is refused, a handshake to an unknown prekey too, and a forged one', () => {
    const random = seededRandom(12)
    const prekey = generatePrekey(3, NOW, random)
    const a = Session.initiate(alice, bob.sessionId, encodeBundle(makeBundle(bob, prekey, random)), { random, now: () => NOW })
    const first = a.encrypt('hello')
    const g = guard()
    Session.accept(bob, () => prekey, first, g, { now: () => NOW })
    expect(codeOf(() => Session.accept(bob, () => prekey, first, g, { now: () => NOW }))).toBe('DUPLICATE')
    expect(codeOf(() => Session.accept(bob, () => undefined, first, guard(), { now: () => NOW }))).toBe('UNKNOWN_PREKEY')
    // Eve puts her keys where Alice's are: the signature no longer matches the claimed identity
    // the handshake is sealed: any bit flipped in it, and it does not open
    for (const at of [2, 10, 40, 2000, 5000, 12000]) {
      const flipped = Uint8Array.from(first)
      flipped[at]! ^= 1
      expect(
        codeOf(() => Session.accept(bob, () => prekey, flipped, guard(), { now: () => NOW })),
        `byte ${at}`,
      ).toMatch(/DECRYPT_FAILED|UNKNOWN_PREKEY/)
    }
    // Eve, holding Bob's bundle, seals a handshake that claims Alice's keys: the signature fails
    const { sealHandshake, openHandshake, parseOuter } = __handshakeInternals
    const outer = parseOuter(first)
    const fields = openHandshake(outer, prekey)
    const claimed = sealHandshake(
      { id: prekey.id, x25519: prekey.x25519.publicKey, mlkem: prekey.mlkem.publicKey },
      { ...fields, signature: hybridSign(eve, 'pars-handshake-v1', new Uint8Array(10)) },
      seededRandom(99),
    )
    const forged = Uint8Array.from([...claimed, ...outer.inner])
    expect(codeOf(() => Session.accept(bob, () => prekey, forged, guard(), { now: () => NOW }))).toBe('BAD_SIGNATURE')
    // and a service node sees none of Alice's keys in the envelope
    expect(Buffer.from(first).includes(Buffer.from(alice.mldsa.publicKey.subarray(0, 64)))).toBe(false)
    expect(Buffer.from(first).includes(Buffer.from(alice.x25519.publicKey))).toBe(false)
  })

  it("bundle substitution is refused: Eve's bundle under Bob's ID, or an expired bundle", () => {
    const random = seededRandom(13)
    const prekey = generatePrekey(3, NOW, random)
    const evesBundle = encodeBundle(makeBundle(eve, prekey, random))
    expect(codeOf(() => Session.initiate(alice, bob.sessionId, evesBundle, { random, now: () => NOW }))).toBe('BAD_BUNDLE')
    const bobs = encodeBundle(makeBundle(bob, prekey, random))
    expect(codeOf(() => Session.initiate(alice, bob.sessionId, bobs, { random, now: () => prekey.expiresAt + 1 }))).toBe('BUNDLE_EXPIRED')
  })

  it('a message for someone else does not open: wrong recipient', () => {
    const { a } = establish({}, 2)
    const other = establish({}, 3) // another Alice-Bob session, other keys
    const m = a.encrypt('not for that session')
    expect(codeOf(() => other.b.decrypt(m))).toBe('DECRYPT_FAILED')
  })
})

describe('the double ratchet', () => {
  it('delivers out of order within and across chains; each message exactly once', () => {
    const { a, b } = establish()
    a.decrypt(b.encrypt('turn'))
    const batch1 = [0, 1, 2, 3].map((i) => a.encrypt(`1.${i}`))
    expect(text(b.decrypt(batch1[2]!))).toBe('1.2')
    a.decrypt(b.encrypt('turn 2'))
    const batch2 = [0, 1, 2].map((i) => a.encrypt(`2.${i}`))
    for (const [m, want] of [
      [batch2[1]!, '2.1'],
      [batch1[3]!, '1.3'],
      [batch1[0]!, '1.0'],
      [batch2[0]!, '2.0'],
      [batch2[2]!, '2.2'],
      [batch1[1]!, '1.1'],
    ] as const) {
      expect(text(b.decrypt(m))).toBe(want)
    }
    for (const m of [...batch1, ...batch2]) expect(codeOf(() => b.decrypt(m))).toBe('DUPLICATE')
  })

  it('tampering anywhere is refused and changes nothing: the real message still opens afterwards', () => {
    const { a, b } = establish()
    a.decrypt(b.encrypt('turn'))
    const m = a.encrypt('intact')
    for (const at of [0, 1, 3, 10, 40, 100, m.length - 20, m.length - 1]) {
      const t = Uint8Array.from(m)
      t[at]! ^= 0x20
      expect(['DECRYPT_FAILED', 'UNSUPPORTED_VERSION', 'MALFORMED'], `byte ${at}`).toContain(codeOf(() => b.decrypt(t)))
    }
    expect(codeOf(() => b.decrypt(m.subarray(0, m.length - 1)))).toBe('DECRYPT_FAILED')
    expect(text(b.decrypt(m))).toBe('intact')
  })

  it('refuses a message too far ahead (bounded skipped keys) without losing the session', () => {
    const { a, b } = establish({ ratchet: { maxSkip: 5 } })
    a.decrypt(b.encrypt('turn'))
    const ms = Array.from({ length: 8 }, (_, i) => a.encrypt(`m${i}`))
    expect(codeOf(() => b.decrypt(ms[7]!))).toBe('TOO_MANY_SKIPPED')
    expect(text(b.decrypt(ms[4]!))).toBe('m4')
    expect(text(b.decrypt(ms[7]!))).toBe('m7')
    expect(text(b.decrypt(ms[0]!))).toBe('m0')
  })

  it('forward secrecy: the state of today does not open the messages of yesterday', () => {
    const { a, b } = establish()
    a.decrypt(b.encrypt('turn'))
    const yesterday = [0, 1, 2].map((i) => a.encrypt(`old ${i}`))
    for (const m of yesterday) b.decrypt(m)
    // the conversation moves on; then Bob's whole state leaks
    for (let i = 0; i < 3; i++) {
      b.decrypt(a.encrypt(`x${i}`))
      a.decrypt(b.encrypt(`y${i}`))
    }
    const leaked = Session.restore(bob, b.serialize(), { now: () => NOW })
    for (const m of yesterday) expect(['DUPLICATE', 'DECRYPT_FAILED']).toContain(codeOf(() => leaked.decrypt(m)))
    // and the leaked bytes hold none of the message keys used: no skipped keys left
    expect(text(leaked.decrypt(a.encrypt('still works')))).toBe('still works')
  })

  it('post-compromise security: after a state leak, secrecy returns once both sides have ratcheted', () => {
    const { a, b } = establish()
    a.decrypt(b.encrypt('turn'))
    // Eve copies Bob's state
    const eveCopy = () => Session.restore(bob, b.serialize(), { now: () => NOW })
    const stolen = b.serialize()
    // messages in the current chain: the copy opens them (nothing protects those)
    const sameChain = a.encrypt('readable by Eve')
    expect(text(Session.restore(bob, stolen, { now: () => NOW }).decrypt(sameChain))).toBe('readable by Eve')
    expect(text(b.decrypt(sameChain))).toBe('readable by Eve')
    // Bob answers (new ratchet key), Alice answers (new ratchet key): both have turned the ratchet
    a.decrypt(b.encrypt('bob turns'))
    b.decrypt(a.encrypt('alice turns'))
    a.decrypt(b.encrypt('bob turns again'))
    const secret = a.encrypt('after healing')
    expect(codeOf(() => Session.restore(bob, stolen, { now: () => NOW }).decrypt(secret))).toBe('DECRYPT_FAILED')
    expect(text(b.decrypt(secret))).toBe('after healing')
    expect(eveCopy).not.toThrow()
  })

  it('mixes ML-KEM into the root key on the documented cadence: first chains, then every kemInterval messages', () => {
    const KEM_FIELDS = 8 + 1568 + 1568 // target, ciphertext, new public key
    const { a, b } = establish({ ratchet: { kemInterval: 3 } })
    const sizes: number[] = []
    const talk = (from: Session, to: Session, n: number) => {
      for (let i = 0; i < n; i++) {
        const m = from.encrypt('x')
        sizes.push(m.length)
        to.decrypt(m)
      }
    }
    talk(b, a, 1) // Bob's first chain: a KEM step (to Alice's advertised key)
    talk(a, b, 1) // Alice's second chain: her first KEM step (to Bob's new key)
    talk(b, a, 1) // Bob has sent 1 < 3 since his step: no KEM
    talk(a, b, 3) // Alice: 1 < 3: no KEM on this chain
    talk(b, a, 2) // Bob has sent 1 since his step... still < 3
    talk(a, b, 1) // Alice sent 4 >= 3 since her step, and holds Bob's unused key? (Bob made no new one) -> no
    talk(b, a, 1) // Bob: 3 >= 3 and Alice's key from her step is unused: KEM step
    const base = Math.min(...sizes)
    const withKem = sizes.map((s) => s - base >= KEM_FIELDS)
    expect(withKem).toEqual([true, true, false, false, false, false, false, false, false, true])
  })

  it('a state serialized mid-conversation resumes exactly, skipped keys included', () => {
    const { a, b } = establish()
    a.decrypt(b.encrypt('turn'))
    const ms = [0, 1, 2].map((i) => a.encrypt(`m${i}`))
    b.decrypt(ms[2]!)
    const b2 = Session.restore(bob, b.serialize(), { now: () => NOW })
    expect(text(b2.decrypt(ms[0]!))).toBe('m0')
    expect(text(b2.decrypt(ms[1]!))).toBe('m1')
    expect(text(a.decrypt(b2.encrypt('from the restored')))).toBe('from the restored')
    expect(codeOf(() => Session.restore(bob, new Uint8Array([9, 9, 9])))).toBe('UNSUPPORTED_VERSION')
  })
})

describe('message format', () => {
  it('carries MessageID, coarse timestamp, Sequence and ContentType; pads to 256-byte buckets', () => {
    const { a, b } = establish()
    a.decrypt(b.encrypt('turn'))
    const got: ReceivedMessage[] = []
    const lens: number[] = []
    for (const [content, type] of [
      ['a', ContentType.Text],
      ['bb', ContentType.Receipt],
      ['x'.repeat(300), ContentType.Control],
    ] as const) {
      const m = a.encrypt(content, { contentType: type })
      lens.push(m.length)
      got.push(b.decrypt(m))
    }
    expect(got.map((m) => m.sequence)).toEqual([1n, 2n, 3n])
    expect(got.map((m) => m.contentType)).toEqual([ContentType.Text, ContentType.Receipt, ContentType.Control])
    expect(new Set(got.map((m) => Buffer.from(m.messageId).toString('hex'))).size).toBe(3)
    expect(got.every((m) => m.timestamp === Math.floor(NOW / 60) * 60)).toBe(true)
    // 1 and 2 bytes of content: the same size on the wire; 300 bytes: one bucket more
    expect(lens[0]).toBe(lens[1])
    expect(lens[2]! - lens[0]!).toBe(256)
  })

  it('an optional ML-DSA-87 signature a third party checks with the sender key alone', () => {
    const { a, b } = establish()
    const m = b.decrypt(a.encrypt('pay 5 to carol', { sign: true, contentType: ContentType.ContractAction }))
    expect(m.signature).toHaveLength(4627)
    const claim = { ...m, signature: m.signature! }
    expect(verifySignedMessage(alice.mldsa.publicKey, bob.sessionId, claim)).toBe(true)
    expect(verifySignedMessage(alice.mldsa.publicKey, eve.sessionId, claim)).toBe(false) // bound to the recipient
    expect(
      verifySignedMessage(alice.mldsa.publicKey, bob.sessionId, { ...claim, content: new TextEncoder().encode('pay 500 to carol') }),
    ).toBe(false)
    expect(verifySignedMessage(eve.mldsa.publicKey, bob.sessionId, claim)).toBe(false)
    // unsigned messages carry none
    expect(b.decrypt(a.encrypt('plain')).signature).toBeUndefined()
  })
})
