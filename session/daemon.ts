import { bytesToHex } from '@noble/hashes/utils.js'
import { utf8, type KVBatchOp, type KVStore, type Logger } from '../common/index.js'
import { sessionLink, type Identity } from './crypto/identity.js'
import type { UnlockedIdentity } from './crypto/keystore.js'
import { osRandom, type RandomSource } from './crypto/primitives.js'
import { SessionError } from './errors.js'
import type { OnionHop } from './onion/onion.js'
import type { ServiceRequest, ServiceResponse } from './service/codec.js'
import { fetchBundle, onionRequest, publishBundle, type ServiceTransport } from './service/serviceNode.js'
import { envelopeKind, Session, type ReplayGuard } from './session.js'
import { signOwner } from './storage/store.js'
import { swarmsOf, type SwarmMap } from './swarm/swarms.js'

/**
 * The session daemon's core (the PIP's SessionDaemon, without its control API yet): one unlocked
 * identity, its sessions and conversations, talking to the service nodes only through onion paths.
 *
 *   - start() publishes the identity's key bundle in its own swarm, then polls its inbox;
 *   - createSession(id) fetches the peer's bundle by Session ID alone (checked against the ID);
 *   - sendMessage stores the encrypted envelope in the peer's swarm;
 *   - a poll retrieves new envelopes (paged by the last hash), accepts handshakes (sealed sender: the
 *     initiator is learned only here), opens messages, and keeps them;
 *   - session states, conversations, the inbox cursor and accepted handshakes are kept in the KV store
 *     after every change, so a restart resumes where it stopped.
 *
 * Paths are 3 distinct random service nodes, the last one in the recipient's swarm (the swarms are
 * computed from the service node list exactly as the nodes compute them).
 */
export interface DaemonComponents {
  kv: KVStore
  transport: ServiceTransport
  /** the service nodes and their onion keys (from the chain) */
  hops: () => readonly OnionHop[]
  identity: UnlockedIdentity
  random?: RandomSource
  now?: () => number
  logger?: Logger
  /** ms between inbox polls (default 1 s) */
  pollMs?: number
}

export interface ConversationMessage {
  direction: 'in' | 'out'
  text: string
  /** unix seconds (the sender's coarse timestamp for incoming messages) */
  timestamp: number
  read: boolean
}

export interface SessionSummary {
  peer: string
  messages: number
  unread: number
  lastTimestamp: number
}

/** How many onion paths a request tries before it gives up. */
const PATH_TRIES = 6
const enc = new TextEncoder()
const dec = new TextDecoder()
const K = {
  session: (peer: string) => enc.encode(`s:${peer}`),
  conversation: (peer: string) => enc.encode(`c:${peer}`),
  cursor: enc.encode('cursor'),
  handshake: (id: string) => enc.encode(`h:${id}`),
}

export class SessionDaemon {
  private readonly sessions = new Map<string, Session>()
  private readonly conversations = new Map<string, ConversationMessage[]>()
  private cursor: string | undefined
  private timer: NodeJS.Timeout | undefined
  private polling: Promise<number> = Promise.resolve(0)
  private lastPoll = 0
  private swarmCache: { key: string; map: SwarmMap } | undefined
  private readonly random: RandomSource
  private readonly now: () => number

  constructor(private readonly c: DaemonComponents) {
    this.random = c.random ?? osRandom
    this.now = c.now ?? (() => Date.now())
  }

  private get me(): Identity {
    return this.c.identity.identity
  }

  /** Load what the KV store kept, publish the bundle, start polling. */
  async start(): Promise<void> {
    for await (const [k, v] of this.c.kv.iterator()) {
      const key = dec.decode(k)
      if (key.startsWith('s:')) this.sessions.set(key.slice(2), Session.restore(this.me, v, { random: this.random }))
      else if (key.startsWith('c:')) this.conversations.set(key.slice(2), JSON.parse(dec.decode(v)) as ConversationMessage[])
      else if (key === 'cursor') this.cursor = dec.decode(v)
    }
    await this.publishBundle()
    const every = this.c.pollMs ?? 1000
    const tick = (): void => {
      this.timer = setTimeout(() => {
        this.poll()
          .catch((e: unknown) => this.c.logger?.warn('inbox poll failed', { error: String(e) }))
          .finally(() => {
            if (this.timer !== undefined) tick()
          })
      }, every)
    }
    tick()
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    await this.polling
  }

  getIdentity(): { sessionId: string; link: string } {
    return { sessionId: this.me.sessionId, link: sessionLink(this.me.sessionId) }
  }

  /** The swarms of the known service nodes, rebuilt only when that list changes. */
  private swarms(): SwarmMap {
    const ids = this.c.hops().map((h) => h.peerId)
    const key = ids.join(',')
    if (this.swarmCache?.key !== key) {
      this.swarmCache = { key, map: swarmsOf(ids) }
    }
    return this.swarmCache.map
  }

  /** 3 distinct random hops, the last one among `last` when given, avoiding `avoid` while it can. */
  private path(last?: readonly string[], avoid: ReadonlySet<string> = new Set()): OnionHop[] {
    const known = [...this.c.hops()]
    if (known.length === 0) throw new SessionError('NO_IDENTITY', 'no service nodes known')
    const fresh = known.filter((h) => !avoid.has(h.peerId))
    const all = fresh.length >= Math.min(3, known.length) ? fresh : known
    const pick = (from: OnionHop[]): OnionHop => from[this.random(1)[0]! % from.length]!
    const ends = all.filter((h) => last === undefined || last.includes(h.peerId))
    const end = pick(ends.length > 0 ? ends : known.filter((h) => last === undefined || last.includes(h.peerId)))
    const rest = all.filter((h) => h.peerId !== end.peerId)
    const first = rest.length > 0 ? pick(rest) : end
    const middle = rest.filter((h) => h.peerId !== first.peerId)
    return middle.length > 0 ? [first, pick(middle), end] : rest.length > 0 ? [first, end] : [end]
  }

  /**
   * One onion request, on a fresh random path each try: a path that fails (a hop down, an answer that
   * does not open) is replaced, up to PATH_TRIES times.
   */
  private async viaOnion<T>(last: readonly string[] | undefined, send: (path: OnionHop[]) => Promise<T>): Promise<T> {
    let error: unknown
    // the hops of a failed path are avoided by the next tries (one of them is down, or misbehaves)
    const avoid = new Set<string>()
    for (let i = 0; i < PATH_TRIES; i++) {
      const path = this.path(last, avoid)
      try {
        return await send(path)
      } catch (e) {
        error = e
        for (const h of path) avoid.add(h.peerId)
        this.c.logger?.debug('onion path failed; trying another', { error: String(e) })
      }
    }
    throw error instanceof SessionError ? error : new SessionError('DECRYPT_FAILED', `no onion path worked: ${String(error)}`)
  }

  /** Send a request to the swarm of `recipient`, following a wrong-swarm answer. */
  private async toSwarm(recipient: string, q: ServiceRequest): Promise<ServiceResponse> {
    let members = this.swarms().nodesFor(recipient)
    for (let attempt = 0; attempt < 3; attempt++) {
      const r = await this.viaOnion(members, (path) => onionRequest(this.c.transport, path, q))
      if (r.type !== 'wrongSwarm') return r
      members = r.nodes
    }
    throw new SessionError('MALFORMED', `no node of the swarm of ${recipient} answered`)
  }

  private async publishBundle(): Promise<void> {
    const prekey = this.c.identity.prekeys[0]
    if (prekey === undefined) return
    const members = this.swarms().nodesFor(this.me.sessionId)
    const r = await this.viaOnion(members, (path) => publishBundle(this.c.transport, path, this.me, prekey, this.now()))
    if (r.type === 'error') throw new SessionError(r.code, `publishing the key bundle: ${r.message}`)
  }

  private async persist(peer: string): Promise<void> {
    const s = this.sessions.get(peer)
    const ops: KVBatchOp[] = [
      { type: 'put', key: K.conversation(peer), value: enc.encode(JSON.stringify(this.conversations.get(peer) ?? [])) },
    ]
    if (s !== undefined) ops.push({ type: 'put', key: K.session(peer), value: s.serialize() })
    await this.c.kv.batch(ops)
  }

  /** Start a session with a Session ID (its bundle fetched from the network and checked against it). */
  async createSession(peer: string): Promise<string> {
    if (this.sessions.has(peer)) return peer
    const bundle = await this.viaOnion(this.swarms().nodesFor(peer), (path) =>
      fetchBundle(this.c.transport, path, peer, Math.floor(this.now() / 1000)),
    )
    this.sessions.set(peer, Session.initiate(this.me, peer, bundle, { random: this.random }))
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

  async closeSession(peer: string): Promise<void> {
    this.sessions.delete(peer)
    this.conversations.delete(peer)
    await this.c.kv.batch([
      { type: 'del', key: K.session(peer) },
      { type: 'del', key: K.conversation(peer) },
    ])
  }

  async sendMessage(peer: string, text: string): Promise<void> {
    const s = this.sessions.get(peer)
    if (s === undefined) throw new SessionError('NO_IDENTITY', `no session with ${peer}: create one first`)
    const envelope = s.encrypt(text)
    const r = await this.toSwarm(peer, {
      type: 'store',
      recipient: peer,
      namespace: 0,
      timestamp: this.now(),
      ttl: 14 * 86_400_000,
      data: envelope,
    })
    if (r.type === 'error') throw new SessionError(r.code, `sending: ${r.message}`)
    this.conversations.get(peer)!.push({ direction: 'out', text, timestamp: Math.floor(this.now() / 1000), read: true })
    await this.persist(peer)
  }

  getMessages(peer: string): ConversationMessage[] {
    return [...(this.conversations.get(peer) ?? [])]
  }

  async markRead(peer: string): Promise<void> {
    for (const m of this.conversations.get(peer) ?? []) m.read = true
    await this.persist(peer)
  }

  getStatus(): { sessionId: string; sessions: number; serviceNodes: number; lastPoll: number } {
    return { sessionId: this.me.sessionId, sessions: this.sessions.size, serviceNodes: this.c.hops().length, lastPoll: this.lastPoll }
  }

  getPeers(): string[] {
    return this.c.hops().map((h) => h.peerId)
  }

  /** Fetch and open what arrived since the last poll; returns how many messages were new. */
  poll(): Promise<number> {
    this.polling = this.polling.then(() => this.pollOnce())
    return this.polling
  }

  private async pollOnce(): Promise<number> {
    let received = 0
    for (let more = true; more;) {
      const r = await this.toSwarm(this.me.sessionId, {
        type: 'retrieve',
        recipient: this.me.sessionId,
        namespace: 0,
        limit: 100,
        ...(this.cursor !== undefined ? { lastHash: this.cursor } : {}),
        auth: signOwner(this.me.mldsa, 'retrieve', 0, this.now()),
      })
      if (r.type === 'error') throw new SessionError(r.code, `polling: ${r.message}`)
      if (r.type !== 'messages') throw new SessionError('MALFORMED', `poll answered with ${r.type}`)
      for (const m of r.messages) {
        if ((await this.receive(m.data)) !== undefined) received++
        this.cursor = m.hash
      }
      if (this.cursor !== undefined) await this.c.kv.put(K.cursor, enc.encode(this.cursor))
      more = r.more
    }
    this.lastPoll = this.now()
    return received
  }

  /** Open one envelope: a new session's handshake, or a message of a session we have. */
  private async receive(envelope: Uint8Array): Promise<string | undefined> {
    let kind
    try {
      kind = envelopeKind(envelope)
    } catch {
      return undefined // not an envelope: ignore (anyone can store for us)
    }
    for (const [peer, s] of this.sessions) {
      try {
        const m = s.decrypt(envelope)
        this.conversations.get(peer)!.push({ direction: 'in', text: dec.decode(m.content), timestamp: m.timestamp, read: false })
        await this.persist(peer)
        return peer
      } catch {
        // not this session's
      }
    }
    if (kind.kind !== 'handshake') return undefined
    const kv = this.c.kv
    const seen = new Set<string>()
    const guard: ReplayGuard = {
      has: (id) => seen.has(id),
      add: (id) => void seen.add(id),
    }
    if ((await kv.get(K.handshake(kind.handshakeId))) !== undefined) return undefined
    try {
      const { session, message } = Session.accept(this.me, (id) => this.c.identity.prekeys.find((p) => p.id === id), envelope, guard, {
        random: this.random,
      })
      const peer = session.peer.sessionId
      this.sessions.set(peer, session)
      const conv = this.conversations.get(peer) ?? []
      conv.push({ direction: 'in', text: dec.decode(message.content), timestamp: message.timestamp, read: false })
      this.conversations.set(peer, conv)
      await kv.put(K.handshake(kind.handshakeId), utf8.encode(peer))
      await this.persist(peer)
      return peer
    } catch (e) {
      this.c.logger?.debug('refused an envelope', { error: String(e), id: bytesToHex(envelope.subarray(0, 8)) })
      return undefined
    }
  }
}
