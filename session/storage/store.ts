import { sha256Native as sha256 } from '../crypto/primitives.js'
import { ml_dsa87 } from '@noble/post-quantum/ml-dsa.js'
import { concat, Lru, Reader, readKey, u64be, utf8, Writer, type KVBatchOp, type KVStore, hexOf } from '../../common/index.js'
import { parseSessionId, sessionIdBytes, sessionIdOf } from '../crypto/identity.js'
import { SessionError } from '../errors.js'
import { NOTICE_NAMESPACE } from '../notices.js'

/**
 * A service node's message store (Session's storage server, post-quantum): opaque records kept for
 * a recipient's Session ID in a namespace until they expire. The store never sees plaintext or the
 * sender: a record is the recipient, the namespace, the sender's ciphertext and its timing.
 *
 *   store     anyone, for namespaces 0 (direct messages) and 11..14 (groups); TTL 10 s .. 14 days;
 *             the owner only, for 2..5 (config and sync of one's own devices) and 1 (the owner's
 *             published key bundle, which anyone may read); TTL up to 30 days; service nodes only,
 *             for 6 (notices: relay outcomes and chain events, owner-read; see notices.ts). The
 *             owner signs "store" ‖ namespace ‖ timestamp as for a retrieve, not the record: the
 *             signature says who may write there, and a client reuses it while it is fresh (see
 *             checkOwner for why binding the record would add nothing)
 *   retrieve  the owner only: an ML-DSA-87 signature (context "pars-storage-v1") over
 *             "retrieve" ‖ namespace (u16) ‖ timestamp (u64 ms), with the key that hashes to the
 *             Session ID, the timestamp within ±60 s; paged by the last hash seen
 *   delete    the owner only, signed over "delete" ‖ namespace ‖ timestamp ‖ the hashes
 *   expire    records past their expiry are swept (and never returned)
 *
 * Records are deduplicated by hash = SHA-256(recipient ‖ namespace ‖ timestamp ‖ ttl ‖ data): the same
 * message stored twice (a retry, or replication from a swarm peer) is kept once. A recipient holds at
 * most MAX_PER_INBOX records per namespace; beyond it the oldest go first, so flooding one inbox
 * cannot grow a node without bound (the network layer adds rate limits per peer).
 *
 * Keys (LevelDB):  0x01 recipient ‖ ns ‖ seq -> record   0x02 hash -> recipient ‖ ns ‖ seq
 *                  0x03 expiry ‖ hash -> ()              0x04 "seq" -> last seq
 *                  0x05 recipient ‖ ns -> records in the inbox (u32)
 */
export const MAX_MESSAGE_BYTES = 76_800
export const MIN_TTL_MS = 10_000
export const MAX_TTL_MS = 14 * 24 * 3600 * 1000
/** how long a notice (namespace 6) is kept: the longest a record of a public namespace may live */
export const NOTICE_TTL_MS = MAX_TTL_MS
export const MAX_PRIVATE_TTL_MS = 30 * 24 * 3600 * 1000
export const AUTH_WINDOW_MS = 60_000
/** records one inbox (recipient, namespace) holds at most; the oldest go first */
export const MAX_PER_INBOX = 5_000
export const MAX_PAGE = 256
export const PUBLIC_NAMESPACES: ReadonlySet<number> = new Set([0, 11, 12, 13, 14])
export const PRIVATE_NAMESPACES: ReadonlySet<number> = new Set([2, 3, 4, 5])
/** the owner's published key bundle: only the owner writes, anyone reads (so a sender needs only the ID) */
export const BUNDLE_NAMESPACE = 1
const CONTEXT = utf8.encode('pars-storage-v1')
const REC = 0x01
const HASH = 0x02
const EXP = 0x03
const META_SEQ = Uint8Array.of(0x04, ...utf8.encode('seq'))
const COUNT = 0x05
/** record key = REC ‖ recipient (33) ‖ ns (2) ‖ seq (8): its inbox is the first 36 bytes */
const INBOX_BYTES = 36
const RECORD_VERSION = 1

/** Proof that the owner of a Session ID makes this request. */
export interface OwnerAuth {
  /** the ML-DSA-87 public key whose SHA3-256 is the Session ID */
  publicKey: Uint8Array
  /** ms since the epoch, within ±60 s of the node's clock */
  timestamp: number
  signature: Uint8Array
}

export interface StoreRequest {
  recipient: string
  namespace: number
  /** the sender's ciphertext */
  data: Uint8Array
  /** ms since the epoch, as the sender set it */
  timestamp: number
  ttl: number
  /** required for private namespaces */
  auth?: OwnerAuth
}

export interface StoredMessage {
  hash: string
  namespace: number
  data: Uint8Array
  timestamp: number
  expiry: number
}

export interface RetrieveRequest {
  recipient: string
  namespace: number
  /** required except for the public bundle namespace */
  auth?: OwnerAuth
  /** the hash of the last message the client has; omit to start from the oldest */
  lastHash?: string
  limit?: number
}

/** What the owner signs to retrieve or delete (the node checks the same bytes). */
export function ownerStatement(
  kind: 'retrieve' | 'delete' | 'store',
  namespace: number,
  timestamp: number,
  extra: Uint8Array = new Uint8Array(0),
): Uint8Array {
  return new Writer().bytes(utf8.encode(kind)).u16(namespace).u64(BigInt(timestamp)).bytes(extra).finish()
}

/** Sign a storage request as the owner of an identity (client side). */
export function signOwner(
  mldsa: { publicKey: Uint8Array; secretKey: Uint8Array },
  kind: 'retrieve' | 'delete' | 'store',
  namespace: number,
  timestamp: number,
  extra?: Uint8Array,
): OwnerAuth {
  const signature = ml_dsa87.sign(ownerStatement(kind, namespace, timestamp, extra), mldsa.secretKey, { context: CONTEXT })
  return { publicKey: mldsa.publicKey, timestamp, signature }
}

export function messageHash(recipient: string, namespace: number, timestamp: number, ttl: number, data: Uint8Array): string {
  return hexOf(
    sha256(new Writer().bytes(sessionIdBytes(recipient)).u16(namespace).u64(BigInt(timestamp)).u64(BigInt(ttl)).bytes(data).finish()),
  )
}

const hexBytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'))

function checkNamespace(ns: number): void {
  if (
    !Number.isInteger(ns) ||
    (!PUBLIC_NAMESPACES.has(ns) && !PRIVATE_NAMESPACES.has(ns) && ns !== BUNDLE_NAMESPACE && ns !== NOTICE_NAMESPACE)
  ) {
    throw new SessionError('MALFORMED', `namespace ${ns} is not one this node keeps (0, 1, 2..6, 11..14)`)
  }
}

export class MessageStore {
  private seq = 0n
  /** inbox record counts by inbox prefix (hex), as last written */
  private readonly counts = new Lru<string, number>(65_536)
  /** owner signatures that verified (by digest of key, statement and signature) */
  private readonly verified = new Lru<string, true>(4096)
  private ready: Promise<void> | undefined
  /** one write at a time: seq numbers and the per-inbox cap stay consistent */
  private writing: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly kv: KVStore,
    private readonly now: () => number = () => Date.now(),
    private readonly maxPerInbox = MAX_PER_INBOX,
  ) {}

  private init(): Promise<void> {
    this.ready ??= (async () => {
      const v = await this.kv.get(META_SEQ)
      if (v !== undefined && v !== null) this.seq = new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0)
    })()
    return this.ready
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writing.then(fn, fn)
    this.writing = run.catch(() => undefined)
    return run
  }

  /** Refuse a request not signed by the owner of `recipient`, or signed too far from now. */
  private checkOwner(recipient: string, auth: OwnerAuth | undefined, statement: Uint8Array): void {
    if (auth === undefined) throw new SessionError('BAD_SIGNATURE', 'this request needs the owner signature')
    if (Math.abs(this.now() - auth.timestamp) > AUTH_WINDOW_MS) {
      throw new SessionError('BAD_SIGNATURE', 'the request timestamp is more than 60 s from this node clock')
    }
    if (sessionIdOf(auth.publicKey) !== recipient) throw new SessionError('BAD_SIGNATURE', 'the key does not belong to this Session ID')
    // a client reuses a retrieve signature for a while: one that verified is remembered by its digest
    const digest = hexOf(sha256(concat(auth.publicKey, statement, auth.signature)))
    if (this.verified.get(digest) === true) return
    let ok = false
    try {
      ok = ml_dsa87.verify(auth.signature, statement, auth.publicKey, { context: CONTEXT })
    } catch {
      ok = false
    }
    if (!ok) throw new SessionError('BAD_SIGNATURE', 'the owner signature does not verify')
    this.verified.set(digest, true)
  }

  /** An inbox's record count: remembered after the first read (every write passes through commit). */
  private async count(inbox: Uint8Array): Promise<number> {
    const hex = hexOf(inbox)
    const known = this.counts.get(hex)
    if (known !== undefined) return known
    const v = await this.kv.get(concat(Uint8Array.of(COUNT), inbox.subarray(1)))
    const n = v === undefined ? 0 : new DataView(v.buffer, v.byteOffset, 4).getUint32(0)
    this.counts.set(hex, n)
    return n
  }

  /** Write `ops` with the inbox counts moved by `deltas` (inbox prefix hex -> change), in one batch. */
  private async commit(ops: KVBatchOp[], deltas: Map<string, number>): Promise<void> {
    const next = new Map<string, number>()
    for (const [hex, d] of deltas) {
      const inbox = hexBytes(hex)
      const n = Math.max(0, (await this.count(inbox)) + d)
      next.set(hex, n)
      const key = concat(Uint8Array.of(COUNT), inbox.subarray(1))
      ops.push(n === 0 ? { type: 'del', key } : { type: 'put', key, value: new Writer().u32(n).finish() })
    }
    try {
      await this.kv.batch(ops)
    } catch (e) {
      for (const hex of next.keys()) this.counts.delete(hex)
      throw e
    }
    for (const [hex, n] of next) this.counts.set(hex, n)
  }

  private inboxPrefix(recipient: string, namespace: number): Uint8Array {
    return new Writer().u8(REC).bytes(sessionIdBytes(recipient)).u16(namespace).finish()
  }

  /** Keep a message; returns its hash, and whether it was new. */
  async store(req: StoreRequest): Promise<{ hash: string; stored: boolean }> {
    checkNamespace(req.namespace)
    if (req.namespace === NOTICE_NAMESPACE)
      throw new SessionError('MALFORMED', `namespace ${NOTICE_NAMESPACE} (notices) is written by service nodes only`)
    const recipient = parseSessionId(req.recipient)
    if (!(req.data instanceof Uint8Array) || req.data.length === 0 || req.data.length > MAX_MESSAGE_BYTES) {
      throw new SessionError('MALFORMED', `a message is 1 to ${MAX_MESSAGE_BYTES} bytes`)
    }
    const priv = PRIVATE_NAMESPACES.has(req.namespace) || req.namespace === BUNDLE_NAMESPACE
    const maxTtl = priv ? MAX_PRIVATE_TTL_MS : MAX_TTL_MS
    if (!Number.isSafeInteger(req.ttl) || req.ttl < MIN_TTL_MS || req.ttl > maxTtl) {
      throw new SessionError('MALFORMED', `TTL must be ${MIN_TTL_MS / 1000} s to ${maxTtl / 86_400_000} days`)
    }
    const now = this.now()
    if (!Number.isSafeInteger(req.timestamp) || Math.abs(req.timestamp - now) > AUTH_WINDOW_MS) {
      throw new SessionError('MALFORMED', 'the message timestamp is more than 60 s from this node clock')
    }
    const hash = messageHash(recipient, req.namespace, req.timestamp, req.ttl, req.data)
    // Not bound to the record: the signature reaches only the swarm member at the end of the
    // client's onion path, and a member can already write into an owner's namespaces by replication.
    // Those records protect themselves (sync batches are sealed with the owner's key, bundles carry
    // the owner's own signature). What the signature keeps out is everyone else; one signature per
    // namespace and 30 s then does that, instead of an ML-DSA-87 signature (~7 ms) per store.
    if (priv) this.checkOwner(recipient, req.auth, ownerStatement('store', req.namespace, req.auth?.timestamp ?? 0))
    return this.insert(recipient, req.namespace, req.timestamp, req.timestamp + req.ttl, req.data, hash)
  }

  /**
   * Keep a record another member of the swarm held before this node joined it (a rebalance): checked
   * for shape and expiry, but not for the owner's signature or a fresh timestamp, which only the
   * first store could check. Service nodes are staked; what one passes on here is what it could have
   * stored anyway, and a forged private record is one the owner's devices cannot open.
   */
  async adopt(rec: {
    recipient: string
    namespace: number
    timestamp: number
    expiry: number
    data: Uint8Array
  }): Promise<{ hash: string; stored: boolean }> {
    checkNamespace(rec.namespace)
    const recipient = parseSessionId(rec.recipient)
    if (!(rec.data instanceof Uint8Array) || rec.data.length === 0 || rec.data.length > MAX_MESSAGE_BYTES) {
      throw new SessionError('MALFORMED', `a message is 1 to ${MAX_MESSAGE_BYTES} bytes`)
    }
    const priv = PRIVATE_NAMESPACES.has(rec.namespace) || rec.namespace === BUNDLE_NAMESPACE
    const ttl = rec.expiry - rec.timestamp
    const now = this.now()
    if (!Number.isSafeInteger(rec.timestamp) || !Number.isSafeInteger(rec.expiry) || rec.timestamp > now + AUTH_WINDOW_MS) {
      throw new SessionError('MALFORMED', 'a record timestamp from the future')
    }
    if (ttl < MIN_TTL_MS || ttl > (priv ? MAX_PRIVATE_TTL_MS : MAX_TTL_MS)) throw new SessionError('MALFORMED', 'a record TTL out of range')
    if (rec.expiry <= now) return { hash: messageHash(recipient, rec.namespace, rec.timestamp, ttl, rec.data), stored: false }
    return this.insert(
      recipient,
      rec.namespace,
      rec.timestamp,
      rec.expiry,
      rec.data,
      messageHash(recipient, rec.namespace, rec.timestamp, ttl, rec.data),
    )
  }

  /** Every record kept and not expired, inbox by inbox (what a rebalance pushes to new members). */
  async *records(): AsyncGenerator<{ recipient: string; namespace: number; timestamp: number; expiry: number; data: Uint8Array }> {
    const now = this.now()
    for await (const [k, v] of this.kv.iterator({ gte: Uint8Array.of(REC), lt: Uint8Array.of(REC + 1) })) {
      const namespace = (k[34]! << 8) | k[35]!
      const m = this.decode(v, namespace)
      if (m.expiry <= now) continue
      yield { recipient: hexOf(k.subarray(1, 34)), namespace, timestamp: m.timestamp, expiry: m.expiry, data: m.data }
    }
  }

  private async insert(
    recipient: string,
    namespace: number,
    timestamp: number,
    expiry: number,
    data: Uint8Array,
    hash: string,
  ): Promise<{ hash: string; stored: boolean }> {
    await this.init()
    return this.exclusive(async () => {
      if ((await readKey(this.kv, concat(Uint8Array.of(HASH), hexBytes(hash)))) !== undefined) return { hash, stored: false }
      this.seq += 1n
      const prefix = this.inboxPrefix(recipient, namespace)
      const key = concat(prefix, u64be(this.seq))
      const value = new Writer().u8(RECORD_VERSION).bytes(hexBytes(hash)).u64(BigInt(timestamp)).u64(BigInt(expiry)).varBytes(data).finish()
      const ops: KVBatchOp[] = [
        { type: 'put', key, value },
        { type: 'put', key: concat(Uint8Array.of(HASH), hexBytes(hash)), value: key },
        { type: 'put', key: concat(Uint8Array.of(EXP), u64be(expiry), hexBytes(hash)), value: new Uint8Array(0) },
        { type: 'put', key: META_SEQ, value: u64be(this.seq) },
      ]
      // the inbox cap: when full, the oldest record of this inbox makes room
      let delta = 1
      if ((await this.count(prefix)) >= this.maxPerInbox) {
        for await (const k of this.kv.keys({ gte: prefix, lt: concat(prefix, new Uint8Array(8).fill(0xff)), limit: 1 })) {
          ops.push(...(await this.removeOps(Uint8Array.from(k))))
          delta = 0
        }
      }
      await this.commit(ops, new Map([[hexOf(prefix), delta]]))
      return { hash, stored: true }
    })
  }

  private decode(value: Uint8Array, namespace: number): StoredMessage & { hashBytes: Uint8Array } {
    const r = new Reader(value, 'stored record', (m) => new SessionError('MALFORMED', m))
    if (r.u8() !== RECORD_VERSION) throw new SessionError('UNSUPPORTED_VERSION', 'stored record version')
    const hashBytes = r.bytes(32)
    const timestamp = Number(r.u64())
    const expiry = Number(r.u64())
    const data = r.varBytes(MAX_MESSAGE_BYTES)
    return { hash: hexOf(hashBytes), hashBytes, namespace, data, timestamp, expiry }
  }

  private async removeOps(recordKey: Uint8Array): Promise<KVBatchOp[]> {
    const v = await readKey(this.kv, recordKey)
    if (v === undefined) return []
    const m = this.decode(v, 0)
    return [
      { type: 'del', key: recordKey },
      { type: 'del', key: concat(Uint8Array.of(HASH), m.hashBytes) },
      { type: 'del', key: concat(Uint8Array.of(EXP), u64be(m.expiry), m.hashBytes) },
    ]
  }

  /** The owner's messages in a namespace, oldest first, after `lastHash`; expired ones are left out. */
  async retrieve(req: RetrieveRequest): Promise<{ messages: StoredMessage[]; more: boolean }> {
    checkNamespace(req.namespace)
    const recipient = parseSessionId(req.recipient)
    // key bundles are public (they are signed by the owner themselves); everything else is the owner's
    if (req.namespace !== BUNDLE_NAMESPACE)
      this.checkOwner(recipient, req.auth, ownerStatement('retrieve', req.namespace, req.auth?.timestamp ?? 0))
    await this.init()
    const prefix = this.inboxPrefix(recipient, req.namespace)
    let from = prefix
    if (req.lastHash !== undefined) {
      if (!/^[0-9a-f]{64}$/.test(req.lastHash)) throw new SessionError('MALFORMED', 'lastHash must be 64 hex digits')
      const loc = await readKey(this.kv, concat(Uint8Array.of(HASH), hexBytes(req.lastHash)))
      // a last hash that is gone (expired, deleted): start from the oldest again
      if (loc !== undefined) from = concat(loc, Uint8Array.of(0))
    }
    const limit = Math.max(1, Math.min(req.limit ?? MAX_PAGE, MAX_PAGE))
    const now = this.now()
    const messages: StoredMessage[] = []
    let more = false
    for await (const [, v] of this.kv.iterator({ gte: from, lt: concat(prefix, new Uint8Array(8).fill(0xff)) })) {
      const m = this.decode(v, req.namespace)
      if (m.expiry <= now) continue
      if (messages.length === limit) {
        more = true
        break
      }
      messages.push({ hash: m.hash, namespace: m.namespace, data: m.data, timestamp: m.timestamp, expiry: m.expiry })
    }
    return { messages, more }
  }

  /** The owner deletes messages by hash; returns how many were there. */
  async delete(recipient: string, namespace: number, hashes: string[], auth: OwnerAuth): Promise<number> {
    checkNamespace(namespace)
    const r = parseSessionId(recipient)
    for (const h of hashes) if (!/^[0-9a-f]{64}$/.test(h)) throw new SessionError('MALFORMED', 'hashes are 64 hex digits')
    this.checkOwner(r, auth, ownerStatement('delete', namespace, auth.timestamp, concat(...hashes.map(hexBytes))))
    await this.init()
    const prefix = this.inboxPrefix(r, namespace)
    return this.exclusive(async () => {
      const ops: KVBatchOp[] = []
      let n = 0
      for (const h of new Set(hashes)) {
        const loc = await readKey(this.kv, concat(Uint8Array.of(HASH), hexBytes(h)))
        // only this owner's inbox: a hash of someone else's message is not theirs to delete
        if (loc === undefined || !prefix.every((b, i) => loc[i] === b)) continue
        ops.push(...(await this.removeOps(loc)))
        n++
      }
      if (n > 0) await this.commit(ops, new Map([[hexOf(prefix), -n]]))
      return n
    })
  }

  /** Remove every record expired by now; returns how many. */
  async sweep(): Promise<number> {
    await this.init()
    return this.exclusive(async () => {
      const now = this.now()
      const ops: KVBatchOp[] = []
      const deltas = new Map<string, number>()
      let n = 0
      for await (const k of this.kv.keys({ gte: Uint8Array.of(EXP), lt: concat(Uint8Array.of(EXP), u64be(now + 1)) })) {
        const hash = k.subarray(9)
        const loc = await readKey(this.kv, concat(Uint8Array.of(HASH), hash))
        ops.push({ type: 'del', key: Uint8Array.from(k) })
        if (loc !== undefined) {
          ops.push({ type: 'del', key: loc }, { type: 'del', key: concat(Uint8Array.of(HASH), hash) })
          const inbox = hexOf(loc.subarray(0, INBOX_BYTES))
          deltas.set(inbox, (deltas.get(inbox) ?? 0) - 1)
          n++
        }
      }
      if (ops.length > 0) await this.commit(ops, deltas)
      return n
    })
  }
}
