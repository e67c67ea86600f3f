import { verifyBundle, type KeyBundle, type Prekey } from './crypto/bundle.js'
import {
  HYBRID_SIGNATURE_BYTES,
  hybridSign,
  hybridVerify,
  sessionIdBytes,
  sessionIdOf,
  type Identity,
  type PublicIdentity,
} from './crypto/identity.js'
import {
  concat,
  decapsulate,
  dh,
  encapsulate,
  kdf,
  LENGTHS,
  ml_dsa87,
  NONCE_BYTES,
  open,
  osRandom,
  seal,
  sha3_256,
  TAG_BYTES,
  utf8,
  x25519KeyPair,
  type RandomSource,
} from './crypto/primitives.js'
import {
  decodeState,
  encodeState,
  initInitiator,
  initResponder,
  ratchetDecrypt,
  ratchetEncrypt,
  type RatchetOptions,
  type RatchetState,
} from './crypto/ratchet.js'
import { SessionError } from './errors.js'
import { Reader, Writer } from './protocol/bytes.js'
import { coarsen, ContentType, decodeMessage, encodeMessage, FLAG_SIGNED, MESSAGE_ID_BYTES } from './protocol/message.js'
import { hexOf } from '../common/index.js'

/**
 * Sessions between two identities: the PQXDH-style handshake and the ratchet, over the wire format
 *
 *   message   = version u8 (1) ‖ type u8 (2) ‖ u16 header length ‖ sealed header ‖ sealed body
 *   handshake = version u8 (1) ‖ type u8 (1) ‖ prekey id u32 ‖ E (32) ‖ C (1,568) ‖
 *               XChaCha20-Poly1305(sealing key, nonce, aad = everything before it).seal(
 *                 initiator ML-DSA-87 key ‖ Ed25519 key ‖ X25519 key ‖ EK_A ‖ ML-KEM ciphertext ‖ signature) ‖
 *               message
 *
 * Sealed sender: the handshake's fields — the initiator's keys, which name it — are sealed to the
 * responder's signed prekey: a fresh X25519 key E and an ML-KEM-1024 encapsulation C to the prekey,
 * sealing key = HKDF-SHA256(DH(E, SPK_B) ‖ ML-KEM secret, salt = SHA3-256(E ‖ C), "pars-sealed-v1").
 * A service node storing the envelope sees the recipient and a prekey id, never who wrote it.
 *
 * Handshake (initiator A, responder B with bundle: identity key IK_B, signed prekey SPK_B and its
 * ML-KEM-1024 key PQPK_B; A's ephemeral EK_A):
 *
 *   DH1 = DH(IK_A, SPK_B)   DH2 = DH(EK_A, IK_B)   DH3 = DH(EK_A, SPK_B)   (ct, SS) = Encaps(PQPK_B)
 *   SK  = HKDF-SHA256(ikm = 0xFF×32 ‖ DH1 ‖ DH2 ‖ DH3 ‖ SS, salt = 0×32, info = "pars-ratchet-v1")
 *   AD  = ID_A ‖ ID_B (the two 33-byte Session IDs), the associated data of every message
 *   A signs (ML-DSA-87 + Ed25519, context "pars-handshake-v1") AD ‖ A's Ed25519 and X25519 keys ‖
 *   IK_B ‖ prekey id ‖ SPK_B ‖ SHA3-256(PQPK_B) ‖ EK_A ‖ ct
 *
 * B checks that A's ML-DSA key hashes to ID_A and both signatures verify before deriving anything.
 * Until A hears back, A's messages carry the handshake until a swarm has said it holds one that does
 * (handshakeHeld; the daemon calls it after a store with verified receipts), and again once a day
 * (HANDSHAKE_REPEAT_S), so a recipient offline for up to the 14-day store TTL still finds one within
 * reach. The handshake is ~10.6 KB of a first message; repeating it on every message until a reply
 * made a one-sided burst (the usual case while the recipient is offline) cost 12.5 KB a message
 * instead of ~2 KB. A message that arrives before its handshake is kept by the recipient until the
 * handshake comes (the daemon's parked envelopes). B refuses a handshake it has seen (the replay guard). A quantum attacker must break
 * ML-KEM-1024 (SS) and a classical one X25519; impersonation needs ML-DSA-87 and Ed25519 both.
 */
export const WIRE_VERSION = 1
export const TYPE_HANDSHAKE = 1
export const TYPE_MESSAGE = 2
const HANDSHAKE_CONTEXT = 'pars-handshake-v1'
const SIGNED_MESSAGE_CONTEXT = 'pars-signed-message-v1'
const FIELDS_BYTES = LENGTHS.mldsaPublicKey + 32 + 32 + 32 + LENGTHS.mlkemCipherText + HYBRID_SIGNATURE_BYTES
const OUTER_HEADER_BYTES = 2 + 4 + 32 + LENGTHS.mlkemCipherText
const HANDSHAKE_PREFIX_BYTES = OUTER_HEADER_BYTES + NONCE_BYTES + FIELDS_BYTES + TAG_BYTES
const SEALED_LABEL = 'pars-sealed-v1'
/** How long an initiator that has not heard back goes without attaching its handshake again, once a swarm held one. */
export const HANDSHAKE_REPEAT_S = 86_400
/** serialize's format: 1 had no handshakeHeldAt (restore still reads it) */
const SESSION_RECORD_VERSION = 2

export interface SessionOptions {
  random?: RandomSource
  /** unix seconds; the clock for timestamps, prekey expiry and the KEM cadence */
  now?: () => number
  ratchet?: RatchetOptions
}

/** Handshake ids seen by a responder (persisted by the daemon for as long as the prekey lives). */
export interface ReplayGuard {
  has(handshakeId: string): boolean
  add(handshakeId: string): void
}

export interface OutgoingOptions {
  contentType?: ContentType
  /** add an ML-DSA-87 signature a third party (or a contract) can check: see signedStatement */
  sign?: boolean
}

export interface ReceivedMessage {
  messageId: Uint8Array
  timestamp: number
  sequence: bigint
  contentType: ContentType
  content: Uint8Array
  /** present when the sender signed the message (already verified against the sender's key) */
  signature?: Uint8Array
}

const clock = (): number => Math.floor(Date.now() / 1000)

/** The bytes a signed message's ML-DSA-87 signature covers (context "pars-signed-message-v1"). */
export function signedStatement(
  senderId: string,
  recipientId: string,
  m: { messageId: Uint8Array; timestamp: number; contentType: ContentType; content: Uint8Array },
): Uint8Array {
  return new Writer()
    .bytes(sessionIdBytes(senderId))
    .bytes(sessionIdBytes(recipientId))
    .bytes(m.messageId)
    .u64(BigInt(m.timestamp))
    .u8(m.contentType)
    .varBytes(m.content)
    .finish()
}

/** Check a signed message as a third party would: with the sender's ML-DSA-87 key alone. */
export function verifySignedMessage(
  senderMldsaKey: Uint8Array,
  recipientId: string,
  m: { messageId: Uint8Array; timestamp: number; contentType: ContentType; content: Uint8Array; signature: Uint8Array },
): boolean {
  try {
    const bytes = signedStatement(sessionIdOf(senderMldsaKey), recipientId, m)
    return ml_dsa87.verify(m.signature, bytes, senderMldsaKey, { context: utf8.encode(SIGNED_MESSAGE_CONTEXT) })
  } catch {
    return false
  }
}

/** What kind of envelope these bytes are, without opening it (for routing). */
export function envelopeKind(bytes: Uint8Array): { kind: 'handshake'; handshakeId: string; prekeyId: number } | { kind: 'message' } {
  const r = new Reader(bytes, 'envelope')
  const version = r.u8()
  if (version !== WIRE_VERSION)
    throw new SessionError('UNSUPPORTED_VERSION', `envelope version ${version} (this build speaks ${WIRE_VERSION})`)
  const type = r.u8()
  if (type === TYPE_MESSAGE) return { kind: 'message' }
  if (type !== TYPE_HANDSHAKE) throw new SessionError('MALFORMED', `unknown envelope type ${type}`)
  const h = parseOuter(bytes)
  return { kind: 'handshake', handshakeId: h.id, prekeyId: h.prekeyId }
}

/** The clear part of a handshake envelope: which prekey, the sealing key material, the sealed fields. */
interface OuterHandshake {
  prekeyId: number
  header: Uint8Array
  eph: Uint8Array
  kemCt: Uint8Array
  sealed: Uint8Array
  inner: Uint8Array
  id: string
}

function parseOuter(bytes: Uint8Array): OuterHandshake {
  const r = new Reader(bytes, 'handshake')
  r.u8()
  r.u8()
  const prekeyId = r.u32()
  const eph = r.bytes(32)
  const kemCt = r.bytes(LENGTHS.mlkemCipherText)
  const sealed = r.bytes(NONCE_BYTES + FIELDS_BYTES + TAG_BYTES)
  const inner = r.rest()
  return {
    prekeyId,
    header: bytes.subarray(0, OUTER_HEADER_BYTES),
    eph,
    kemCt,
    sealed,
    inner,
    id: hexOf(sha3_256(concat(eph, kemCt))),
  }
}

interface HandshakeFields {
  initiator: PublicIdentity
  ek: Uint8Array
  ct: Uint8Array
  signature: Uint8Array
}

function encodeFields(f: HandshakeFields): Uint8Array {
  return new Writer()
    .bytes(f.initiator.mldsa)
    .bytes(f.initiator.ed25519)
    .bytes(f.initiator.x25519)
    .bytes(f.ek)
    .bytes(f.ct)
    .bytes(f.signature)
    .finish()
}

function decodeFields(b: Uint8Array): HandshakeFields {
  const r = new Reader(b, 'handshake fields')
  const mldsa = r.bytes(LENGTHS.mldsaPublicKey)
  const ed25519 = r.bytes(32)
  const x25519 = r.bytes(32)
  const ek = r.bytes(32)
  const ct = r.bytes(LENGTHS.mlkemCipherText)
  const signature = r.bytes(HYBRID_SIGNATURE_BYTES)
  r.end()
  return { initiator: { sessionId: sessionIdOf(mldsa), mldsa, ed25519, x25519 }, ek, ct, signature }
}

function sealingKey(ss1: Uint8Array, ss2: Uint8Array, eph: Uint8Array, kemCt: Uint8Array): Uint8Array {
  return kdf(concat(ss1, ss2), sha3_256(concat(eph, kemCt)), SEALED_LABEL, 32)
}

/** Seal handshake fields to a prekey: the envelope prefix (without the first message). */
function sealHandshake(
  prekey: { id: number; x25519: Uint8Array; mlkem: Uint8Array },
  fields: HandshakeFields,
  random: RandomSource,
): Uint8Array {
  const eph = x25519KeyPair(random)
  const { cipherText: kemCt, sharedSecret } = encapsulate(prekey.mlkem, random)
  const header = new Writer().u8(WIRE_VERSION).u8(TYPE_HANDSHAKE).u32(prekey.id).bytes(eph.publicKey).bytes(kemCt).finish()
  const key = sealingKey(dh(eph.secretKey, prekey.x25519), sharedSecret, eph.publicKey, kemCt)
  return concat(header, seal(key, encodeFields(fields), header, random))
}

/** Open the sealed fields with the prekey they were sealed to. */
function openHandshake(outer: OuterHandshake, prekey: Prekey): HandshakeFields {
  const key = sealingKey(dh(prekey.x25519.secretKey, outer.eph), decapsulate(outer.kemCt, prekey.mlkem.secretKey), outer.eph, outer.kemCt)
  const fields = open(key, outer.sealed, outer.header)
  if (fields === undefined) throw new SessionError('DECRYPT_FAILED', 'the handshake does not open with this prekey: altered, or not for us')
  return decodeFields(fields)
}

/** Internals exposed for the tests (building handshakes no honest client would). */
export const __handshakeInternals = { sealHandshake, openHandshake, parseOuter }

function transcript(
  ad: Uint8Array,
  initiator: PublicIdentity,
  responderIk: Uint8Array,
  prekeyId: number,
  spk: Uint8Array,
  pqpk: Uint8Array,
  ek: Uint8Array,
  ct: Uint8Array,
): Uint8Array {
  return new Writer()
    .bytes(ad)
    .bytes(initiator.ed25519)
    .bytes(initiator.x25519)
    .bytes(responderIk)
    .u32(prekeyId)
    .bytes(spk)
    .bytes(sha3_256(pqpk))
    .bytes(ek)
    .bytes(ct)
    .finish()
}

function rootSecret(dh1: Uint8Array, dh2: Uint8Array, dh3: Uint8Array, ss: Uint8Array): Uint8Array {
  return kdf(concat(new Uint8Array(32).fill(0xff), dh1, dh2, dh3, ss), new Uint8Array(32), 'pars-ratchet-v1', 32)
}

function associatedData(initiatorId: string, responderId: string): Uint8Array {
  return concat(sessionIdBytes(initiatorId), sessionIdBytes(responderId))
}

/** A session with one peer. Not safe for concurrent use: one decrypt or encrypt at a time. */
export class Session {
  private sequence = 0n
  /** unix seconds when a swarm last said it holds an envelope carrying the handshake (0: never) */
  private handshakeHeldAt = 0

  private constructor(
    private readonly me: Identity,
    readonly peer: PublicIdentity,
    private readonly state: RatchetState,
    /** the handshake prefix the initiator repeats until the responder answers */
    private pendingHandshake: Uint8Array | undefined,
    readonly handshakeId: string,
    private readonly random: RandomSource,
    private readonly now: () => number,
  ) {}

  get sessionId(): string {
    return this.me.sessionId
  }

  /** Start a session with the owner of `bundle` (checked here against `peerId`). */
  static initiate(me: Identity, peerId: string, bundle: KeyBundle | Uint8Array, options: SessionOptions = {}): Session {
    const random = options.random ?? osRandom
    const now = options.now ?? clock
    const b = verifyBundle(bundle, peerId, now())
    const ad = associatedData(me.sessionId, b.identity.sessionId)
    const ek = x25519KeyPair(random)
    const { cipherText: ct, sharedSecret: ss } = encapsulate(b.prekey.mlkem, random)
    const sk = rootSecret(
      dh(me.x25519.secretKey, b.prekey.x25519),
      dh(ek.secretKey, b.identity.x25519),
      dh(ek.secretKey, b.prekey.x25519),
      ss,
    )
    const myPublic: PublicIdentity = {
      sessionId: me.sessionId,
      mldsa: me.mldsa.publicKey,
      ed25519: me.ed25519.publicKey,
      x25519: me.x25519.publicKey,
    }
    const t = transcript(ad, myPublic, b.identity.x25519, b.prekey.id, b.prekey.x25519, b.prekey.mlkem, ek.publicKey, ct)
    const signature = hybridSign(me, HANDSHAKE_CONTEXT, t, random)
    const prefix = sealHandshake(
      { id: b.prekey.id, x25519: b.prekey.x25519, mlkem: b.prekey.mlkem },
      { initiator: myPublic, ek: ek.publicKey, ct, signature },
      random,
    )
    const state = initInitiator(sk, ad, b.prekey.x25519, random, now(), options.ratchet)
    sk.fill(0)
    return new Session(me, b.identity, state, prefix, parseOuter(prefix).id, random, now)
  }

  /**
   * Accept a handshake addressed to `me`: checks the initiator's signatures and the prekey, derives
   * the session and opens the first message. `prekeys` looks up our signed prekeys by id.
   */
  static accept(
    me: Identity,
    prekeys: (id: number) => Prekey | undefined,
    envelope: Uint8Array,
    guard: ReplayGuard,
    options: SessionOptions = {},
  ): { session: Session; message: ReceivedMessage } {
    const random = options.random ?? osRandom
    const now = options.now ?? clock
    const kind = envelopeKind(envelope)
    if (kind.kind !== 'handshake') throw new SessionError('MALFORMED', 'not a handshake: open it with its session')
    const outer = parseOuter(envelope)
    if (guard.has(outer.id)) throw new SessionError('DUPLICATE', 'this handshake was already accepted')
    const prekey = prekeys(outer.prekeyId)
    if (prekey === undefined) throw new SessionError('UNKNOWN_PREKEY', `no signed prekey ${outer.prekeyId} here (rotated out?)`)
    const h = { ...openHandshake(outer, prekey), id: outer.id, inner: outer.inner }
    const ad = associatedData(h.initiator.sessionId, me.sessionId)
    const t = transcript(ad, h.initiator, me.x25519.publicKey, prekey.id, prekey.x25519.publicKey, prekey.mlkem.publicKey, h.ek, h.ct)
    if (!hybridVerify(h.initiator, HANDSHAKE_CONTEXT, t, h.signature)) {
      throw new SessionError('BAD_SIGNATURE', `the handshake is not signed by ${h.initiator.sessionId}`)
    }
    const ss = decapsulate(h.ct, prekey.mlkem.secretKey)
    const sk = rootSecret(
      dh(prekey.x25519.secretKey, h.initiator.x25519),
      dh(me.x25519.secretKey, h.ek),
      dh(prekey.x25519.secretKey, h.ek),
      ss,
    )
    const state = initResponder(sk, ad, prekey.x25519, random, now(), options.ratchet)
    sk.fill(0)
    const session = new Session(me, h.initiator, state, undefined, h.id, random, now)
    const message = session.openMessage(h.inner)
    guard.add(h.id)
    return { session, message }
  }

  /** Restore a session that `serialize` wrote. */
  static restore(me: Identity, bytes: Uint8Array, options: SessionOptions = {}): Session {
    const r = new Reader(bytes, 'session')
    const version = r.u8()
    if (version !== 1 && version !== SESSION_RECORD_VERSION) throw new SessionError('UNSUPPORTED_VERSION', `session version ${version}`)
    const mldsa = r.bytes(LENGTHS.mldsaPublicKey)
    const ed25519 = r.bytes(32)
    const x25519 = r.bytes(32)
    const sequence = r.u64()
    const handshakeId = hexOf(r.bytes(32))
    const pending = r.varBytes(HANDSHAKE_PREFIX_BYTES)
    const state = decodeState(r.varBytes(64 * 1024 * 1024))
    const heldAt = version === 1 ? 0 : Number(r.u64())
    r.end()
    const s = new Session(
      me,
      { sessionId: sessionIdOf(mldsa), mldsa, ed25519, x25519 },
      state,
      pending.length === 0 ? undefined : pending,
      handshakeId,
      options.random ?? osRandom,
      options.now ?? clock,
    )
    s.sequence = sequence
    s.handshakeHeldAt = heldAt
    return s
  }

  /** Everything needed to resume, secrets included: a daemon stores it encrypted. */
  serialize(): Uint8Array {
    return new Writer()
      .u8(SESSION_RECORD_VERSION)
      .bytes(this.peer.mldsa)
      .bytes(this.peer.ed25519)
      .bytes(this.peer.x25519)
      .u64(this.sequence)
      .bytes(Buffer.from(this.handshakeId, 'hex'))
      .varBytes(this.pendingHandshake ?? new Uint8Array(0))
      .varBytes(encodeState(this.state))
      .u64(BigInt(this.handshakeHeldAt))
      .finish()
  }

  /** Whether the next envelope carries the handshake: the peer has not answered, and no swarm has held one for a day. */
  get attachesHandshake(): boolean {
    return this.pendingHandshake !== undefined && (this.handshakeHeldAt === 0 || this.now() - this.handshakeHeldAt >= HANDSHAKE_REPEAT_S)
  }

  /**
   * A swarm holds an envelope of this session that carried the handshake: the next ones go without it
   * (for HANDSHAKE_REPEAT_S). Call it only for an envelope whose store was confirmed.
   */
  handshakeHeld(): void {
    if (this.pendingHandshake !== undefined) this.handshakeHeldAt = Math.max(1, this.now())
  }

  /** Encrypt `content` for the peer: the envelope to send. */
  encrypt(content: Uint8Array | string, options: OutgoingOptions = {}): Uint8Array {
    const body = typeof content === 'string' ? utf8.encode(content) : content
    const contentType = options.contentType ?? ContentType.Text
    const messageId = this.random(MESSAGE_ID_BYTES)
    const timestamp = coarsen(this.now())
    let signature: Uint8Array | undefined
    if (options.sign === true) {
      const statement = signedStatement(this.me.sessionId, this.peer.sessionId, { messageId, timestamp, contentType, content: body })
      signature = ml_dsa87.sign(statement, this.me.mldsa.secretKey, {
        context: utf8.encode(SIGNED_MESSAGE_CONTEXT),
        extraEntropy: this.random(32),
      })
    }
    const plaintext = encodeMessage({
      messageId,
      timestamp,
      sequence: this.sequence,
      contentType,
      flags: signature !== undefined ? FLAG_SIGNED : 0,
      content: body,
      ...(signature !== undefined ? { signature } : {}),
    })
    const { header, body: sealed } = ratchetEncrypt(this.state, plaintext, this.random)
    this.sequence += 1n
    const message = new Writer().u8(WIRE_VERSION).u8(TYPE_MESSAGE).u16(header.length).bytes(header).bytes(sealed).finish()
    return this.attachesHandshake ? concat(this.pendingHandshake!, message) : message
  }

  /** Decrypt an envelope from the peer. Throws a SessionError, and changes nothing, if it does not open. */
  decrypt(envelope: Uint8Array): ReceivedMessage {
    const kind = envelopeKind(envelope)
    if (kind.kind === 'handshake') {
      if (kind.handshakeId !== this.handshakeId) {
        throw new SessionError('DECRYPT_FAILED', 'a new handshake, not this session: accept it as a new session')
      }
      return this.openMessage(parseOuter(envelope).inner)
    }
    const m = this.openMessage(envelope)
    // the responder answered: the handshake need not travel any more
    this.pendingHandshake = undefined
    return m
  }

  private openMessage(bytes: Uint8Array): ReceivedMessage {
    const r = new Reader(bytes, 'message envelope')
    const version = r.u8()
    if (version !== WIRE_VERSION) throw new SessionError('UNSUPPORTED_VERSION', `envelope version ${version}`)
    if (r.u8() !== TYPE_MESSAGE) throw new SessionError('MALFORMED', 'not a message envelope')
    const header = r.bytes(r.u16())
    const body = r.rest()
    const m = ratchetDecrypt(this.state, header, body, this.random, this.now(), (plaintext) => {
      // an authentic envelope with a bad inside is refused whole, the state unmoved
      const decoded = decodeMessage(plaintext)
      if (
        decoded.signature !== undefined &&
        !verifySignedMessage(this.peer.mldsa, this.me.sessionId, { ...decoded, signature: decoded.signature })
      ) {
        throw new SessionError('BAD_SIGNATURE', 'the message carries a signature that does not verify')
      }
      return decoded
    })
    return {
      messageId: m.messageId,
      timestamp: m.timestamp,
      sequence: m.sequence,
      contentType: m.contentType,
      content: m.content,
      ...(m.signature !== undefined ? { signature: m.signature } : {}),
    }
  }
}
