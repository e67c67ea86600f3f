import { sha256 } from '@noble/hashes/sha2.js'
import {
  encodeBundle,
  generatePrekey,
  identityFromPhrase,
  makeBundle,
  Session,
  SessionError,
  type Identity,
  type Prekey,
  type ReplayGuard,
  type SessionOptions,
} from '../../../session/index.js'

/** A deterministic random source (SHA-256 counter), so failures reproduce. */
export function seededRandom(seed: number): (n: number) => Uint8Array {
  let counter = 0
  return (n) => {
    const out = new Uint8Array(n)
    for (let at = 0; at < n; at += 32) {
      const block = sha256(
        Uint8Array.of(seed >>> 24, seed >>> 16, seed >>> 8, seed, counter >>> 24, counter >>> 16, counter >>> 8, counter),
      )
      counter++
      out.set(block.subarray(0, Math.min(32, n - at)), at)
    }
    return out
  }
}

export const PHRASE_A =
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art'
export const PHRASE_B =
  'legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth title'
export const PHRASE_E =
  'letter advice cage absurd amount doctor acoustic avoid letter advice cage absurd amount doctor acoustic avoid letter advice cage absurd amount doctor acoustic bless'

// identities are costly to derive (ML-DSA-87 and ML-KEM-1024 keygen): once per test file
export const alice: Identity = identityFromPhrase(PHRASE_A)
export const bob: Identity = identityFromPhrase(PHRASE_B)
export const eve: Identity = identityFromPhrase(PHRASE_E)

export const NOW = 1_800_000_000

export function guard(): ReplayGuard & { ids: Set<string> } {
  const ids = new Set<string>()
  return { ids, has: (id) => ids.has(id), add: (id) => void ids.add(id) }
}

export interface Pair {
  a: Session
  b: Session
  bobPrekey: Prekey
}

/** Alice starts a session with Bob; Bob accepts her first message ("hello"). */
export function establish(options: SessionOptions = {}, seed = 1): Pair & { first: Uint8Array } {
  const random = seededRandom(seed)
  const opts: SessionOptions = { random, now: () => NOW, ...options }
  const bobPrekey = generatePrekey(7, NOW, random)
  const bundle = encodeBundle(makeBundle(bob, bobPrekey, random))
  const a = Session.initiate(alice, bob.sessionId, bundle, opts)
  const first = a.encrypt('hello')
  const { session: b, message } = Session.accept(bob, (id) => (id === 7 ? bobPrekey : undefined), first, guard(), opts)
  if (new TextDecoder().decode(message.content) !== 'hello') throw new Error('establish: first message did not open')
  return { a, b, bobPrekey, first }
}

export const text = (m: { content: Uint8Array }): string => new TextDecoder().decode(m.content)

/** The SessionError code `f` throws (undefined if it returns); anything else is rethrown. */
export function codeOf(f: () => unknown): string | undefined {
  try {
    f()
  } catch (e) {
    if (e instanceof SessionError) return e.code
    throw e
  }
  return undefined
}

/** The SessionError code a promise rejects with (undefined if it resolves); anything else is rethrown. */
export async function codeOfAsync(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p
  } catch (e) {
    if (e instanceof SessionError) return e.code
    throw e
  }
  return undefined
}
