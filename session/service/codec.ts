import { hexToBytes } from '@noble/hashes/utils.js'
import { sessionIdBytes } from '../crypto/identity.js'
import { SessionError, type SessionErrorCode } from '../errors.js'
import { Reader, Writer } from '../protocol/bytes.js'
import { MAX_MESSAGE_BYTES, MAX_PAGE, type OwnerAuth, type StoredMessage } from '../storage/store.js'
import type { RegisteredNode } from '../swarm/directory.js'
import { hexOf } from '../../common/index.js'

/**
 * The service node protocol's requests and answers, in a versioned binary codec. They travel as the
 * innermost payload of onion requests (and between swarm members, for replication).
 */
export type ServiceRequest =
  | { type: 'store'; recipient: string; namespace: number; timestamp: number; ttl: number; data: Uint8Array; auth?: OwnerAuth }
  | { type: 'retrieve'; recipient: string; namespace: number; lastHash?: string; limit: number; auth?: OwnerAuth }
  | { type: 'delete'; recipient: string; namespace: number; hashes: string[]; auth: OwnerAuth }
  | { type: 'swarm'; recipient: string }
  /** a swarm member passing on a record it stored (no auth: the record is what any client may store) */
  | { type: 'replicate'; recipient: string; namespace: number; timestamp: number; ttl: number; data: Uint8Array; auth?: OwnerAuth }
  /** a service node handing a record to a node that joined the recipient's swarm (a rebalance) */
  | { type: 'transfer'; recipient: string; namespace: number; timestamp: number; expiry: number; data: Uint8Array }
  /** the nodes registered with stake (for light clients, who keep no chain) */
  | { type: 'nodes' }
  /** a service node storing a notice for `recipient` (namespace 6: only service nodes write it; docs/bridge.md) */
  | { type: 'notice'; recipient: string; timestamp: number; ttl: number; data: Uint8Array }
  /** a relay's terms for an action of `recipient` (the acting Session ID) on `target`: its address, chain and the ID's nonce */
  | { type: 'relayQuote'; recipient: string; target: string }
  /** a signed SessionTrigger action for the relay to submit (session/trigger.ts) */
  | { type: 'relay'; recipient: string; action: Uint8Array; signature: Uint8Array; publicKey: Uint8Array }

/** A swarm member's word that it holds a record: its peer id and its signature over receiptStatement(hash). */
export interface HeldReceipt {
  peer: string
  signature: Uint8Array
}

export type ServiceResponse =
  /**
   * `held`: storage receipts, each a member's Ed25519 signature (its libp2p key) saying it holds the
   * record (serviceNode.ts, receiptStatement); absent from nodes that give none
   */
  | { type: 'stored'; hash: string; stored: boolean; held?: HeldReceipt[] }
  | { type: 'messages'; messages: StoredMessage[]; more: boolean }
  | { type: 'deleted'; count: number }
  | { type: 'swarm'; nodes: string[] }
  /** this node is not in the recipient's swarm: these nodes are */
  | { type: 'wrongSwarm'; nodes: string[] }
  | { type: 'error'; code: SessionErrorCode; message: string }
  | { type: 'nodes'; nodes: RegisteredNode[] }
  | { type: 'relayQuote'; relayer: string; chainId: bigint; nonce: bigint }
  | { type: 'relayed'; txHash: string }

const VERSION = 1
const REQ = {
  store: 1,
  retrieve: 2,
  delete: 3,
  swarm: 4,
  replicate: 5,
  transfer: 6,
  nodes: 7,
  notice: 8,
  relayQuote: 9,
  relay: 10,
} as const
const RES = { stored: 1, messages: 2, deleted: 3, swarm: 4, wrongSwarm: 5, error: 6, nodes: 7, relayQuote: 8, relayed: 9 } as const
/** an action's ABI encoding is ~300 bytes plus its call data */
const MAX_ACTION_BYTES = 32_768
const MAX_REGISTERED = 4096
const MAX_HASHES = 1000
const MAX_NODES = 64

function writeAuth(w: Writer, a: OwnerAuth | undefined): void {
  if (a === undefined) {
    w.u8(0)
    return
  }
  w.u8(1).varBytes(a.publicKey).u64(BigInt(a.timestamp)).varBytes(a.signature)
}

function readAuth(r: Reader): OwnerAuth | undefined {
  const has = r.u8()
  if (has === 0) return undefined
  if (has !== 1) throw new SessionError('MALFORMED', 'auth flag')
  return { publicKey: r.varBytes(4096), timestamp: Number(r.u64()), signature: r.varBytes(8192) }
}

const recipientOf = (r: Reader): string => hexOf(r.bytes(33))

export function encodeRequest(q: ServiceRequest): Uint8Array {
  const w = new Writer().u8(VERSION).u8(REQ[q.type])
  if (q.type === 'nodes') return w.finish()
  w.bytes(sessionIdBytes(q.recipient))
  switch (q.type) {
    case 'transfer':
      w.u16(q.namespace).u64(BigInt(q.timestamp)).u64(BigInt(q.expiry)).varBytes(q.data)
      break
    case 'store':
    case 'replicate':
      w.u16(q.namespace).u64(BigInt(q.timestamp)).u64(BigInt(q.ttl)).varBytes(q.data)
      writeAuth(w, q.auth)
      break
    case 'retrieve':
      w.u16(q.namespace).u8(q.lastHash === undefined ? 0 : 1)
      if (q.lastHash !== undefined) w.bytes(hexToBytes(q.lastHash))
      w.u16(q.limit)
      writeAuth(w, q.auth)
      break
    case 'delete':
      w.u16(q.namespace).u16(q.hashes.length)
      for (const h of q.hashes) w.bytes(hexToBytes(h))
      writeAuth(w, q.auth)
      break
    case 'swarm':
      break
    case 'notice':
      w.u64(BigInt(q.timestamp)).u64(BigInt(q.ttl)).varBytes(q.data)
      break
    case 'relayQuote':
      w.bytes(hexToBytes(q.target.replace(/^0x/, '')))
      break
    case 'relay':
      w.varBytes(q.action).varBytes(q.signature).varBytes(q.publicKey)
      break
  }
  return w.finish()
}

export function decodeRequest(bytes: Uint8Array): ServiceRequest {
  const r = new Reader(bytes, 'service request')
  if (r.u8() !== VERSION) throw new SessionError('UNSUPPORTED_VERSION', 'service request version')
  const type = r.u8()
  if (type === REQ.nodes) {
    r.end()
    return { type: 'nodes' }
  }
  const recipient = recipientOf(r)
  let q: ServiceRequest
  switch (type) {
    case REQ.transfer: {
      const namespace = r.u16()
      const timestamp = Number(r.u64())
      const expiry = Number(r.u64())
      q = { type: 'transfer', recipient, namespace, timestamp, expiry, data: r.varBytes(MAX_MESSAGE_BYTES) }
      break
    }
    case REQ.store:
    case REQ.replicate: {
      const namespace = r.u16()
      const timestamp = Number(r.u64())
      const ttl = Number(r.u64())
      const data = r.varBytes(MAX_MESSAGE_BYTES)
      const auth = readAuth(r)
      q = { type: type === REQ.store ? 'store' : 'replicate', recipient, namespace, timestamp, ttl, data, ...(auth ? { auth } : {}) }
      break
    }
    case REQ.retrieve: {
      const namespace = r.u16()
      const has = r.u8()
      if (has > 1) throw new SessionError('MALFORMED', 'lastHash flag')
      const lastHash = has === 1 ? hexOf(r.bytes(32)) : undefined
      const limit = Math.min(r.u16(), MAX_PAGE)
      const auth = readAuth(r)
      q = { type: 'retrieve', recipient, namespace, limit, ...(auth ? { auth } : {}), ...(lastHash !== undefined ? { lastHash } : {}) }
      break
    }
    case REQ.delete: {
      const namespace = r.u16()
      const n = r.u16()
      if (n > MAX_HASHES) throw new SessionError('MALFORMED', `delete of ${n} hashes`)
      const hashes = Array.from({ length: n }, () => hexOf(r.bytes(32)))
      const auth = readAuth(r)
      if (auth === undefined) throw new SessionError('BAD_SIGNATURE', 'delete needs the owner signature')
      q = { type: 'delete', recipient, namespace, hashes, auth }
      break
    }
    case REQ.swarm:
      q = { type: 'swarm', recipient }
      break
    case REQ.notice: {
      const timestamp = Number(r.u64())
      const ttl = Number(r.u64())
      q = { type: 'notice', recipient, timestamp, ttl, data: r.varBytes(MAX_MESSAGE_BYTES) }
      break
    }
    case REQ.relayQuote:
      q = { type: 'relayQuote', recipient, target: `0x${hexOf(r.bytes(20))}` }
      break
    case REQ.relay:
      q = { type: 'relay', recipient, action: r.varBytes(MAX_ACTION_BYTES), signature: r.varBytes(8192), publicKey: r.varBytes(4096) }
      break
    default:
      throw new SessionError('MALFORMED', `unknown service request type ${type}`)
  }
  r.end()
  return q
}

function writeNodes(w: Writer, nodes: string[]): void {
  w.u8(nodes.length)
  for (const n of nodes) w.varBytes(new TextEncoder().encode(n))
}

function readNodes(r: Reader): string[] {
  const n = r.u8()
  if (n > MAX_NODES) throw new SessionError('MALFORMED', 'node list')
  return Array.from({ length: n }, () => new TextDecoder().decode(r.varBytes(128)))
}

export function encodeResponse(a: ServiceResponse): Uint8Array {
  const w = new Writer().u8(VERSION).u8(RES[a.type])
  switch (a.type) {
    case 'stored':
      w.bytes(hexToBytes(a.hash)).u8(a.stored ? 1 : 0)
      if (a.held !== undefined) {
        if (a.held.length > MAX_NODES) throw new SessionError('MALFORMED', 'too many storage receipts')
        w.u8(a.held.length)
        for (const h of a.held) {
          if (h.signature.length !== 64) throw new SessionError('MALFORMED', 'a storage receipt is a 64-byte signature')
          w.varBytes(new TextEncoder().encode(h.peer)).bytes(h.signature)
        }
      }
      break
    case 'messages':
      w.u16(a.messages.length).u8(a.more ? 1 : 0)
      for (const m of a.messages)
        w.bytes(hexToBytes(m.hash)).u16(m.namespace).u64(BigInt(m.timestamp)).u64(BigInt(m.expiry)).varBytes(m.data)
      break
    case 'deleted':
      w.u32(a.count)
      break
    case 'swarm':
    case 'wrongSwarm':
      writeNodes(w, a.nodes)
      break
    case 'error':
      w.varBytes(new TextEncoder().encode(a.code)).varBytes(new TextEncoder().encode(a.message))
      break
    case 'nodes':
      w.u16(a.nodes.length)
      for (const n of a.nodes) w.varBytes(new TextEncoder().encode(n.peerId)).varBytes(n.onionKey).bytes(n.operator).bytes(n.signature)
      break
    case 'relayQuote':
      w.bytes(hexToBytes(a.relayer.replace(/^0x/, '')))
        .u64(a.chainId)
        .varBytes(hexToBytes(a.nonce.toString(16).padStart(64, '0')))
      break
    case 'relayed':
      w.bytes(hexToBytes(a.txHash.replace(/^0x/, '')))
      break
  }
  return w.finish()
}

export function decodeResponse(bytes: Uint8Array): ServiceResponse {
  const r = new Reader(bytes, 'service response')
  if (r.u8() !== VERSION) throw new SessionError('UNSUPPORTED_VERSION', 'service response version')
  const type = r.u8()
  let a: ServiceResponse
  switch (type) {
    case RES.stored:
      a = { type: 'stored', hash: hexOf(r.bytes(32)), stored: r.u8() === 1 }
      // receipts follow when the node gives them (older answers end here)
      if (r.remaining > 0) {
        const n = r.u8()
        if (n > MAX_NODES) throw new SessionError('MALFORMED', 'too many storage receipts')
        a.held = Array.from({ length: n }, () => ({ peer: new TextDecoder().decode(r.varBytes(128)), signature: r.bytes(64) }))
      }
      break
    case RES.messages: {
      const n = r.u16()
      if (n > MAX_PAGE) throw new SessionError('MALFORMED', 'page size')
      const more = r.u8() === 1
      const messages = Array.from({ length: n }, () => ({
        hash: hexOf(r.bytes(32)),
        namespace: r.u16(),
        timestamp: Number(r.u64()),
        expiry: Number(r.u64()),
        data: r.varBytes(MAX_MESSAGE_BYTES),
      }))
      a = { type: 'messages', messages, more }
      break
    }
    case RES.deleted:
      a = { type: 'deleted', count: r.u32() }
      break
    case RES.swarm:
      a = { type: 'swarm', nodes: readNodes(r) }
      break
    case RES.wrongSwarm:
      a = { type: 'wrongSwarm', nodes: readNodes(r) }
      break
    case RES.error:
      a = {
        type: 'error',
        code: new TextDecoder().decode(r.varBytes(64)) as SessionErrorCode,
        message: new TextDecoder().decode(r.varBytes(1024)),
      }
      break
    case RES.nodes: {
      const n = r.u16()
      if (n > MAX_REGISTERED) throw new SessionError('MALFORMED', 'registered node list')
      const nodes = Array.from({ length: n }, () => ({
        peerId: new TextDecoder().decode(r.varBytes(128)),
        onionKey: r.varBytes(2048),
        operator: r.bytes(20),
        signature: r.bytes(64),
      }))
      a = { type: 'nodes', nodes }
      break
    }
    case RES.relayQuote: {
      const relayer = `0x${hexOf(r.bytes(20))}`
      const chainId = r.u64()
      a = { type: 'relayQuote', relayer, chainId, nonce: BigInt(`0x${hexOf(r.varBytes(32)) || '0'}`) }
      break
    }
    case RES.relayed:
      a = { type: 'relayed', txHash: `0x${hexOf(r.bytes(32))}` }
      break
    default:
      throw new SessionError('MALFORMED', `unknown service response type ${type}`)
  }
  r.end()
  return a
}
