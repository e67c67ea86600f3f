import { hexToBytes } from '@noble/hashes/utils.js'
import { readU64be, u64be, utf8, type KVBatchOp, type KVStore, type Logger, hexOf } from '../common/index.js'
import { parseSessionId, sessionLink, type Identity } from './crypto/identity.js'
import type { UnlockedIdentity } from './crypto/keystore.js'
import { kdf, open, osRandom, seal, type RandomSource } from './crypto/primitives.js'
import { SessionError } from './errors.js'
import type { OnionHop } from './onion/onion.js'
import { Reader, Writer } from './protocol/bytes.js'
import { MAX_CONTENT, pad, unpad } from './protocol/message.js'
import type { ServiceRequest, ServiceResponse } from './service/codec.js'
import {
  buildCircuit,
  circuitRequest,
  fetchBundle,
  publishBundle,
  verifiedHolders,
  type OnionSend,
  type ServiceTransport,
} from './service/serviceNode.js'
import type { OnionCircuit } from './onion/onion.js'
import type { KeyBundle, Prekey } from './crypto/bundle.js'
import { envelopeKind, Session, type ReceivedMessage, type ReplayGuard } from './session.js'
import { MAX_PRIVATE_TTL_MS, messageHash, signOwner, type OwnerAuth, type StoredMessage } from './storage/store.js'
import { swarmsOf, type SwarmMap } from './swarm/swarms.js'
import { decodeNotice, NOTICE_NAMESPACE, noticeId, NOTICES_SESSION, noticeText, type Notice } from './notices.js'
import { signTriggerAction } from './trigger.js'

/**
 * The session daemon's core (the PIP's SessionDaemon; its control API is control/server.ts): one
 * unlocked identity, its sessions and conversations, talking to the service nodes only through onion
 * paths.
 *
 *   - start() publishes the identity's key bundle in its own swarm, then polls its inbox;
 *   - createSession(id) fetches the peer's bundle by Session ID alone (checked against the ID);
 *   - sendMessage stores the encrypted envelope in the peer's swarm;
 *   - a poll retrieves new envelopes (paged by the last hash), accepts handshakes (sealed sender: the
 *     initiator is learned only here), opens messages, and keeps them;
 *   - every message sent or received is also stored, sealed under a key only the recovery phrase
 *     gives, in the identity's own swarm (the private sync namespace), so another device restored from
 *     the same phrase sees the whole conversation;
 *   - session states, conversations, cursors and accepted handshakes are kept in the KV store after
 *     every change, so a restart resumes where it stopped.
 *
 * Paths are 3 distinct random service nodes, the first one of a few long-lived guards (as Tor does:
 * a hostile first hop sees the client's address, so the client shows it to as few nodes as it can),
 * the last one in the recipient's swarm (computed from the service node list exactly as the nodes
 * compute it). Optional cover traffic sends dummy onion requests at random intervals.
 */
export interface DaemonComponents {
  kv: KVStore
  transport: ServiceTransport
  /** the service nodes and their onion keys (from the chain) */
  hops: () => readonly OnionHop[]
  /** the swarms as a full node follows them (default: computed from hops(), corrected by wrong-swarm answers) */
  swarms?: () => SwarmMap
  identity: UnlockedIdentity
  random?: RandomSource
  now?: () => number
  logger?: Logger
  /** ms between inbox polls (default 1 s) */
  pollMs?: number
  /** ms a sent message's sync record waits for others to share one store with (default 1 s) */
  syncDelayMs?: number
  /** mean ms between cover (dummy) onion requests; 0 or absent: none */
  coverTrafficMs?: number
  /** the chain this daemon's network runs (a relay on another chain is refused); absent: no contract actions */
  chainId?: bigint
}

/** A contract action to have a relay submit (trigger()). */
export interface TriggerRequest {
  /** the SessionTrigger contract */
  target: string
  /** the call the contract makes to itself, e.g. increment() */
  callData: string
  /** seconds the action stays valid (default 600) */
  expirySeconds?: number
  /** the relay (a service node's peer id); absent: any that relays */
  relay?: string
}

export interface TriggerResult {
  txHash: string
  relay: string
  nonce: string
}

export interface ConversationMessage {
  /** the message id (hex): the sender's for incoming messages, this device's for outgoing ones */
  id: string
  /** this daemon's order of arrival, across conversations (what `messagesSince` pages by) */
  seq: number
  direction: 'in' | 'out'
  text: string
  /** unix seconds (the sender's coarse timestamp for incoming messages) */
  timestamp: number
  read: boolean
  /** in the notices conversation: the notice itself (relay outcomes, contract events) */
  notice?: Notice
}

export interface SessionSummary {
  peer: string
  messages: number
  unread: number
  lastTimestamp: number
}

export interface MessageEvent {
  session: string
  message: ConversationMessage
}

export interface DaemonStatus {
  sessionId: string
  sessions: number
  serviceNodes: number
  /** ms since the epoch of the last completed poll (0: none yet) */
  lastPoll: number
  guards: string[]
  /** sync records not yet stored in the own swarm */
  unsynced: number
  coverRequests: number
}

export interface PeerInfo {
  peerId: string
  guard: boolean
  /** a member of the swarm that holds this identity's inbox */
  mySwarm: boolean
}

/** Sessions kept per peer (the current one and older ones that may still carry messages). */
const KEPT_SESSIONS = 4
/** How long a retrieve signature is reused (the node accepts one for ±60 s). */
const OWNER_AUTH_REUSE_MS = 30_000
/** members other than the one a store reached whose receipts let the store skip its second lane */
const HOLDERS_NEEDED = 2
/** A circuit is replaced after this long (hops keep one for CIRCUIT_TTL_MS = 10 min). */
export const CIRCUIT_MAX_AGE_MS = 5 * 60_000
/** How long the daemon polls notices every time while a relayed action's outcome is awaited. */
const OUTCOME_WAIT_MS = 5 * 60_000
/** How many onion paths a request tries before it gives up. */
const PATH_TRIES = 6
/** How many guards the first hop is chosen among. */
export const GUARD_COUNT = 2
/** The private namespace a daemon syncs its own devices through. */
export const SYNC_NAMESPACE = 2
const SYNC_AAD = utf8.encode('pars-device-sync-v1')
/** the timer's polls read the sync namespace once in this many (an explicit poll() always does) */
const SYNC_POLL_EVERY = 5
/** how long sync records gather before they are stored (a poll or a stop stores them at once) */
const SYNC_DELAY_MS = 1_000
/** the most one sync store carries before padding: one record of the largest message still fits */
const SYNC_BATCH_BYTES = 32_000
const enc = new TextEncoder()
const dec = new TextDecoder()
/** a cursor's name: in memory as is, on disk after `k:` */
const cursorId = (namespace: number, member: string): string => `${namespace}:${member}`

const K = {
  session: (peer: string) => enc.encode(`s:${peer}`),
  /** a conversation exists (empty value); its messages are under message(peer, seq), one key each */
  conversation: (peer: string) => enc.encode(`p:${peer}`),
  message: (peer: string, seq: number) => enc.encode(`m:${peer}:${String(seq).padStart(12, '0')}`),
  messages: (peer: string) => ({ gte: enc.encode(`m:${peer}:`), lt: enc.encode(`m:${peer};`) }),
  /** before one key per message: a whole conversation as one value (read once, then rewritten) */
  legacyConversation: (peer: string) => enc.encode(`c:${peer}`),
  /** the last record read from one member in one namespace (each member keeps its own order) */
  cursor: (namespace: number, member: string) => enc.encode(`k:${cursorId(namespace, member)}`),
  /** a record already read (from any member): its expiry, ms (u64) */
  seen: (hash: string) => enc.encode(`r:${hash}`),
  /** before per-member cursors: one cursor per namespace (deleted at start) */
  legacyCursorNames: ['cursor', 'synccursor', 'noticecursor'],
  guards: enc.encode('guards'),
  handshake: (id: string) => enc.encode(`h:${id}`),
  unsynced: (id: string) => enc.encode(`q:${id}`),
  /** a message no session opened yet (its handshake not arrived): arrival ms (u64) ‖ envelope */
  parked: (hash: string) => enc.encode(`w:${hash}`),
}
/** Messages kept while their handshake has not arrived: at most this many, for at most the store's TTL. */
const PARKED_MAX = 500
const PARKED_TTL_MS = MAX_PRIVATE_TTL_MS
/** how often the expired read records are forgotten (they only cost memory until then) */
const FORGET_EVERY_MS = 3_600_000

interface SyncRecord {
  v: 1
  id: string
  peer: string
  direction: 'in' | 'out'
  text: string
  timestamp: number
}

/** A sync batch: version ‖ count ‖ per record: id ‖ peer (33) ‖ direction ‖ timestamp ‖ text (UTF-8). */
function encodeSyncBatch(records: readonly SyncRecord[]): Uint8Array {
  const w = new Writer().u8(1).u16(records.length)
  for (const r of records)
    w.varBytes(hexToBytes(r.id))
      .bytes(hexToBytes(r.peer))
      .u8(r.direction === 'in' ? 1 : 2)
      .u64(BigInt(Math.max(0, Math.floor(r.timestamp))))
      .varBytes(utf8.encode(r.text))
  return w.finish()
}

function decodeSyncBatch(bytes: Uint8Array): SyncRecord[] {
  const r = new Reader(bytes, 'sync batch')
  if (r.u8() !== 1) throw new SessionError('UNSUPPORTED_VERSION', 'sync batch version')
  const n = r.u16()
  const out: SyncRecord[] = []
  for (let i = 0; i < n; i++) {
    const id = hexOf(r.varBytes(64))
    const peer = parseSessionId(hexOf(r.bytes(33)))
    const d = r.u8()
    if (d !== 1 && d !== 2) throw new SessionError('MALFORMED', 'sync record direction')
    const timestamp = Number(r.u64())
    const text = dec.decode(r.varBytes(MAX_CONTENT))
    out.push({ v: 1, id, peer, direction: d === 1 ? 'in' : 'out', timestamp, text })
  }
  r.end()
  return out
}

/** A record's size in a batch (bytes). */
function syncRecordSize(r: SyncRecord): number {
  return 4 + r.id.length / 2 + 33 + 1 + 8 + 4 + utf8.encode(r.text).length
}

/** A promise's outcome, without throwing (Promise.allSettled for one, so calls can run in turn). */
function settled<T>(p: Promise<T>): Promise<PromiseSettledResult<T>> {
  return p.then(
    (value) => ({ status: 'fulfilled', value }),
    (reason: unknown) => ({ status: 'rejected', reason }),
  )
}

function encodeSessions(list: readonly Session[]): Uint8Array {
  const w = new Writer().u8(list.length)
  for (const s of list) w.varBytes(s.serialize())
  return w.finish()
}

export class SessionDaemon {
  /** per peer: the session messages are sent in, then older ones still opened (another device of the peer's, or a replaced session) */
  private readonly sessions = new Map<string, Session[]>()
  private readonly conversations = new Map<string, ConversationMessage[]>()
  private readonly knownIds = new Set<string>()
  private readonly unsynced = new Map<string, SyncRecord>()
  /** envelopes that no session opened, by record hash, oldest first (see park) */
  private readonly parked = new Map<string, { at: number; envelope: Uint8Array }>()
  private readonly listeners = new Set<(e: MessageEvent) => void>()
  private seq = 0
  /** per namespace and member: the last record's hash (the members' orders differ: a cursor from one means nothing to another) */
  private readonly cursors = new Map<string, string>()
  /** records already read, by hash, with their expiry (ms): another member hands them out again */
  private readonly seenRecords = new Map<string, number>()
  private forgotAt = Number.NEGATIVE_INFINITY
  /** transaction hashes of relayed actions whose outcome has not arrived, and since when (ms) */
  private readonly awaitingOutcome = new Map<string, number>()
  /** service nodes that answered as relays */
  private readonly relays = new Set<string>()
  private guards: string[] = []
  private timer: NodeJS.Timeout | undefined
  private coverTimer: NodeJS.Timeout | undefined
  private coverRequests = 0
  private ticks = 0
  private syncTimer: NodeJS.Timeout | undefined
  private polling: Promise<number> = Promise.resolve(0)
  private lastPoll = 0
  private swarmCache: { key: string; map: SwarmMap } | undefined
  /** kept paths, by purpose: 'own' (this identity's inbox, sync and bundle), 'to:<peer>' (writing to a peer), 'cover' */
  private readonly circuits = new Map<string, OnionCircuit>()
  private readonly random: RandomSource
  private readonly now: () => number
  private readonly syncKey: Uint8Array
  private prekeys: Prekey[]

  constructor(private readonly c: DaemonComponents) {
    this.random = c.random ?? osRandom
    this.now = c.now ?? (() => Date.now())
    // every device restored from the phrase derives the same key; no service node can
    this.syncKey = kdf(c.identity.identity.x25519.secretKey, undefined, 'pars-device-sync-v1', 32)
    this.prekeys = [...c.identity.prekeys]
  }

  private get me(): Identity {
    return this.c.identity.identity
  }

  /** Load what the KV store kept, publish the bundle, start polling. */
  async start(): Promise<void> {
    const legacy: [string, ConversationMessage[]][] = []
    const parked: [string, { at: number; envelope: Uint8Array }][] = []
    const legacyCursors: Uint8Array[] = []
    for await (const [k, v] of this.c.kv.iterator()) {
      const key = dec.decode(k)
      if (key.startsWith('s:')) this.sessions.set(key.slice(2), this.restoreSessions(v))
      else if (key.startsWith('p:')) {
        if (!this.conversations.has(key.slice(2))) this.conversations.set(key.slice(2), [])
      } else if (key.startsWith('m:')) {
        const m = JSON.parse(dec.decode(v)) as ConversationMessage
        const peer = key.slice(2, key.lastIndexOf(':'))
        const conv = this.conversations.get(peer) ?? []
        conv.push(m)
        this.conversations.set(peer, conv)
        this.knownIds.add(m.id)
        this.seq = Math.max(this.seq, m.seq)
      } else if (key.startsWith('c:')) legacy.push([key.slice(2), JSON.parse(dec.decode(v)) as ConversationMessage[]])
      else if (key.startsWith('q:')) this.unsynced.set(key.slice(2), JSON.parse(dec.decode(v)) as SyncRecord)
      else if (key.startsWith('w:') && v.length > 8) parked.push([key.slice(2), { at: Number(readU64be(v)), envelope: v.slice(8) }])
      else if (key.startsWith('k:')) this.cursors.set(key.slice(2), dec.decode(v))
      else if (key.startsWith('r:') && v.length === 8) this.seenRecords.set(key.slice(2), Number(readU64be(v)))
      else if (K.legacyCursorNames.includes(key)) legacyCursors.push(Uint8Array.from(k))
      else if (key === 'guards') this.guards = JSON.parse(dec.decode(v)) as string[]
    }
    for (const [peer, msgs] of legacy) {
      this.conversations.set(peer, msgs)
      for (const m of msgs) {
        this.knownIds.add(m.id)
        this.seq = Math.max(this.seq, m.seq)
      }
      await this.persist(peer, msgs, [{ type: 'del', key: K.legacyConversation(peer) }])
    }
    // keys sort by sequence within a conversation; keep memory in that order too
    for (const msgs of this.conversations.values()) msgs.sort((a, b) => a.seq - b.seq)
    for (const [hash, p] of parked.sort((a, b) => a[1].at - b[1].at)) this.parked.set(hash, p)
    if (legacyCursors.length > 0) await this.c.kv.batch(legacyCursors.map((key) => ({ type: 'del', key })))
    await this.forgetExpired()
    try {
      await this.publishBundle()
    } catch (e) {
      // the network may still be coming up: every poll tries again until it is published
      this.c.logger?.warn('publishing the key bundle failed; retrying with the polls', { error: String(e) })
    }
    const every = this.c.pollMs ?? 1000
    const tick = (): void => {
      this.timer = setTimeout(() => {
        // the own devices' sync namespace every SYNC_POLL_EVERY polls: it is the inbox that must be quick
        this.pollWith(this.ticks++ % SYNC_POLL_EVERY === 0)
          .catch((e: unknown) => this.c.logger?.warn('inbox poll failed', { error: String(e) }))
          .finally(() => {
            if (this.timer !== undefined) tick()
          })
      }, every)
    }
    tick()
    if ((this.c.coverTrafficMs ?? 0) > 0) this.scheduleCover()
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer)
    clearTimeout(this.coverTimer)
    this.timer = undefined
    this.coverTimer = undefined
    await this.polling.catch(() => undefined)
    // what is still to sync goes out now (what cannot, waits in the store for the next start)
    clearTimeout(this.syncTimer)
    this.syncTimer = undefined
    if (this.unsynced.size > 0) await this.flushSync().catch(() => undefined)
    await this.flushing.catch(() => undefined)
  }

  /** Prekeys rotated (keystore.rotatePrekeys): hold these from now on, and publish the newest with the next poll. */
  usePrekeys(prekeys: readonly Prekey[]): void {
    this.prekeys = [...prekeys]
    this.bundlePublished = false
  }

  getIdentity(): { sessionId: string; link: string } {
    return { sessionId: this.me.sessionId, link: sessionLink(this.me.sessionId) }
  }

  /** Be told of every message added to a conversation (received, sent, or synced from another device). */
  onMessage(listener: (e: MessageEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Messages that arrived after `seq` (every conversation, or `only`), oldest first, at most `limit`. */
  messagesSince(seq: number, limit = 500, only?: string): MessageEvent[] {
    const out: MessageEvent[] = []
    for (const [session, msgs] of this.conversations) {
      if (only !== undefined && session !== only) continue
      for (const message of msgs) if (message.seq > seq) out.push({ session, message })
    }
    return out.sort((a, b) => a.message.seq - b.message.seq).slice(0, limit)
  }

  /** The newest message sequence number (0: none). */
  lastSeq(): number {
    return this.seq
  }

  private restoreSessions(bytes: Uint8Array): Session[] {
    const r = new Reader(bytes, 'kept sessions')
    const n = r.u8()
    const out: Session[] = []
    for (let i = 0; i < n; i++) out.push(Session.restore(this.me, r.varBytes(1 << 24), { random: this.random }))
    return out
  }

  /** The swarms of the known service nodes, rebuilt only when that list changes. */
  private swarms(): SwarmMap {
    if (this.c.swarms !== undefined) return this.c.swarms()
    const ids = this.c.hops().map((h) => h.peerId)
    const key = ids.join(',')
    if (this.swarmCache?.key !== key) {
      this.swarmCache = { key, map: swarmsOf(ids) }
    }
    return this.swarmCache.map
  }

  private pick<T>(from: readonly T[]): T {
    const r = this.random(4)
    return from[(((r[0]! << 24) | (r[1]! << 16) | (r[2]! << 8) | r[3]!) >>> 0) % from.length]!
  }

  /** The guards, topped up from the known nodes (those no longer listed are dropped). */
  private currentGuards(known: readonly OnionHop[], avoid: ReadonlySet<string>): string[] {
    const ids = new Set(known.map((h) => h.peerId))
    const kept = this.guards.filter((g) => ids.has(g))
    const want = Math.min(GUARD_COUNT, Math.max(0, known.length - 1))
    while (kept.length < want) {
      const fresh = known.filter((h) => !kept.includes(h.peerId) && !avoid.has(h.peerId))
      const candidates = fresh.length > 0 ? fresh : known.filter((h) => !kept.includes(h.peerId))
      kept.push(this.pick(candidates).peerId)
    }
    if (kept.join(',') !== this.guards.join(',')) {
      this.guards = kept
      void this.c.kv.put(K.guards, enc.encode(JSON.stringify(kept))).catch(() => undefined)
    }
    return kept
  }

  /** A guard that could not be reached is replaced (the next path picks a new one). */
  private dropGuard(peer: string): void {
    if (!this.guards.includes(peer)) return
    this.guards = this.guards.filter((g) => g !== peer)
    this.c.logger?.info('replacing an unreachable guard node', { guard: peer })
  }

  /**
   * Up to 3 distinct hops: the first a guard, the last among `last` when given, avoiding `avoid`
   * while there are enough others.
   */
  private path(last?: readonly string[], avoid: ReadonlySet<string> = new Set()): OnionHop[] {
    const known = [...this.c.hops()]
    if (known.length === 0) throw new SessionError('UNREACHABLE', 'no service nodes known')
    const fresh = known.filter((h) => !avoid.has(h.peerId))
    const all = fresh.length >= Math.min(3, known.length) ? fresh : known
    const inLast = (h: OnionHop): boolean => last === undefined || last.includes(h.peerId)
    const ends = all.filter(inLast)
    const end = this.pick(ends.length > 0 ? ends : known.filter(inLast).length > 0 ? known.filter(inLast) : known)
    const rest = all.filter((h) => h.peerId !== end.peerId)
    if (rest.length === 0) return [end]
    const guards = this.currentGuards(known, avoid)
    const guardHops = rest.filter((h) => guards.includes(h.peerId))
    const first = this.pick(guardHops.length > 0 ? guardHops : rest)
    const middle = rest.filter((h) => h.peerId !== first.peerId)
    return middle.length > 0 ? [first, this.pick(middle), end] : [first, end]
  }

  /** A kept circuit for `purpose` that still serves: young enough, ending in `last`, avoiding `avoid`. */
  private circuitFor(purpose: string, last: readonly string[] | undefined, avoid: ReadonlySet<string>): OnionCircuit | undefined {
    const c = this.circuits.get(purpose)
    if (c === undefined) return undefined
    const known = new Set(this.c.hops().map((h) => h.peerId))
    const usable =
      this.now() - c.createdAt < CIRCUIT_MAX_AGE_MS &&
      c.path.every((h) => known.has(h.peerId) && !avoid.has(h.peerId)) &&
      (last === undefined || last.includes(c.path.at(-1)!.peerId))
    if (!usable) this.circuits.delete(purpose)
    return usable ? c : undefined
  }

  /**
   * One exchange through the onion: on the circuit kept for `purpose`, or on a new random path that
   * becomes it. A path that fails (a hop down, an answer that does not open, a hop that forgot the
   * circuit) is dropped and replaced, up to PATH_TRIES times.
   */
  private async viaOnion<T>(
    last: readonly string[] | undefined,
    purpose: string,
    exchange: (send: OnionSend, end: string) => Promise<T>,
  ): Promise<T> {
    let error: unknown
    // the hops of a failed path are avoided by the next tries (one of them is down, or misbehaves)
    const avoid = new Set<string>()
    for (let i = 0; i < PATH_TRIES; i++) {
      const kept = this.circuitFor(purpose, last, avoid)
      const path = kept?.path ?? this.path(last, avoid)
      const send: OnionSend = async (q) => {
        const current = this.circuits.get(purpose)
        if (current !== undefined && current.path === path) return circuitRequest(this.c.transport, current, q)
        const { circuit, response } = await buildCircuit(this.c.transport, path, q, this.random)
        this.circuits.set(purpose, circuit)
        return response
      }
      try {
        return await exchange(send, path.at(-1)!.peerId)
      } catch (e) {
        error = e
        if (this.circuits.get(purpose)?.path === path) this.circuits.delete(purpose)
        // a transport error is the first hop's (the others' failures come back as replies that do not open)
        if (!(e instanceof SessionError)) {
          this.dropGuard(path[0]!.peerId)
          avoid.add(path[0]!.peerId)
        }
        // a kept circuit may just have expired at a hop: its hops get another chance on a new path
        if (kept === undefined) for (const h of path) avoid.add(h.peerId)
        this.c.logger?.debug('onion path failed; trying another', { error: String(e) })
      }
    }
    throw error instanceof SessionError ? error : new SessionError('UNREACHABLE', `no onion path worked: ${String(error)}`)
  }

  /** Send a request to the swarm of `recipient`, following a wrong-swarm answer. */
  /**
   * Send a request to the swarm of `recipient`, following a wrong-swarm answer. There are two lanes
   * (circuits) per purpose, ending at different members when the swarm has two: stores go down both
   * and polls alternate, so one member that drops or hides messages cannot make them disappear.
   */
  private lanePurpose(base: string, lane: number): string {
    return lane === 0 ? base : `${base}#${lane}`
  }

  /** The members a lane's circuit may end at: not where the other lane's circuit ends, when there is a choice. */
  private laneMembers(members: readonly string[], base: string, lane: number): readonly string[] {
    const otherEnd = this.circuits.get(this.lanePurpose(base, lane === 0 ? 1 : 0))?.path.at(-1)?.peerId
    const apart = members.filter((m) => m !== otherEnd)
    return apart.length > 0 ? apart : members
  }

  /** The circuits a request for `recipient` travels on: this identity's own, or those for writing to a peer. */
  private purposeBase(recipient: string): string {
    return recipient === this.me.sessionId ? 'own' : `to:${recipient}`
  }

  private async toSwarmVia(
    recipient: string,
    lane: number,
    exchange: (send: OnionSend, end: string) => Promise<ServiceResponse>,
  ): Promise<ServiceResponse> {
    let members = this.swarms().nodesFor(recipient)
    const base = this.purposeBase(recipient)
    for (let attempt = 0; attempt < 3; attempt++) {
      const r = await this.viaOnion(this.laneMembers(members, base, lane), this.lanePurpose(base, lane), exchange)
      if (r.type !== 'wrongSwarm') return r
      members = r.nodes
    }
    throw new SessionError('UNREACHABLE', `no node of the swarm of ${recipient} answered`)
  }

  /**
   * A store that holds even when the member it reaches drops it: the member's answer carries the
   * receipts of the other members it passed the record to, and when at least HOLDERS_NEEDED of them
   * (all the others, in a smaller swarm) verify for the record's hash, that is enough. Otherwise the
   * store goes down the second lane as well, to a different member (the same record: one hash, kept once).
   */
  private async storeTwice(recipient: string, q: Extract<ServiceRequest, { type: 'store' }>): Promise<ServiceResponse> {
    const hash = messageHash(recipient, q.namespace, q.timestamp, q.ttl, q.data)
    const base = this.purposeBase(recipient)
    const first = await settled(this.toSwarmVia(recipient, 0, (send) => send(q)))
    if (first.status === 'fulfilled' && first.value.type === 'stored') {
      const members = this.swarms().nodesFor(recipient)
      const answeredBy = this.circuits.get(this.lanePurpose(base, 0))?.path.at(-1)?.peerId
      const needed = Math.min(HOLDERS_NEEDED, members.filter((m) => m !== answeredBy).length)
      if (answeredBy !== undefined && needed > 0 && verifiedHolders(first.value.held, hash, members, answeredBy, needed).size >= needed) {
        return first.value
      }
    }
    const second = await settled(this.toSwarmVia(recipient, 1, (send) => send(q)))
    return this.eitherStored(first, second)
  }

  /** An exchange down both lanes: the first answer that stored, else the first lane's answer (or failure). */
  private async bothLanes(recipient: string, exchange: (send: OnionSend) => Promise<ServiceResponse>): Promise<ServiceResponse> {
    // one after the other: the second lane then knows where the first one ends, and ends elsewhere
    const a = await settled(this.toSwarmVia(recipient, 0, exchange))
    const b = await settled(this.toSwarmVia(recipient, 1, exchange))
    return this.eitherStored(a, b)
  }

  private eitherStored(a: PromiseSettledResult<ServiceResponse>, b: PromiseSettledResult<ServiceResponse>): ServiceResponse {
    const ok = [a, b].find((r) => r.status === 'fulfilled' && r.value.type === 'stored')
    if (ok !== undefined) return (ok as PromiseFulfilledResult<ServiceResponse>).value
    if (a.status === 'fulfilled') return a.value
    throw a.reason
  }

  private bundlePublished = false
  private async publishBundle(): Promise<void> {
    // the newest prekey goes in the bundle; the older ones still open handshakes already on their way
    const prekey = [...this.prekeys].sort((a, b) => b.expiresAt - a.expiresAt)[0]
    if (prekey === undefined) return
    // down both lanes, like every store (a member that drops it cannot hide the bundle); one record, one hash
    const now = this.now()
    const r = await this.bothLanes(this.me.sessionId, (send) => publishBundle(send, this.me, prekey, now))
    if (r.type !== 'stored')
      throw new SessionError(
        r.type === 'error' ? r.code : 'MALFORMED',
        `publishing the key bundle: ${r.type === 'error' ? r.message : r.type}`,
      )
    this.bundlePublished = true
  }

  /** Keep a conversation's session state and the given (new or changed) messages, one key each. */
  private async persist(peer: string, messages: readonly ConversationMessage[] = [], extra: KVBatchOp[] = []): Promise<void> {
    const s = this.sessions.get(peer)
    const ops: KVBatchOp[] = [
      { type: 'put', key: K.conversation(peer), value: new Uint8Array(0) },
      ...messages.map((m): KVBatchOp => ({ type: 'put', key: K.message(peer, m.seq), value: enc.encode(JSON.stringify(m)) })),
      ...extra,
    ]
    if (s !== undefined) ops.push({ type: 'put', key: K.session(peer), value: encodeSessions(s) })
    await this.c.kv.batch(ops)
  }

  /** Add a message to a conversation, keep it (with its sync record when it is this device's), tell the listeners. */
  private async append(peer: string, m: Omit<ConversationMessage, 'seq'>, sync: boolean): Promise<ConversationMessage> {
    const message: ConversationMessage = { ...m, seq: ++this.seq }
    const conv = this.conversations.get(peer) ?? []
    conv.push(message)
    this.conversations.set(peer, conv)
    this.knownIds.add(m.id)
    const extra: KVBatchOp[] = []
    if (sync) {
      const record: SyncRecord = { v: 1, id: m.id, peer, direction: m.direction, text: m.text, timestamp: m.timestamp }
      this.unsynced.set(m.id, record)
      extra.push({ type: 'put', key: K.unsynced(m.id), value: enc.encode(JSON.stringify(record)) })
    }
    await this.persist(peer, [message], extra)
    for (const l of this.listeners) l({ session: peer, message })
    if (sync && this.syncTimer === undefined) {
      // gathered for a moment: one owner signature (~7 ms) and one store then carry every record of it
      this.syncTimer = setTimeout(() => {
        this.syncTimer = undefined
        this.flushSync().catch((e: unknown) => this.c.logger?.debug('device sync deferred', { error: String(e) }))
      }, this.c.syncDelayMs ?? SYNC_DELAY_MS)
      this.syncTimer.unref?.()
    }
    return message
  }

  /** Start a session with a Session ID (its bundle fetched from the network and checked against it). */
  async createSession(peerInput: string): Promise<string> {
    const peer = parseSessionId(peerInput)
    if (peer === this.me.sessionId) throw new SessionError('MALFORMED', 'a session with oneself is not possible')
    if (this.sessions.has(peer)) return peer
    // from one lane's member, then the other's: a member that hides the bundle cannot stop the session
    let bundle: KeyBundle | undefined
    let failure: unknown
    for (const lane of [0, 1]) {
      try {
        bundle = await this.viaOnion(
          this.laneMembers(this.swarms().nodesFor(peer), this.purposeBase(peer), lane),
          this.lanePurpose(this.purposeBase(peer), lane),
          (send) => fetchBundle(send, peer, Math.floor(this.now() / 1000)),
        )
        break
      } catch (e) {
        failure = e
        if (!(e instanceof SessionError) || (e.code !== 'NO_IDENTITY' && e.code !== 'BAD_BUNDLE')) throw e
      }
    }
    if (bundle === undefined) throw failure
    this.sessions.set(peer, [Session.initiate(this.me, peer, bundle, { random: this.random })])
    if (!this.conversations.has(peer)) this.conversations.set(peer, [])
    await this.persist(peer)
    return peer
  }

  getSessions(): SessionSummary[] {
    return [...this.conversations.entries()].map(([peer, msgs]) => ({
      peer,
      messages: msgs.length,
      unread: msgs.filter((m) => !m.read).length,
      lastTimestamp: msgs.at(-1)?.timestamp ?? 0,
    }))
  }

  private known(peerInput: string): string {
    if (peerInput === NOTICES_SESSION) {
      if (!this.conversations.has(NOTICES_SESSION)) throw new SessionError('UNKNOWN_SESSION', 'no notices have arrived yet')
      return NOTICES_SESSION
    }
    const peer = parseSessionId(peerInput)
    if (!this.conversations.has(peer)) throw new SessionError('UNKNOWN_SESSION', `no session with ${peer}: create one first`)
    return peer
  }

  async closeSession(peerInput: string): Promise<void> {
    const peer = this.known(peerInput)
    this.sessions.delete(peer)
    for (const m of this.conversations.get(peer) ?? []) this.knownIds.delete(m.id)
    this.conversations.delete(peer)
    const ops: KVBatchOp[] = [
      { type: 'del', key: K.session(peer) },
      { type: 'del', key: K.conversation(peer) },
    ]
    for await (const k of this.c.kv.keys(K.messages(peer))) ops.push({ type: 'del', key: Uint8Array.from(k) })
    await this.c.kv.batch(ops)
  }

  /** Encrypt and store a message in the peer's swarm (a session is made first when there is none, e.g. on a second device). */
  async sendMessage(peerInput: string, text: string): Promise<ConversationMessage> {
    const peer = this.known(peerInput)
    if (peer === NOTICES_SESSION) throw new SessionError('MALFORMED', 'the notices conversation is read-only')
    if (!this.sessions.has(peer)) await this.createSession(peer)
    const s = this.sessions.get(peer)![0]!
    const carriesHandshake = s.attachesHandshake
    const envelope = s.encrypt(text)
    const r = await this.storeTwice(peer, {
      type: 'store',
      recipient: peer,
      namespace: 0,
      timestamp: this.now(),
      ttl: 14 * 86_400_000,
      data: envelope,
    })
    if (r.type === 'error') throw new SessionError(r.code, `sending: ${r.message}`)
    // the swarm holds the handshake: the next messages go without its ~10.6 KB (persisted with the message)
    if (r.type === 'stored' && carriesHandshake) s.handshakeHeld()
    const id = hexOf(this.random(16))
    return this.append(peer, { id, direction: 'out', text, timestamp: Math.floor(this.now() / 1000), read: true }, true)
  }

  getMessages(peerInput: string): ConversationMessage[] {
    return [...(this.conversations.get(this.known(peerInput)) ?? [])]
  }

  async markRead(peerInput: string): Promise<number> {
    const peer = this.known(peerInput)
    const changed: ConversationMessage[] = []
    for (const m of this.conversations.get(peer) ?? [])
      if (!m.read) {
        m.read = true
        changed.push(m)
      }
    await this.persist(peer, changed)
    return changed.length
  }

  getStatus(): DaemonStatus {
    return {
      sessionId: this.me.sessionId,
      sessions: this.conversations.size,
      serviceNodes: this.c.hops().length,
      lastPoll: this.lastPoll,
      guards: [...this.guards],
      unsynced: this.unsynced.size,
      coverRequests: this.coverRequests,
    }
  }

  getPeers(): PeerInfo[] {
    const mine = new Set(this.swarms().nodesFor(this.me.sessionId))
    return this.c.hops().map((h) => ({ peerId: h.peerId, guard: this.guards.includes(h.peerId), mySwarm: mine.has(h.peerId) }))
  }

  /** Fetch and open what arrived since the last poll; returns how many messages were new. */
  poll(): Promise<number> {
    return this.pollWith(true, true)
  }

  /**
   * `flush`: store this device's unsynced records now. A poll asked for (`poll()`) does; a periodic
   * poll leaves them to the sync timer when one is set (so each timer's worth costs one owner
   * signature, ~7 ms, not two), and otherwise retries what a failed flush left behind.
   */
  private pollWith(sync: boolean, flush = false): Promise<number> {
    // one poll at a time; a failed poll does not stop the next one
    this.polling = this.polling.catch(() => 0).then(() => this.pollOnce(sync, flush))
    return this.polling
  }

  private async pollOnce(withSync: boolean, flush: boolean): Promise<number> {
    if (!this.bundlePublished) await this.publishBundle()
    // each poll asks the other lane's member: one that hides messages is passed over every other poll
    this.pollLane ^= 1
    let received = 0
    // the inbox: envelopes from peers
    received += await this.drain(0, (m) => this.receive(m.data, m.hash))
    // notices (relay outcomes, contract events): every poll while an outcome is awaited, else with the sync reads
    const now = this.now()
    for (const [tx, since] of this.awaitingOutcome) if (now - since > OUTCOME_WAIT_MS) this.awaitingOutcome.delete(tx)
    if (withSync || this.awaitingOutcome.size > 0)
      received += await this.drain(NOTICE_NAMESPACE, async (m) => ((await this.receiveNotice(m.data, m.timestamp)) ? 1 : 0))
    // the sync namespace: what this identity's other devices sent and received
    if (withSync) {
      received += await this.drain(SYNC_NAMESPACE, (m) => this.receiveSync(m.data))
      await this.forgetExpired()
    }
    if (flush || this.syncTimer === undefined) await this.flushSync()
    this.lastPoll = this.now()
    return received
  }

  private pollLane = 0
  private readonly ownerAuths = new Map<string, OwnerAuth>()

  /**
   * The owner signature for retrieving from, or storing into, a namespace of one's own, made again
   * every OWNER_AUTH_REUSE_MS (an ML-DSA-87 signature costs ~7 ms; a poll a second, or a sync batch
   * a second, would spend most of a core on them). A signature is good for ±60 s at the node anyway,
   * so reusing it within 30 s gives nobody more than the window already did.
   */
  private ownerAuth(kind: 'retrieve' | 'store', namespace: number): OwnerAuth {
    const now = this.now()
    const key = `${kind} ${namespace}`
    const kept = this.ownerAuths.get(key)
    if (kept !== undefined && now - kept.timestamp < OWNER_AUTH_REUSE_MS) return kept
    const auth = signOwner(this.me.mldsa, kind, namespace, now)
    this.ownerAuths.set(key, auth)
    return auth
  }
  /**
   * Read a namespace of this identity's from the member the poll's lane ends at, page by page after
   * that member's own cursor, handing each record not read before (from any member) to `handle`;
   * returns the sum of what `handle` returned. Cursors are per member because each member orders
   * records by its own arrival: a record one member got late sits after a cursor taken from another,
   * and one shared cursor would skip it for good.
   */
  private async drain(namespace: number, handle: (m: StoredMessage) => Promise<number>): Promise<number> {
    let n = 0
    for (let more = true; more;) {
      const { r, member } = await this.retrieve(namespace)
      const ops: KVBatchOp[] = []
      for (const m of r.messages) {
        if (!this.seenRecords.has(m.hash)) {
          n += await handle(m)
          this.seenRecords.set(m.hash, m.expiry)
          ops.push({ type: 'put', key: K.seen(m.hash), value: u64be(Math.max(0, m.expiry)) })
        }
      }
      const last = r.messages.at(-1)
      if (last !== undefined) {
        this.cursors.set(cursorId(namespace, member), last.hash)
        ops.push({ type: 'put', key: K.cursor(namespace, member), value: enc.encode(last.hash) })
      }
      if (ops.length > 0) await this.c.kv.batch(ops)
      more = r.more
    }
    return n
  }

  /** Forget read records that have expired (no member hands them out any more). */
  private async forgetExpired(): Promise<void> {
    const now = this.now()
    // a scan of every record read in 14 days: once at start, then at most every FORGET_EVERY_MS
    if (now - this.forgotAt < FORGET_EVERY_MS) return
    this.forgotAt = now
    const ops: KVBatchOp[] = []
    for (const [hash, expiry] of this.seenRecords)
      if (expiry <= now) {
        this.seenRecords.delete(hash)
        ops.push({ type: 'del', key: K.seen(hash) })
      }
    if (ops.length > 0) await this.c.kv.batch(ops)
  }

  /** One page of a namespace from the member the poll's lane ends at, after that member's cursor. */
  private async retrieve(namespace: number): Promise<{ r: Extract<ServiceResponse, { type: 'messages' }>; member: string }> {
    let member = ''
    const r = await this.toSwarmVia(this.me.sessionId, this.pollLane, (send, end) => {
      member = end
      const lastHash = this.cursors.get(cursorId(namespace, end))
      return send({
        type: 'retrieve',
        recipient: this.me.sessionId,
        namespace,
        limit: 100,
        ...(lastHash !== undefined ? { lastHash } : {}),
        auth: this.ownerAuth('retrieve', namespace),
      })
    })
    if (r.type === 'error') throw new SessionError(r.code, `polling: ${r.message}`)
    if (r.type !== 'messages') throw new SessionError('MALFORMED', `poll answered with ${r.type}`)
    return { r, member }
  }

  /** Store the sync records not stored yet in the own swarm (owner-signed, sealed, padded). */
  private flushing: Promise<void> = Promise.resolve()
  private flushSync(): Promise<void> {
    this.flushing = this.flushing
      .catch(() => undefined)
      .then(async () => {
        // every record not stored yet, packed into as few stores as fit (under load, one store carries many)
        const pending = [...this.unsynced.values()]
        for (let at = 0; at < pending.length;) {
          const batch: SyncRecord[] = []
          let size = 0
          while (at < pending.length && (batch.length === 0 || size + syncRecordSize(pending[at]!) <= SYNC_BATCH_BYTES)) {
            size += syncRecordSize(pending[at]!)
            batch.push(pending[at++]!)
          }
          const data = seal(this.syncKey, pad(encodeSyncBatch(batch)), SYNC_AAD, this.random)
          const timestamp = this.now()
          const ttl = MAX_PRIVATE_TTL_MS
          const r = await this.storeTwice(this.me.sessionId, {
            type: 'store',
            recipient: this.me.sessionId,
            namespace: SYNC_NAMESPACE,
            timestamp,
            ttl,
            data,
            auth: this.ownerAuth('store', SYNC_NAMESPACE),
          })
          if (r.type === 'error') throw new SessionError(r.code, `device sync: ${r.message}`)
          for (const rec of batch) this.unsynced.delete(rec.id)
          await this.c.kv.batch(batch.map((rec) => ({ type: 'del' as const, key: K.unsynced(rec.id) })))
        }
      })
    return this.flushing
  }

  /** A batch of sync records from one of this identity's devices (this one's own are known and skipped); returns how many were new. */
  private async receiveSync(data: Uint8Array): Promise<number> {
    const opened = open(this.syncKey, data, SYNC_AAD)
    if (opened === undefined) return 0 // not sealed with this identity's key: ignore
    let records: SyncRecord[]
    try {
      records = decodeSyncBatch(unpad(opened))
    } catch {
      return 0
    }
    let added = 0
    for (const r of records) {
      if (this.knownIds.has(r.id)) continue
      await this.append(
        r.peer,
        { id: r.id, direction: r.direction, text: String(r.text), timestamp: Number(r.timestamp), read: r.direction === 'out' },
        false,
      )
      added++
    }
    return added
  }

  /** A notice from the own swarm: shown once in the notices conversation (two members may both deliver it). */
  private async receiveNotice(data: Uint8Array, timestampMs: number): Promise<boolean> {
    let notice: Notice
    try {
      notice = decodeNotice(data)
    } catch {
      return false
    }
    const id = noticeId(notice)
    if (this.knownIds.has(id)) return false
    if (notice.kind === 'relay') this.awaitingOutcome.delete(notice.txHash.toLowerCase())
    const message = {
      id,
      direction: 'in' as const,
      text: noticeText(notice),
      timestamp: Math.floor(timestampMs / 1000),
      read: false,
      notice,
    }
    await this.append(NOTICES_SESSION, message, false)
    return true
  }

  /**
   * Have a relay submit a contract action signed with this identity (docs/bridge.md): through an onion
   * path ending at the relay, ask its terms (its chain, the identity's nonce at the contract), sign the
   * action for exactly that, and hand it over. The relay checks it before it spends gas and answers the
   * transaction hash; the outcome arrives later as a notice (the notices conversation).
   */
  async trigger(req: TriggerRequest): Promise<TriggerResult> {
    const chainId = this.c.chainId
    if (chainId === undefined) throw new SessionError('NO_RELAY', 'this daemon does not know its chain, so it cannot sign contract actions')
    const seconds = req.expirySeconds ?? 600
    const known = this.c.hops().map((h) => h.peerId)
    let candidates: string[]
    if (req.relay !== undefined) {
      if (!known.includes(req.relay)) throw new SessionError('UNKNOWN_SESSION', `${req.relay} is not a known service node`)
      candidates = [req.relay]
    } else {
      // relays that answered before first, then the others in a random order
      const others = known.filter((p) => !this.relays.has(p))
      for (let i = others.length - 1; i > 0; i--) {
        const j = this.random(1)[0]! % (i + 1)
        ;[others[i], others[j]] = [others[j]!, others[i]!]
      }
      candidates = [...[...this.relays].filter((p) => known.includes(p)), ...others]
    }
    let lastRefusal: unknown
    for (const relay of candidates) {
      // the relay's own answers (a refusal, another chain) come back as values: viaOnion retries only what the path broke
      let outcome: TriggerResult | SessionError
      try {
        outcome = await this.viaOnion([relay], `relay:${relay}`, async (send): Promise<TriggerResult | SessionError> => {
          const quote = await send({ type: 'relayQuote', recipient: this.me.sessionId, target: req.target })
          if (quote.type === 'error') return new SessionError(quote.code, quote.message)
          if (quote.type !== 'relayQuote') return new SessionError('MALFORMED', `the relay answered ${quote.type}`)
          if (quote.chainId !== chainId)
            return new SessionError(
              'RELAY_REFUSED',
              `the relay ${relay} is on chain ${quote.chainId}, not ${chainId}: nothing was signed for it`,
            )
          const signed = signTriggerAction(
            this.me,
            {
              chainId,
              target: req.target as `0x${string}`,
              nonce: quote.nonce,
              expiry: BigInt(Math.floor(this.now() / 1000) + seconds),
              callData: req.callData as `0x${string}`,
            },
            this.random,
          )
          const r = await send({
            type: 'relay',
            recipient: this.me.sessionId,
            action: hexToBytes(signed.sessionMessage.slice(2)),
            signature: hexToBytes(signed.mldsaSignature.slice(2)),
            publicKey: hexToBytes(signed.mldsaPublicKey.slice(2)),
          })
          if (r.type === 'error') return new SessionError(r.code, r.message)
          if (r.type !== 'relayed') return new SessionError('MALFORMED', `the relay answered ${r.type}`)
          return { txHash: r.txHash, relay, nonce: quote.nonce.toString() }
        })
      } catch (e) {
        // no path to this node: try the next one unless the user named it
        if (req.relay !== undefined) throw e
        lastRefusal = e
        continue
      }
      if (outcome instanceof SessionError) {
        // a node that does not relay: ask the next one; a refusal of the action itself is the answer
        if (outcome.code === 'NO_RELAY' && req.relay === undefined) {
          lastRefusal = outcome
          continue
        }
        throw outcome
      }
      const result = outcome
      this.relays.add(relay)
      this.awaitingOutcome.set(result.txHash.toLowerCase(), this.now())
      return result
    }
    throw lastRefusal instanceof SessionError ? lastRefusal : new SessionError('NO_RELAY', 'no service node relays contract actions')
  }

  /**
   * Open one envelope: a new session's handshake, or a message of a session we have; returns how
   * many messages became readable (a handshake can release messages parked before it arrived).
   */
  private async receive(envelope: Uint8Array, hash: string): Promise<number> {
    let kind
    try {
      kind = envelopeKind(envelope)
    } catch {
      return 0 // not an envelope: ignore (anyone can store for us)
    }
    const opened = this.openEnvelope(envelope, this.sessions)
    if (opened === 'known') return 0
    if (opened !== 'none') return (await this.keepReceived(opened.peer, opened.message)) === 'new' ? 1 : 0
    if (kind.kind !== 'handshake') {
      await this.park(hash, envelope)
      return 0
    }
    const kv = this.c.kv
    const seen = new Set<string>()
    const guard: ReplayGuard = {
      has: (id) => seen.has(id),
      add: (id) => void seen.add(id),
    }
    if ((await kv.get(K.handshake(kind.handshakeId))) !== undefined) return 0
    try {
      const { session, message } = Session.accept(this.me, (id) => this.prekeys.find((p) => p.id === id), envelope, guard, {
        random: this.random,
      })
      const peer = session.peer.sessionId
      // the newest session is the one replies go in; the older ones still open what is on its way
      this.sessions.set(peer, [session, ...(this.sessions.get(peer) ?? [])].slice(0, KEPT_SESSIONS))
      await kv.put(K.handshake(kind.handshakeId), utf8.encode(peer))
      const id = hexOf(message.messageId)
      await this.append(peer, { id, direction: 'in', text: dec.decode(message.content), timestamp: message.timestamp, read: false }, true)
      return 1 + (await this.unpark(peer))
    } catch (e) {
      this.c.logger?.debug('refused an envelope', { error: String(e), id: hexOf(envelope.subarray(0, 8)) })
      return 0
    }
  }

  /** The message in an envelope and the peer whose session opens it; 'known' when one of them had opened it before. */
  private openEnvelope(
    envelope: Uint8Array,
    sessions: ReadonlyMap<string, readonly Session[]>,
  ): { peer: string; message: ReceivedMessage } | 'known' | 'none' {
    for (const [peer, list] of sessions) {
      for (const s of list) {
        try {
          return { peer, message: s.decrypt(envelope) }
        } catch (e) {
          // this session's, read before (another member hands it out again): not one to keep waiting
          if (e instanceof SessionError && e.code === 'DUPLICATE') return 'known'
          // otherwise: not this session's
        }
      }
    }
    return 'none'
  }

  private async keepReceived(peer: string, m: ReceivedMessage): Promise<'new' | 'known'> {
    const id = hexOf(m.messageId)
    if (this.knownIds.has(id)) return 'known'
    await this.append(peer, { id, direction: 'in', text: dec.decode(m.content), timestamp: m.timestamp, read: false }, true)
    return 'new'
  }

  /**
   * Keep a message no session opens: its handshake may still be on its way (an initiator stops
   * attaching the handshake once a swarm holds one, and a member that missed that store can hand
   * out a later message first). Anyone can store into an inbox, so at most PARKED_MAX are kept,
   * the oldest dropped first, each for at most the store's TTL.
   */
  private async park(hash: string, envelope: Uint8Array): Promise<void> {
    if (this.parked.has(hash)) return
    const now = this.now()
    const ops: KVBatchOp[] = []
    for (const [h, p] of this.parked) {
      if (this.parked.size < PARKED_MAX && now - p.at < PARKED_TTL_MS) break
      this.parked.delete(h)
      ops.push({ type: 'del', key: K.parked(h) })
    }
    this.parked.set(hash, { at: now, envelope })
    ops.push({ type: 'put', key: K.parked(hash), value: new Writer().u64(BigInt(now)).bytes(envelope).finish() })
    await this.c.kv.batch(ops)
  }

  /** A session with `peer` was accepted: open the parked messages it can, in the order they were sent; returns how many. */
  private async unpark(peer: string): Promise<number> {
    const sessions = new Map([[peer, this.sessions.get(peer) ?? []]])
    const released: { peer: string; message: ReceivedMessage }[] = []
    const ops: KVBatchOp[] = []
    for (const [hash, p] of [...this.parked]) {
      const opened = this.openEnvelope(p.envelope, sessions)
      if (opened === 'none') continue
      this.parked.delete(hash)
      ops.push({ type: 'del', key: K.parked(hash) })
      if (opened !== 'known') released.push(opened)
    }
    released.sort((x, y) => (x.message.sequence < y.message.sequence ? -1 : x.message.sequence > y.message.sequence ? 1 : 0))
    let n = 0
    for (const r of released) if ((await this.keepReceived(r.peer, r.message)) === 'new') n++
    if (ops.length > 0) await this.c.kv.batch(ops)
    return n
  }

  /** Cover traffic: a dummy request (a swarm lookup for a random ID) through a fresh path, at exponential intervals. */
  private scheduleCover(): void {
    const mean = this.c.coverTrafficMs ?? 0
    const u = (this.random(2)[0]! * 256 + this.random(1)[0]! + 1) / 65_537
    const wait = Math.min(10 * mean, Math.max(1, -Math.log(u) * mean))
    this.coverTimer = setTimeout(() => {
      const dummy = '05' + hexOf(this.random(32))
      this.viaOnion(undefined, 'cover', (send) => send({ type: 'swarm', recipient: dummy }))
        .then(() => this.coverRequests++)
        .catch(() => undefined)
        .finally(() => {
          if (this.coverTimer !== undefined) this.scheduleCover()
        })
    }, wait)
    this.coverTimer.unref?.()
  }
}
