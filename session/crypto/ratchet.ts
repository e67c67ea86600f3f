import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { SessionError } from '../errors.js'
import { Reader, Writer } from '../protocol/bytes.js'
import type { KeyPair } from './identity.js'
import {
  concat,
  decapsulate,
  dh,
  encapsulate,
  equalBytes,
  kdf,
  LENGTHS,
  mlkemKeyPair,
  open,
  seal,
  sha3_256,
  x25519KeyPair,
  type RandomSource,
} from './primitives.js'
import { hexOf } from '../../common/index.js'

/**
 * The post-quantum double ratchet: Signal's double ratchet with header encryption (the "HE"
 * variant of the Double Ratchet specification), with ML-KEM-1024 secrets mixed into the root key.
 *
 * - Symmetric ratchet: every message has its own key, KDF_CK(ck) = (HMAC(ck, 0x01), HMAC(ck, 0x02));
 *   a key is deleted once used, so today's state cannot open yesterday's messages.
 * - DH ratchet: a new X25519 key per turn of the conversation, mixed into the root key
 *   (KDF_RK = HKDF-SHA256(salt = root key, ikm = DH output [‖ ML-KEM secret], "pars-ratchet-v1/root")
 *   giving the next root key, chain key and next header key).
 * - KEM ratchet (the cadence): when a party starts a new sending chain and holds a peer ML-KEM key it
 *   has not encapsulated to yet, it performs a KEM step — encapsulates to that key, mixes the secret
 *   into this root step, and advertises a fresh ML-KEM key of its own — if it has never done so in
 *   this session, or has sent `kemInterval` (default 50) messages since its last step, or
 *   `kemMaxAgeSeconds` (default 7 days) have passed. That is Apple PQ3's cadence: a quantum attacker
 *   who recorded everything and stole a state loses access again after the next KEM step in each
 *   direction; classical post-compromise security returns after one DH round trip, as in Signal.
 *   Every message of a chain that began with a KEM step repeats its KEM fields, so losing the first
 *   message of a chain loses nothing.
 * - Headers (ratchet key, previous chain length, Counter, KEM fields) are encrypted under header
 *   keys; a message is found by trying the skipped keys, the current and then the next header key.
 * - Out of order: keys of skipped messages are kept (at most `maxSkip` per chain, `maxStoredSkipped`
 *   in all, oldest dropped first); a message already received is refused as DUPLICATE.
 * - A failed decryption changes nothing: each decryption works on a copy that replaces the state
 *   only when the message opened.
 */
export interface RatchetOptions {
  kemInterval?: number
  kemMaxAgeSeconds?: number
  maxSkip?: number
  maxStoredSkipped?: number
}

export const RATCHET_DEFAULTS: Required<RatchetOptions> = {
  kemInterval: 50,
  kemMaxAgeSeconds: 7 * 24 * 3600,
  maxSkip: 1000,
  maxStoredSkipped: 2000,
}

const ROOT_LABEL = 'pars-ratchet-v1/root'
const MESSAGE_LABEL = 'pars-ratchet-v1/message'
const SEEN_LIMIT = 4096
const KEM_TARGET_BYTES = 8
const KEM_HAS_CT = 0x01
const KEM_HAS_PK = 0x02

/** KEM fields of a sending chain's headers: a ciphertext to the peer's key, and/or our new public key. */
interface KemFields {
  target?: Uint8Array
  ct?: Uint8Array
  pk?: Uint8Array
}

export interface RatchetState {
  ad: Uint8Array
  rk: Uint8Array
  dhs: KeyPair
  dhr?: Uint8Array
  cks?: Uint8Array
  ckr?: Uint8Array
  ns: number
  nr: number
  pn: number
  hks?: Uint8Array
  hkr?: Uint8Array
  nhks: Uint8Array
  nhkr: Uint8Array
  /** [header key hex, counter, message key], oldest first */
  skipped: [string, number, Uint8Array][]
  /** our ML-KEM key pairs, newest first (the previous one answers ciphertexts still in flight) */
  kemOurs: KeyPair[]
  /** the peer's newest ML-KEM public key, and whether we have encapsulated to it yet */
  kemTheirs?: Uint8Array
  kemTheirsUsed: boolean
  kemSteps: number
  kemSentSince: number
  kemLastAt: number
  sendKem: KemFields
  /** hashes of envelopes already opened (bounded), to name replays */
  seen: string[]
  options: Required<RatchetOptions>
}

export interface RatchetHeader {
  dh: Uint8Array
  pn: number
  n: number
  kem: KemFields
}

function kdfRoot(rk: Uint8Array, ikm: Uint8Array): { rk: Uint8Array; ck: Uint8Array; nhk: Uint8Array } {
  const out = kdf(ikm, rk, ROOT_LABEL, 96)
  return { rk: out.slice(0, 32), ck: out.slice(32, 64), nhk: out.slice(64, 96) }
}

function kdfChain(ck: Uint8Array): { ck: Uint8Array; mk: Uint8Array } {
  return { mk: hmac(sha256, ck, Uint8Array.of(1)), ck: hmac(sha256, ck, Uint8Array.of(2)) }
}

function kemTarget(pk: Uint8Array): Uint8Array {
  return sha3_256(pk).slice(0, KEM_TARGET_BYTES)
}

export function encodeHeader(h: RatchetHeader): Uint8Array {
  const flags = (h.kem.ct !== undefined ? KEM_HAS_CT : 0) | (h.kem.pk !== undefined ? KEM_HAS_PK : 0)
  const w = new Writer().bytes(h.dh).u32(h.pn).u32(h.n).u8(flags)
  if (h.kem.ct !== undefined) w.bytes(h.kem.target!).bytes(h.kem.ct)
  if (h.kem.pk !== undefined) w.bytes(h.kem.pk)
  return w.finish()
}

export function decodeHeader(b: Uint8Array): RatchetHeader {
  const r = new Reader(b, 'ratchet header')
  const dhKey = r.bytes(32)
  const pn = r.u32()
  const n = r.u32()
  const flags = r.u8()
  if ((flags & ~(KEM_HAS_CT | KEM_HAS_PK)) !== 0)
    throw new SessionError('MALFORMED', `ratchet header: unknown flags 0x${flags.toString(16)}`)
  const kem: KemFields = {}
  if (flags & KEM_HAS_CT) {
    kem.target = r.bytes(KEM_TARGET_BYTES)
    kem.ct = r.bytes(LENGTHS.mlkemCipherText)
  }
  if (flags & KEM_HAS_PK) kem.pk = r.bytes(LENGTHS.mlkemPublicKey)
  r.end()
  return { dh: dhKey, pn, n, kem }
}

function withDefaults(o: RatchetOptions = {}): Required<RatchetOptions> {
  return { ...RATCHET_DEFAULTS, ...o }
}

/**
 * The initiator's state after the handshake: it knows the responder's signed prekey (its first
 * ratchet key) and starts a sending chain at once, advertising its first ML-KEM key.
 */
export function initInitiator(
  sk: Uint8Array,
  ad: Uint8Array,
  responderRatchetKey: Uint8Array,
  random: RandomSource,
  now: number,
  options?: RatchetOptions,
): RatchetState {
  const { hka, nhkb } = headerKeys(sk)
  const dhs = x25519KeyPair(random)
  const root = kdfRoot(sk, dh(dhs.secretKey, responderRatchetKey))
  const kem = mlkemKeyPair(random)
  return {
    ad,
    rk: root.rk,
    dhs,
    dhr: responderRatchetKey,
    cks: root.ck,
    ns: 0,
    nr: 0,
    pn: 0,
    hks: hka,
    nhks: root.nhk,
    nhkr: nhkb,
    skipped: [],
    kemOurs: [kem],
    kemTheirsUsed: true,
    kemSteps: 0,
    kemSentSince: 0,
    kemLastAt: now,
    sendKem: { pk: kem.publicKey },
    seen: [],
    options: withDefaults(options),
  }
}

/** The responder's state: its signed prekey is its first ratchet key; it has not sent yet. */
export function initResponder(
  sk: Uint8Array,
  ad: Uint8Array,
  prekey: KeyPair,
  random: RandomSource,
  now: number,
  options?: RatchetOptions,
): RatchetState {
  const { hka, nhkb } = headerKeys(sk)
  return {
    ad,
    rk: sk.slice(),
    dhs: { secretKey: prekey.secretKey.slice(), publicKey: prekey.publicKey.slice() },
    ns: 0,
    nr: 0,
    pn: 0,
    nhks: nhkb,
    nhkr: hka,
    skipped: [],
    kemOurs: [mlkemKeyPair(random)],
    kemTheirsUsed: true,
    kemSteps: 0,
    kemSentSince: 0,
    kemLastAt: now,
    sendKem: {},
    seen: [],
    options: withDefaults(options),
  }
}

function headerKeys(sk: Uint8Array): { hka: Uint8Array; nhkb: Uint8Array } {
  const out = kdf(sk, undefined, 'pars-ratchet-v1/headers', 64)
  return { hka: out.slice(0, 32), nhkb: out.slice(32, 64) }
}

/** Encrypt one message: returns the sealed header and the sealed body; the state moves on. */
export function ratchetEncrypt(s: RatchetState, plaintext: Uint8Array, random: RandomSource): { header: Uint8Array; body: Uint8Array } {
  if (s.cks === undefined || s.hks === undefined) {
    throw new SessionError('DECRYPT_FAILED', 'the responder cannot send before the first message of the initiator arrives')
  }
  const { ck, mk } = kdfChain(s.cks)
  s.cks = ck
  const header = seal(s.hks, encodeHeader({ dh: s.dhs.publicKey, pn: s.pn, n: s.ns, kem: s.sendKem }), s.ad, random)
  s.ns += 1
  s.kemSentSince += 1
  const body = seal(kdf(mk, undefined, MESSAGE_LABEL, 32), plaintext, concat(s.ad, header), random)
  mk.fill(0)
  return { header, body }
}

/**
 * Decrypt one message. Throws DECRYPT_FAILED (no key opens it), DUPLICATE (already received) or
 * TOO_MANY_SKIPPED; on any error the state is as it was.
 */
/** A Set beside each state's `seen` list (which is what serializes), so the replay check is O(1). */
const seenSets = new WeakMap<string[], Set<string>>()
function seenSet(s: RatchetState): Set<string> {
  let set = seenSets.get(s.seen)
  if (set === undefined) {
    set = new Set(s.seen)
    seenSets.set(s.seen, set)
  }
  return set
}

export function ratchetDecrypt<T = Uint8Array>(
  state: RatchetState,
  header: Uint8Array,
  body: Uint8Array,
  random: RandomSource,
  now: number,
  /** checks the plaintext before the state moves on; what it throws refuses the message */
  accept: (plaintext: Uint8Array) => T = (p) => p as T,
): T {
  // the sealed header is unique per message (random nonce, and a tag over the header)
  const id = hexOf(sha3_256(header))
  if (seenSet(state).has(id)) throw new SessionError('DUPLICATE', 'this message was already received')
  const s = workingCopy(state)
  const result = accept(decryptOn(s, header, body, random, now))
  const set = seenSet(s)
  s.seen.push(id)
  set.add(id)
  if (s.seen.length > SEEN_LIMIT) for (const old of s.seen.splice(0, s.seen.length - SEEN_LIMIT)) set.delete(old)
  Object.assign(state, s)
  return result
}

function openBody(s: RatchetState, mk: Uint8Array, header: Uint8Array, body: Uint8Array): Uint8Array {
  const pt = open(kdf(mk, undefined, MESSAGE_LABEL, 32), body, concat(s.ad, header))
  if (pt === undefined) throw new SessionError('DECRYPT_FAILED', 'the message does not open: it was altered, or is not for this session')
  return pt
}

function decryptOn(s: RatchetState, sealedHeader: Uint8Array, body: Uint8Array, random: RandomSource, now: number): Uint8Array {
  // a skipped message: its header key and counter name its stored key
  const opened = new Map<string, RatchetHeader | null>()
  for (let i = 0; i < s.skipped.length; i++) {
    const [hkHex, n, mk] = s.skipped[i]!
    let h = opened.get(hkHex)
    if (h === undefined) {
      const hb = open(Buffer.from(hkHex, 'hex'), sealedHeader, s.ad)
      h = hb === undefined ? null : decodeHeader(hb)
      opened.set(hkHex, h)
    }
    if (h === null || h.n !== n) continue
    const pt = openBody(s, mk, sealedHeader, body)
    s.skipped.splice(i, 1)
    return pt
  }
  const hkrHex = s.hkr === undefined ? '' : hexOf(s.hkr)
  for (const [hk, h] of opened) {
    if (h !== null && hk !== hkrHex) throw new SessionError('DUPLICATE', `message ${h.n} of an earlier chain was already received`)
  }
  let h: RatchetHeader | undefined
  let turn = false
  const current = s.hkr === undefined ? undefined : open(s.hkr, sealedHeader, s.ad)
  if (current !== undefined) h = decodeHeader(current)
  else {
    const next = open(s.nhkr, sealedHeader, s.ad)
    if (next === undefined)
      throw new SessionError('DECRYPT_FAILED', 'no header key of this session opens the message: not for us, or altered')
    h = decodeHeader(next)
    turn = true
  }
  if (turn) {
    skipTo(s, h.pn)
    dhRatchet(s, h, random, now)
  } else if (h.n < s.nr) {
    throw new SessionError('DUPLICATE', `message ${h.n} of this chain was already received (or its key was dropped)`)
  }
  skipTo(s, h.n)
  const { ck, mk } = kdfChain(s.ckr!)
  s.ckr = ck
  s.nr += 1
  return openBody(s, mk, sealedHeader, body)
}

function skipTo(s: RatchetState, until: number): void {
  if (s.ckr === undefined) return
  if (until - s.nr > s.options.maxSkip) {
    throw new SessionError('TOO_MANY_SKIPPED', `message ${until} is more than ${s.options.maxSkip} ahead of the last received (${s.nr})`)
  }
  const hk = hexOf(s.hkr!)
  while (s.nr < until) {
    const { ck, mk } = kdfChain(s.ckr)
    s.ckr = ck
    s.skipped.push([hk, s.nr, mk])
    s.nr += 1
  }
  if (s.skipped.length > s.options.maxStoredSkipped) s.skipped.splice(0, s.skipped.length - s.options.maxStoredSkipped)
}

function dhRatchet(s: RatchetState, h: RatchetHeader, random: RandomSource, now: number): void {
  // the receiving chain: the peer's new ratchet key, and its KEM step if it made one
  let received: Uint8Array = new Uint8Array(0)
  if (h.kem.ct !== undefined) {
    const ours = s.kemOurs.find((k) => equalBytes(kemTarget(k.publicKey), h.kem.target!))
    if (ours === undefined)
      throw new SessionError('DECRYPT_FAILED', 'the message encapsulates to an ML-KEM key this session no longer holds')
    received = decapsulate(h.kem.ct, ours.secretKey)
    // the peer has used this key: keep it (for ciphertexts still in flight) and the newest only
    s.kemOurs = s.kemOurs.slice(0, 2)
  }
  if (h.kem.pk !== undefined && (s.kemTheirs === undefined || !equalBytes(s.kemTheirs, h.kem.pk))) {
    s.kemTheirs = h.kem.pk
    s.kemTheirsUsed = false
  }
  s.pn = s.ns
  s.ns = 0
  s.nr = 0
  s.hks = s.nhks
  s.hkr = s.nhkr
  s.dhr = h.dh
  const r1 = kdfRoot(s.rk, concat(dh(s.dhs.secretKey, s.dhr), received))
  s.rk = r1.rk
  s.ckr = r1.ck
  s.nhkr = r1.nhk
  // the new sending chain, with a KEM step when one is due
  s.dhs = x25519KeyPair(random)
  let sent: Uint8Array = new Uint8Array(0)
  s.sendKem = {}
  const due = s.kemSteps === 0 || s.kemSentSince >= s.options.kemInterval || now - s.kemLastAt >= s.options.kemMaxAgeSeconds
  if (s.kemTheirs !== undefined && !s.kemTheirsUsed && due) {
    const { cipherText, sharedSecret } = encapsulate(s.kemTheirs, random)
    const fresh = mlkemKeyPair(random)
    s.kemOurs = [fresh, ...s.kemOurs].slice(0, 3)
    s.sendKem = { target: kemTarget(s.kemTheirs), ct: cipherText, pk: fresh.publicKey }
    s.kemTheirsUsed = true
    s.kemSteps += 1
    s.kemSentSince = 0
    s.kemLastAt = now
    sent = sharedSecret
  }
  const r2 = kdfRoot(s.rk, concat(dh(s.dhs.secretKey, s.dhr), sent))
  s.rk = r2.rk
  s.cks = r2.ck
  s.nhks = r2.nhk
}

/**
 * A copy a decryption can work on and throw away: byte arrays are never changed in place by
 * decryption (only replaced), so copying the containers it changes is enough. `seen` is shared: it
 * grows only after a message has opened.
 */
function workingCopy(s: RatchetState): RatchetState {
  return { ...s, skipped: [...s.skipped], kemOurs: [...s.kemOurs], sendKem: { ...s.sendKem } }
}

const STATE_VERSION = 1

/** The state as bytes a daemon can persist (versioned JSON; byte arrays as hex). Holds secrets: store it encrypted. */
export function encodeState(s: RatchetState): Uint8Array {
  const json = JSON.stringify({ v: STATE_VERSION, ...s }, (_k, v: unknown) => (v instanceof Uint8Array ? { $b: hexOf(v) } : v))
  return new TextEncoder().encode(json)
}

export function decodeState(bytes: Uint8Array): RatchetState {
  let parsed: { v?: number } & RatchetState
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes), (_k, v: unknown) =>
      v !== null && typeof v === 'object' && '$b' in v && typeof (v as { $b: unknown }).$b === 'string'
        ? Uint8Array.from(Buffer.from((v as { $b: string }).$b, 'hex'))
        : v,
    ) as { v?: number } & RatchetState
  } catch (e) {
    throw new SessionError('MALFORMED', 'ratchet state: not the encoding of a state', { cause: e })
  }
  if (typeof parsed !== 'object' || parsed === null) throw new SessionError('MALFORMED', 'ratchet state: not an object')
  if (parsed.v !== STATE_VERSION) throw new SessionError('UNSUPPORTED_VERSION', `ratchet state version ${String(parsed.v)}`)
  const { v: _v, ...state } = parsed
  if (!(state.rk instanceof Uint8Array) || !(state.ad instanceof Uint8Array) || !Array.isArray(state.skipped)) {
    throw new SessionError('MALFORMED', 'ratchet state: fields missing')
  }
  return state
}
