import { type Logger } from '../../common/index.js'
import { SessionError } from '../errors.js'
import { buildOnion, OnionCircuit, openReply, sealReply, type OnionHop, type OnionRouter } from '../onion/onion.js'
import { ed25519SignNative, ed25519VerifyNative, type RandomSource } from '../crypto/primitives.js'
import { decodeBundle, encodeBundle, makeBundle, verifyBundle, type KeyBundle, type Prekey } from '../crypto/bundle.js'
import type { Identity } from '../crypto/identity.js'
import { BUNDLE_NAMESPACE, MAX_PRIVATE_TTL_MS, MIN_TTL_MS, signOwner, type MessageStore } from '../storage/store.js'
import type { SwarmMap } from '../swarm/swarms.js'
import { ed25519KeyOf, type RegisteredNode } from '../swarm/directory.js'
import {
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  type HeldReceipt,
  type ServiceRequest,
  type ServiceResponse,
} from './codec.js'
import { NOTICE_NAMESPACE } from '../notices.js'
import { concat, toHex, utf8 } from '../../common/index.js'
import { hexToBytes } from '@noble/hashes/utils.js'
import type { SignedTrigger } from '../trigger.js'

/**
 * What a relay does for the service node that hosts it (parsd --relay; node/relay.ts): quote its terms
 * for an action, and check and submit a signed one. Both throw SessionError (NO_RELAY, RELAY_REFUSED,
 * BAD_SIGNATURE, MALFORMED) with a message for the user.
 */
export interface TriggerRelay {
  quote(sessionId: string, target: string): Promise<{ relayer: string; chainId: bigint; nonce: bigint }>
  submit(sessionId: string, signed: SignedTrigger): Promise<{ txHash: string }>
}

/** What a member signs to say it holds a record: context ‖ the record's hash (which covers recipient, namespace, timing and data). */
export function receiptStatement(hash: string): Uint8Array {
  return concat(RECEIPT_CONTEXT, hexToBytes(hash))
}
const RECEIPT_CONTEXT = utf8.encode('pars-held-v1')

/** A ServiceNode's `signer` from its libp2p Ed25519 key (the 32-byte seed). */
export function receiptSigner(ed25519Seed: Uint8Array): (message: Uint8Array) => Uint8Array {
  const seed = Uint8Array.from(ed25519Seed)
  return (message) => ed25519SignNative(seed, message)
}

/**
 * The members of `members` other than `except` whose receipt for `hash` verifies against the Ed25519
 * key in their peer id (a receipt from a node outside the list, or one that does not verify, counts
 * for nothing). `enough`: stop checking once that many have verified (each check costs ~70 µs).
 */
export function verifiedHolders(
  held: readonly HeldReceipt[] | undefined,
  hash: string,
  members: readonly string[],
  except?: string,
  enough = Number.POSITIVE_INFINITY,
): Set<string> {
  const out = new Set<string>()
  if (held === undefined) return out
  const statement = receiptStatement(hash)
  for (const h of held) {
    if (out.size >= enough) break
    if (h.peer === except || out.has(h.peer) || !members.includes(h.peer)) continue
    const key = ed25519KeyOf(h.peer)
    if (key !== undefined && ed25519VerifyNative(h.signature, statement, key)) out.add(h.peer)
  }
  return out
}

/** How long a store waits for the other swarm members to hold the record before it answers. */
export const REPLICATION_WAIT_MS = 2_000

/** How a service node reaches another: a direct request, or an onion layer for it to peel. */
export interface ServiceTransport {
  request(peer: string, protocol: 'service' | 'onion', bytes: Uint8Array): Promise<Uint8Array>
}

export interface ServiceNodeComponents {
  self: string
  store: MessageStore
  /** the current swarms (they change as nodes register and leave) */
  swarms: () => SwarmMap
  /** the nodes registered with stake, for light clients that ask (default: none) */
  registered?: () => RegisteredNode[]
  onion: OnionRouter
  transport: ServiceTransport
  /**
   * signs this node's storage receipts with its libp2p Ed25519 key (receiptStatement); absent: the
   * node gives none, and clients send each store down their second lane as well
   */
  signer?: (message: Uint8Array) => Uint8Array
  /** the contract action relay, when this node runs one (parsd --relay) */
  relay?: TriggerRelay
  logger?: Logger
}

/**
 * A service node: keeps the messages of the Session IDs its swarm serves (storage/store.ts), passes
 * what it stores to the other members of its swarm, tells a client that asks the wrong node which
 * nodes to ask, and relays or answers onion requests. It never holds plaintext or learns a sender:
 * what it stores is a recipient and ciphertext.
 */
export class ServiceNode {
  private readonly pendingHandoffs = new Set<string>()

  constructor(private readonly c: ServiceNodeComponents) {}

  private inSwarm(recipient: string): string[] | undefined {
    const nodes = this.c.swarms().nodesFor(recipient)
    return nodes.includes(this.c.self) ? nodes : undefined
  }

  /** Remove expired records (the node runs this every minute). */
  sweep(): Promise<number> {
    return this.c.store.sweep()
  }

  /** A request from a client (through an onion path) or a swarm peer; always answers, never throws. */
  async handle(bytes: Uint8Array, from: string | undefined): Promise<Uint8Array> {
    let answer: ServiceResponse
    try {
      answer = await this.answer(decodeRequest(bytes), from)
    } catch (e) {
      answer =
        e instanceof SessionError
          ? { type: 'error', code: e.code, message: e.message }
          : { type: 'error', code: 'MALFORMED', message: 'the request could not be served' }
      if (!(e instanceof SessionError)) this.c.logger?.warn('service request failed', { error: String(e) })
    }
    return encodeResponse(answer)
  }

  private async answer(q: ServiceRequest, from: string | undefined): Promise<ServiceResponse> {
    if (q.type === 'nodes') return { type: 'nodes', nodes: this.c.registered?.() ?? [] }
    if (q.type === 'swarm') return { type: 'swarm', nodes: this.c.swarms().nodesFor(q.recipient) }
    if (q.type === 'relayQuote' || q.type === 'relay') {
      const relay = this.c.relay
      if (relay === undefined) throw new SessionError('NO_RELAY', 'this node does not relay contract actions')
      if (q.type === 'relayQuote') return { type: 'relayQuote', ...(await relay.quote(q.recipient, q.target)) }
      const { txHash } = await relay.submit(q.recipient, {
        sessionMessage: toHex(q.action),
        mldsaSignature: toHex(q.signature),
        mldsaPublicKey: toHex(q.publicKey),
      })
      return { type: 'relayed', txHash }
    }
    const members = this.inSwarm(q.recipient)
    if (members === undefined) return { type: 'wrongSwarm', nodes: this.c.swarms().nodesFor(q.recipient) }
    switch (q.type) {
      case 'transfer': {
        // any service node may hand over what it kept (it may have left this swarm); clients may not
        if (from === undefined || this.c.swarms().swarmOfNode(from) === undefined)
          throw new SessionError('BAD_SIGNATURE', 'a transfer from a node that is not a service node')
        const { type: _type, ...record } = q
        return { type: 'stored', ...(await this.c.store.adopt(record)) }
      }
      case 'store': {
        const r = await this.c.store.store(q)
        // answered once the other members hold it too (or REPLICATION_WAIT_MS passed): a node that dies
        // right after answering does not take the only copy with it. Their receipts go back with the
        // answer, so the client can see who holds it without asking another member itself.
        const held = r.stored ? await this.replicate(q, members) : []
        return { type: 'stored', ...r, ...this.withReceipts(r.hash, held) }
      }
      case 'replicate': {
        // only a member of this swarm passes records on; a client stores with 'store'
        if (from === undefined || !members.includes(from))
          throw new SessionError('BAD_SIGNATURE', 'replication from a node outside the swarm')
        // the member checked the owner signature of a private record when it took it: not again here
        // (adopt: the same trust as a rebalance's transfer), which saves an ML-DSA verification per member
        const r = await this.c.store.adopt({
          recipient: q.recipient,
          namespace: q.namespace,
          timestamp: q.timestamp,
          expiry: q.timestamp + q.ttl,
          data: q.data,
        })
        return { type: 'stored', ...r, ...this.withReceipts(r.hash, []) }
      }
      case 'retrieve': {
        const r = await this.c.store.retrieve({ ...q, ...(q.lastHash !== undefined ? { lastHash: q.lastHash } : {}) })
        return { type: 'messages', ...r }
      }
      case 'delete':
        return { type: 'deleted', count: await this.c.store.delete(q.recipient, q.namespace, q.hashes, q.auth) }
      case 'notice':
        // notices come from service nodes (a relay, or a member that read the chain); a client cannot write them
        if (from === undefined || this.c.swarms().swarmOfNode(from) === undefined)
          throw new SessionError('BAD_SIGNATURE', 'a notice from a node that is not a service node')
        return { type: 'stored', ...(await this.keepNotice(q.recipient, q.data, q.timestamp, q.timestamp + q.ttl)) }
    }
  }

  /** Keep a notice for `recipient` in this node's store (it must be a member of the recipient's swarm). */
  keepNotice(recipient: string, data: Uint8Array, timestamp: number, expiry: number): Promise<{ hash: string; stored: boolean }> {
    return this.c.store.adopt({ recipient, namespace: NOTICE_NAMESPACE, timestamp, expiry, data })
  }

  /** Whether this node is a member of the swarm of `recipient`. */
  servesRecipient(recipient: string): boolean {
    return this.inSwarm(recipient) !== undefined
  }

  /**
   * Store a notice in every member of the swarm of `recipient` (this node too when it is one); returns
   * how many members hold it. Nodes talk to nodes directly: a notice is public and names its origin anyway.
   */
  async sendNotice(recipient: string, data: Uint8Array, timestamp: number, ttl: number): Promise<number> {
    const members = this.c.swarms().nodesFor(recipient)
    const bytes = encodeRequest({ type: 'notice', recipient, timestamp, ttl, data })
    const held = await Promise.all(
      members.map(async (m) => {
        try {
          if (m === this.c.self) return (await this.keepNotice(recipient, data, timestamp, timestamp + ttl)) !== undefined
          const r = decodeResponse(await this.c.transport.request(m, 'service', bytes))
          return r.type === 'stored'
        } catch (e) {
          this.c.logger?.debug('a notice did not reach a swarm member', { to: m, error: String(e) })
          return false
        }
      }),
    )
    return held.filter(Boolean).length
  }

  /** This node's receipt for a record it holds, after the others' (none when it has no key). */
  private withReceipts(hash: string, others: HeldReceipt[]): { held?: HeldReceipt[] } {
    if (this.c.signer === undefined) return others.length > 0 ? { held: others } : {}
    return { held: [...others, { peer: this.c.self, signature: this.c.signer(receiptStatement(hash)) }] }
  }

  /**
   * Pass a new record to the other members, waiting for them up to REPLICATION_WAIT_MS; returns the
   * receipts they answered with (passed on unchecked: the client checks them against the members' keys).
   */
  private async replicate(q: Extract<ServiceRequest, { type: 'store' }>, members: string[]): Promise<HeldReceipt[]> {
    const bytes = encodeRequest({ ...q, type: 'replicate' })
    const held: HeldReceipt[] = []
    const all = members
      .filter((m) => m !== this.c.self)
      .map((m) =>
        this.c.transport
          .request(m, 'service', bytes)
          .then((answer) => {
            const a = decodeResponse(answer)
            if (a.type === 'stored') held.push(...(a.held ?? []).filter((h) => h.peer === m))
          })
          .catch((e: unknown) => this.c.logger?.debug('replication failed', { to: m, error: String(e) })),
      )
    let timer: NodeJS.Timeout | undefined
    await Promise.race([Promise.all(all), new Promise<void>((resolve) => (timer = setTimeout(resolve, REPLICATION_WAIT_MS)))])
    clearTimeout(timer)
    return held
  }

  /**
   * The swarms changed (nodes joined or left): hand every record to the nodes that are now in its
   * recipient's swarm and were not before — all of that swarm when this node is no longer in it.
   * Returns how many records were handed over.
   */
  async rebalance(before: SwarmMap, after: SwarmMap): Promise<number> {
    return this.handOver((recipient) => {
      const now = after.nodesFor(recipient)
      const was = new Set(before.nodesFor(recipient))
      return now.includes(this.c.self) ? now.filter((n) => !was.has(n)) : now
    })
  }

  /** Hand over again to the nodes a rebalance could not reach (down, or not started yet); the node runs this now and then. */
  retryHandoffs(): Promise<number> {
    if (this.pendingHandoffs.size === 0) return Promise.resolve(0)
    const pending = new Set(this.pendingHandoffs)
    this.pendingHandoffs.clear()
    return this.handOver((recipient) =>
      this.c
        .swarms()
        .nodesFor(recipient)
        .filter((n) => pending.has(n)),
    )
  }

  /** How many nodes are still owed records from a rebalance. */
  get pendingHandoffCount(): number {
    return this.pendingHandoffs.size
  }

  private async handOver(targetsOf: (recipient: string) => string[]): Promise<number> {
    let handed = 0
    for await (const rec of this.c.store.records()) {
      const targets = targetsOf(rec.recipient).filter((t) => t !== this.c.self)
      if (targets.length === 0) continue
      const bytes = encodeRequest({ type: 'transfer', ...rec })
      await Promise.all(
        targets.map((t) =>
          this.c.transport
            .request(t, 'service', bytes)
            .then((answer) => {
              // a node that has not seen the change yet answers wrongSwarm: it gets the record again later
              const r = decodeResponse(answer)
              if (r.type !== 'stored') throw new SessionError('UNREACHABLE', `answered ${r.type === 'error' ? r.message : r.type}`)
              handed++
            })
            .catch((e: unknown) => {
              this.pendingHandoffs.add(t)
              this.c.logger?.debug('handing a record over failed; retrying later', { to: t, error: String(e) })
            }),
        ),
      )
    }
    if (handed > 0) this.c.logger?.info('swarms changed: records handed to their new members', { handed })
    return handed
  }

  /** An onion layer for this node: relay it to the next hop, or answer it; the reply is sealed for the way back. */
  async handleOnion(packet: Uint8Array): Promise<Uint8Array> {
    let layer
    try {
      layer = await this.c.onion.peel(packet)
    } catch (e) {
      // no reply key: the client sees its answer fail to open, and tries another path
      this.c.logger?.debug('onion layer refused', {
        error: String(e),
        cause: String((e as { cause?: unknown }).cause),
        bytes: packet.length,
      })
      const err = e instanceof SessionError ? e : new SessionError('MALFORMED', 'bad onion layer')
      return encodeResponse({ type: 'error', code: err.code, message: err.message })
    }
    if (layer.kind === 'deliver') return sealReply(layer.replyKey, await this.handle(layer.request, undefined), true)
    let downstream: Uint8Array
    try {
      downstream = await this.c.transport.request(layer.next, 'onion', layer.packet)
    } catch {
      downstream = new Uint8Array(0) // the path is broken here: the client's answer does not open
    }
    return sealReply(layer.replyKey, downstream, false)
  }
}

/** One service request, through some onion path (see onionRequest, buildCircuit, circuitRequest). */
export type OnionSend = (q: ServiceRequest) => Promise<ServiceResponse>

/** Send a service request through an onion path (the path's first hop is reached directly). */
export async function onionRequest(transport: ServiceTransport, path: readonly OnionHop[], q: ServiceRequest): Promise<ServiceResponse> {
  const { packet, replyKeys } = await buildOnion(path, encodeRequest(q))
  const reply = await transport.request(path[0]!.peerId, 'onion', packet)
  return decodeResponse(openReply(replyKeys, reply))
}

/** Send a first request through `path` and keep the path as a circuit for the next ones. */
export async function buildCircuit(
  transport: ServiceTransport,
  path: readonly OnionHop[],
  q: ServiceRequest,
  random?: RandomSource,
): Promise<{ circuit: OnionCircuit; response: ServiceResponse }> {
  const { circuit, packet, replyKeys } = await OnionCircuit.build(path, encodeRequest(q), random)
  const reply = await transport.request(path[0]!.peerId, 'onion', packet)
  return { circuit, response: decodeResponse(openReply(replyKeys, reply)) }
}

/** A request on a circuit already built (symmetric layers only). */
export async function circuitRequest(transport: ServiceTransport, circuit: OnionCircuit, q: ServiceRequest): Promise<ServiceResponse> {
  const { packet, replyKeys } = circuit.wrap(encodeRequest(q))
  const reply = await transport.request(circuit.path[0]!.peerId, 'onion', packet)
  return decodeResponse(openReply(replyKeys, reply))
}

/** Publish one's key bundle in one's own swarm (namespace 1, owner-signed), so senders need only the Session ID. */
export async function publishBundle(send: OnionSend, me: Identity, prekey: Prekey, nowMs: number = Date.now()): Promise<ServiceResponse> {
  const data = encodeBundle(makeBundle(me, prekey))
  const ttl = Math.min(MAX_PRIVATE_TTL_MS, Math.max(MIN_TTL_MS, prekey.expiresAt * 1000 - nowMs))
  const auth = signOwner(me.mldsa, 'store', BUNDLE_NAMESPACE, nowMs)
  return send({
    type: 'store',
    recipient: me.sessionId,
    namespace: BUNDLE_NAMESPACE,
    timestamp: nowMs,
    ttl,
    data,
    auth,
  })
}

/**
 * Fetch and check the key bundle of a Session ID from its swarm: the newest one that verifies against
 * the ID (self-certifying, so the nodes serving it cannot substitute another). Throws BAD_BUNDLE when
 * none does, NO_IDENTITY when none is published.
 */
export async function fetchBundle(send: OnionSend, sessionId: string, nowSeconds = Math.floor(Date.now() / 1000)): Promise<KeyBundle> {
  const r = await send({ type: 'retrieve', recipient: sessionId, namespace: BUNDLE_NAMESPACE, limit: 256 })
  if (r.type === 'error') throw new SessionError(r.code, r.message)
  if (r.type !== 'messages') throw new SessionError('MALFORMED', `the bundle request was answered with ${r.type}`)
  if (r.messages.length === 0) throw new SessionError('NO_IDENTITY', `${sessionId} has published no key bundle`)
  let last: unknown
  for (const m of [...r.messages].sort((a, b) => b.timestamp - a.timestamp)) {
    try {
      return verifyBundle(decodeBundle(m.data), sessionId, nowSeconds)
    } catch (e) {
      last = e
    }
  }
  throw last instanceof SessionError ? last : new SessionError('BAD_BUNDLE', 'no published bundle verifies for this Session ID')
}
