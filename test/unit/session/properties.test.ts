// Property tests (fast-check): random conversations, delivered in random orders with drops, and
// random or mutated bytes fed to every decoder.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeBundle, decodeMessage, envelopeKind, Session, SessionError, type Session as S } from '../../../session/index.js'
import { decodeHeader, decodeState } from '../../../session/crypto/ratchet.js'
import { bob, establish, NOW } from './helpers.js'

type Step = { kind: 'send'; from: 0 | 1 } | { kind: 'deliver'; to: 0 | 1; pick: number } | { kind: 'drop'; to: 0 | 1; pick: number }

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('send' as const), from: fc.constantFrom(0 as const, 1 as const) }) },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('deliver' as const), to: fc.constantFrom(0 as const, 1 as const), pick: fc.nat() }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), to: fc.constantFrom(0 as const, 1 as const), pick: fc.nat() }) },
)

describe('the ratchet under random delivery (fast-check)', () => {
  it('every message delivered opens exactly once with its content, whatever the order and whatever is lost', () => {
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 60 }),
        fc.array(fc.nat(), { maxLength: 200 }),
        fc.integer({ min: 1, max: 1000 }),
        (steps, finalOrder, seed) => {
          const { a, b } = establish({ ratchet: { kemInterval: 4 } }, seed)
          const parties: [S, S] = [a, b]
          // in flight toward party i: [envelope, content]
          const inflight: [[Uint8Array, string][], [Uint8Array, string][]] = [[], []]
          const delivered: [Uint8Array, 0 | 1][] = []
          let n = 0
          const deliver = (to: 0 | 1, pick: number) => {
            const q = inflight[to]
            if (q.length === 0) return
            const [env, content] = q.splice(pick % q.length, 1)[0]!
            expect(new TextDecoder().decode(parties[to].decrypt(env).content)).toBe(content)
            delivered.push([env, to])
          }
          // Bob can send only once he has heard from Alice: her first message was accepted in establish()
          for (const s of steps) {
            if (s.kind === 'send') {
              const content = `m${n++}`
              inflight[s.from === 0 ? 1 : 0].push([parties[s.from].encrypt(content), content])
            } else if (s.kind === 'deliver') deliver(s.to, s.pick)
            else if (inflight[s.to].length > 0) inflight[s.to].splice(s.pick % inflight[s.to].length, 1)
          }
          let i = 0
          while (inflight[0].length + inflight[1].length > 0) {
            const to = inflight[0].length === 0 ? 1 : inflight[1].length === 0 ? 0 : (((finalOrder[i] ?? 0) % 2) as 0 | 1)
            deliver(to, finalOrder[i++] ?? 0)
          }
          // and nothing opens twice
          for (const [env, to] of delivered.slice(-5)) {
            expect(() => parties[to].decrypt(env)).toThrow(SessionError)
          }
        },
      ),
      { numRuns: 25, seed: 42 },
    )
  })
})

/** Any decoder, on any bytes, returns or throws a SessionError: never anything else. */
function onlySessionErrors(f: () => unknown): void {
  try {
    f()
  } catch (e) {
    if (!(e instanceof SessionError)) throw e
  }
}

describe('decoders refuse malformed bytes with a typed error (fuzz)', () => {
  const { a, b } = establish({}, 77)
  a.decrypt(b.encrypt('turn'))
  const samples = [a.encrypt('a message'), b.encrypt('another'), b.serialize()]
  const mutate = fc
    .tuple(
      fc.constantFrom(...samples),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }),
      fc.nat(),
      fc.boolean(),
    )
    .map(([base, flips, cut, shorten]) => {
      const out = Uint8Array.from(base)
      for (const [at, x] of flips) out[at % out.length]! ^= x
      return shorten ? out.subarray(0, cut % out.length) : out
    })
  const anyBytes = fc.oneof(fc.uint8Array({ maxLength: 3000 }), mutate)

  it('envelopes, messages, headers, bundles, states and sessions', () => {
    fc.assert(
      fc.property(anyBytes, (bytes) => {
        onlySessionErrors(() => envelopeKind(bytes))
        onlySessionErrors(() => decodeMessage(bytes))
        onlySessionErrors(() => decodeHeader(bytes))
        onlySessionErrors(() => decodeBundle(bytes))
        onlySessionErrors(() => decodeState(bytes))
        onlySessionErrors(() => Session.restore(bob, bytes, { now: () => NOW }))
        onlySessionErrors(() => b.decrypt(bytes))
      }),
      { numRuns: 400, seed: 7 },
    )
    // and the session still works after all that garbage
    expect(new TextDecoder().decode(b.decrypt(a.encrypt('still here')).content)).toBe('still here')
  })
})
