import { Chacha20Poly1305 } from '@hpke/chacha20poly1305'
import { CipherSuite, HkdfSha256 } from '@hpke/core'
import { XWing } from '@hpke/hybridkem-x-wing'
import { sha256 } from '@noble/hashes/sha2.js'
import { concat, utf8, hexOf } from '../../common/index.js'
import { kdf, NONCE_BYTES, open, osRandom, seal, TAG_BYTES, type RandomSource } from '../crypto/primitives.js'
import { SessionError } from '../errors.js'
import { Reader, Writer } from '../protocol/bytes.js'

/**
 * Onion requests: a client sends a request through a path of service nodes (3 by default) so that no
 * node learns both who asked and what was asked of whom. Each layer is sealed to one hop's onion key
 * with HPKE (RFC 9180, base mode) over X-Wing — ML-KEM-768 + X25519, so a quantum attacker who records
 * the traffic must break ML-KEM and a classical one X25519 — with HKDF-SHA256 and ChaCha20-Poly1305
 * (`@hpke/*`; info "pars-onion-v1"):
 *
 *   layer     = enc (1,120) ‖ HPKE ciphertext of:
 *               version (1) ‖ kind (1: relay, 2: deliver) ‖ reply key (32) ‖ [next peer id] ‖ inner
 *   inner     = the next hop's layer (relay), or the padded request (deliver)
 *
 * A hop learns the previous hop (the connection), the next hop (in its layer) and nothing else; only
 * the last hop sees the request, and not who sent it. The answer travels back the same way, each
 * hop sealing it under the reply key of its layer (XChaCha20-Poly1305), so only the client, who chose
 * every reply key, opens all the layers. Requests and answers are padded to 1 KiB buckets; a packet
 * shrinks by one layer's overhead per hop, as in any onion routing without re-padding. A hop refuses
 * a layer it has already opened (replay).
 *
 * Circuits. A post-quantum layer costs an X-Wing encapsulation for the client and a decapsulation for
 * the hop (about 3 ms each in JavaScript), so, as Tor does, a client may keep a path: the request that
 * builds it flags every layer "keep", and each hop keeps the layer's secret for CIRCUIT_TTL_MS as a
 * circuit, under an id derived from that secret (each hop sees a different id). Later requests on the
 * path are symmetric layers only:
 *
 *   packet    = 0x02 ‖ circuit id (16) ‖ XChaCha20-Poly1305(forward key, nonce, kind ‖ inner; aad = id)
 *
 * A hop that no longer knows the circuit (expired, restarted) cannot answer it; the client then builds
 * a new one. A circuit's requests are linkable by its hops (they see one id), so the daemon keeps
 * separate circuits for its own traffic and for each peer it writes to, and replaces them after a few
 * minutes; forward secrecy holds per circuit (its keys are forgotten at expiry).
 *
 *   HPKE packet = 0x01 ‖ enc ‖ ciphertext (above)
 */
export const ONION_INFO = utf8.encode('pars-onion-v1')
export const ONION_PUBLIC_KEY_BYTES = 1216
const ENC_BYTES = 1120
const VERSION = 2
const RELAY = 1
const DELIVER = 2
const PACKET_HPKE = 1
const PACKET_CIRCUIT = 2
const FLAG_KEEP = 1
const CIRCUIT_ID_BYTES = 16
/** how long a hop keeps a circuit's keys */
export const CIRCUIT_TTL_MS = 10 * 60_000
/** circuits a hop keeps at most (the oldest go first) */
const MAX_CIRCUITS = 100_000
/** nonces remembered per circuit (replays within that window are refused) */
const CIRCUIT_SEEN = 4096
export const MAX_PACKET = 128 * 1024
const BUCKET = 1024
const SEEN_LIMIT = 65_536

export interface OnionHop {
  peerId: string
  /** the hop's X-Wing onion public key (1,216 bytes) */
  publicKey: Uint8Array
}

export type PeeledLayer =
  { kind: 'relay'; next: string; packet: Uint8Array; replyKey: Uint8Array } | { kind: 'deliver'; request: Uint8Array; replyKey: Uint8Array }

/** The HPKE suite (stateless: one shared instance is no shared state). */
const SUITE = new CipherSuite({ kem: new XWing(), kdf: new HkdfSha256(), aead: new Chacha20Poly1305() })
const suite = (): CipherSuite => SUITE

/** An exact copy as an ArrayBuffer (Buffer.prototype.slice would share the pool, so copy by hand). */
const buf = (b: Uint8Array): ArrayBuffer => Uint8Array.from(b).buffer as ArrayBuffer

/** A service node's onion key pair (from a 32-byte seed, or random). */
export async function onionKeyPair(seed: Uint8Array = osRandom(32)): Promise<{ publicKey: Uint8Array; privateKey: Uint8Array }> {
  const kem = suite().kem
  const kp = await kem.deriveKeyPair(buf(seed))
  return {
    publicKey: new Uint8Array(await kem.serializePublicKey(kp.publicKey)),
    privateKey: new Uint8Array(await kem.serializePrivateKey(kp.privateKey)),
  }
}

/** Pad to the next 1 KiB bucket (0x80 then zeros), as messages are padded. */
export function padBucket(b: Uint8Array): Uint8Array {
  const size = Math.ceil((b.length + 1) / BUCKET) * BUCKET
  const out = new Uint8Array(size)
  out.set(b)
  out[b.length] = 0x80
  return out
}

export function unpadBucket(b: Uint8Array): Uint8Array {
  let i = b.length - 1
  while (i >= 0 && b[i] === 0) i--
  if (i < 0 || b[i] !== 0x80 || b.length % BUCKET !== 0) throw new SessionError('MALFORMED', 'onion payload padding')
  return b.subarray(0, i)
}

async function sealLayer(hop: OnionHop, plaintext: Uint8Array, random: RandomSource): Promise<Uint8Array> {
  const s = suite()
  let recipientPublicKey
  try {
    recipientPublicKey = await s.kem.deserializePublicKey(buf(hop.publicKey))
  } catch (e) {
    throw new SessionError('MALFORMED', `hop ${hop.peerId}: not an X-Wing onion key`, { cause: e })
  }
  const r = await s.seal({ recipientPublicKey, ekm: buf(random(64)), info: buf(ONION_INFO) }, buf(plaintext))
  return concat(Uint8Array.of(PACKET_HPKE), new Uint8Array(r.enc), new Uint8Array(r.ct))
}

/** A layer secret's circuit: the id its hop files it under, and the keys of each direction. */
function circuitKeys(secret: Uint8Array): { id: Uint8Array; forward: Uint8Array; back: Uint8Array } {
  return {
    id: kdf(secret, undefined, 'pars-circuit-id-v1', CIRCUIT_ID_BYTES),
    forward: kdf(secret, undefined, 'pars-circuit-forward-v1', 32),
    back: kdf(secret, undefined, 'pars-circuit-back-v1', 32),
  }
}

/**
 * The client's side of a kept path: build() gives the packet that sets it up (answered like any onion
 * request, with the returned reply keys); wrap() the later requests' packets, symmetric only.
 */
export class OnionCircuit {
  private constructor(
    readonly path: readonly OnionHop[],
    private readonly keys: { id: Uint8Array; forward: Uint8Array; back: Uint8Array }[],
    readonly createdAt: number,
    private readonly random: RandomSource,
  ) {}

  static async build(
    path: readonly OnionHop[],
    request: Uint8Array,
    random: RandomSource = osRandom,
    now: number = Date.now(),
  ): Promise<{ circuit: OnionCircuit; packet: Uint8Array; replyKeys: Uint8Array[] }> {
    const { packet, replyKeys } = await buildOnion(path, request, random, { keep: true })
    return { circuit: new OnionCircuit(path, replyKeys.map(circuitKeys), now, random), packet, replyKeys }
  }

  /** A later request on the circuit: the packet for the first hop, and the keys that open its answer. */
  wrap(request: Uint8Array): { packet: Uint8Array; replyKeys: Uint8Array[] } {
    let inner = padBucket(request)
    for (let i = this.keys.length - 1; i >= 0; i--) {
      const k = this.keys[i]!
      const sealed = seal(k.forward, concat(Uint8Array.of(i === this.keys.length - 1 ? DELIVER : RELAY), inner), k.id, this.random)
      inner = concat(Uint8Array.of(PACKET_CIRCUIT), k.id, sealed)
    }
    if (inner.length > MAX_PACKET) throw new SessionError('MALFORMED', `onion packet of ${inner.length} bytes is over ${MAX_PACKET}`)
    return { packet: inner, replyKeys: this.keys.map((k) => k.back) }
  }
}

/**
 * Wrap `request` for `path` (first hop first). Returns the packet for the first hop and the reply
 * keys the client keeps to open the answer.
 */
export async function buildOnion(
  path: readonly OnionHop[],
  request: Uint8Array,
  random: RandomSource = osRandom,
  options: { keep?: boolean } = {},
): Promise<{ packet: Uint8Array; replyKeys: Uint8Array[] }> {
  const flags = options.keep === true ? FLAG_KEEP : 0
  if (path.length === 0) throw new SessionError('MALFORMED', 'an onion path needs at least one hop')
  const replyKeys = path.map(() => random(32))
  let inner = padBucket(request)
  for (let i = path.length - 1; i >= 0; i--) {
    const w = new Writer().u8(VERSION).u8(flags)
    if (i === path.length - 1) w.u8(DELIVER).bytes(replyKeys[i]!)
    else
      w.u8(RELAY)
        .bytes(replyKeys[i]!)
        .varBytes(utf8.encode(path[i + 1]!.peerId))
    inner = await sealLayer(path[i]!, w.bytes(inner).finish(), random)
  }
  if (inner.length > MAX_PACKET) throw new SessionError('MALFORMED', `onion packet of ${inner.length} bytes is over ${MAX_PACKET}`)
  return { packet: inner, replyKeys }
}

interface KeptCircuit {
  forward: Uint8Array
  back: Uint8Array
  /** where its packets go next (undefined: this hop is the last) */
  next: string | undefined
  expires: number
  seen: Set<string>
}

/** A service node's side: open one layer with its onion key (or a circuit's), refusing replays. */
export class OnionRouter {
  private readonly seen = new Set<string>()
  private readonly order: string[] = []
  /** kept circuits by id (hex), oldest first */
  private readonly circuits = new Map<string, KeptCircuit>()
  /** the X-Wing private key, expanded from its seed once (an expansion is an ML-KEM keygen) */
  private recipientKey: ReturnType<CipherSuite['kem']['deserializePrivateKey']> | undefined

  constructor(
    private readonly privateKey: Uint8Array,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** How many circuits this hop keeps now. */
  get circuitCount(): number {
    return this.circuits.size
  }

  async peel(packet: Uint8Array): Promise<PeeledLayer> {
    if (packet.length > MAX_PACKET) throw new SessionError('MALFORMED', 'onion packet size')
    if (packet[0] === PACKET_CIRCUIT) return this.peelCircuit(packet)
    if (packet[0] !== PACKET_HPKE) throw new SessionError('MALFORMED', 'onion packet type')
    packet = packet.subarray(1)
    if (packet.length <= ENC_BYTES) throw new SessionError('MALFORMED', 'onion packet size')
    const enc = packet.subarray(0, ENC_BYTES)
    const id = hexOf(sha256(enc))
    if (this.seen.has(id)) throw new SessionError('DUPLICATE', 'this onion layer was already relayed (replay)')
    const s = suite()
    let plain: Uint8Array
    try {
      this.recipientKey ??= s.kem.deserializePrivateKey(buf(this.privateKey))
      const recipientKey = await this.recipientKey
      plain = new Uint8Array(await s.open({ recipientKey, enc: buf(enc), info: buf(ONION_INFO) }, buf(packet.subarray(ENC_BYTES))))
    } catch (e) {
      throw new SessionError('DECRYPT_FAILED', 'the onion layer does not open with this node key (altered, or not for us)', { cause: e })
    }
    this.remember(id)
    const r = new Reader(plain, 'onion layer')
    if (r.u8() !== VERSION) throw new SessionError('UNSUPPORTED_VERSION', 'onion layer version')
    const flags = r.u8()
    const kind = r.u8()
    const replyKey = r.bytes(32)
    let layer: PeeledLayer
    if (kind === RELAY) {
      const next = new TextDecoder().decode(r.varBytes(128))
      layer = { kind: 'relay', next, packet: r.rest(), replyKey }
    } else if (kind === DELIVER) layer = { kind: 'deliver', request: unpadBucket(r.rest()), replyKey }
    else throw new SessionError('MALFORMED', `onion layer kind ${kind}`)
    if ((flags & FLAG_KEEP) !== 0) this.keep(replyKey, layer.kind === 'relay' ? layer.next : undefined)
    return layer
  }

  private keep(secret: Uint8Array, next: string | undefined): void {
    const k = circuitKeys(secret)
    const now = this.now()
    // expired circuits go first, then the oldest while over the cap
    for (const [id, c] of this.circuits) {
      if (c.expires > now && this.circuits.size < MAX_CIRCUITS) break
      this.circuits.delete(id)
    }
    this.circuits.set(hexOf(k.id), { forward: k.forward, back: k.back, next, expires: now + CIRCUIT_TTL_MS, seen: new Set() })
  }

  private peelCircuit(packet: Uint8Array): PeeledLayer {
    if (packet.length < 1 + CIRCUIT_ID_BYTES + NONCE_BYTES + TAG_BYTES + 1) throw new SessionError('MALFORMED', 'onion packet size')
    const id = packet.subarray(1, 1 + CIRCUIT_ID_BYTES)
    const key = hexOf(id)
    const c = this.circuits.get(key)
    if (c === undefined || c.expires <= this.now()) {
      this.circuits.delete(key)
      throw new SessionError('UNKNOWN_CIRCUIT', 'this hop keeps no such circuit (expired, or never built): build a new one')
    }
    const sealed = packet.subarray(1 + CIRCUIT_ID_BYTES)
    const nonce = hexOf(sealed.subarray(0, NONCE_BYTES))
    if (c.seen.has(nonce)) throw new SessionError('DUPLICATE', 'this onion layer was already relayed (replay)')
    const plain = open(c.forward, sealed, id)
    if (plain === undefined || plain.length < 1)
      throw new SessionError('DECRYPT_FAILED', 'the circuit layer does not open (altered on the way)')
    c.seen.add(nonce)
    if (c.seen.size > CIRCUIT_SEEN) c.seen.delete(c.seen.values().next().value!)
    const kind = plain[0]
    if (kind === RELAY && c.next !== undefined) return { kind: 'relay', next: c.next, packet: plain.subarray(1), replyKey: c.back }
    if (kind === DELIVER && c.next === undefined) return { kind: 'deliver', request: unpadBucket(plain.subarray(1)), replyKey: c.back }
    throw new SessionError('MALFORMED', 'circuit layer kind')
  }

  private remember(id: string): void {
    this.seen.add(id)
    this.order.push(id)
    if (this.order.length > SEEN_LIMIT) this.seen.delete(this.order.shift()!)
  }
}

/** A hop seals the answer it passes back under its layer's reply key (the last hop pads it first). */
export function sealReply(replyKey: Uint8Array, response: Uint8Array, last: boolean, random: RandomSource = osRandom): Uint8Array {
  return seal(replyKey, last ? padBucket(response) : response, ONION_INFO, random)
}

/** The client opens the answer, layer by layer from the first hop. */
export function openReply(replyKeys: readonly Uint8Array[], reply: Uint8Array): Uint8Array {
  let b = reply
  for (const k of replyKeys) {
    const o = open(k, b, ONION_INFO)
    if (o === undefined) throw new SessionError('DECRYPT_FAILED', 'the onion answer does not open: altered on the way back')
    b = o
  }
  return unpadBucket(b)
}
