import { peerIdFromMultihash, peerIdFromString } from '@libp2p/peer-id'
import { decode as decodeMultihash } from 'multiformats/hashes/digest'
import { Writer } from '../../common/index.js'
import { ed25519Verify } from '../crypto/primitives.js'
import type { OnionHop } from '../onion/onion.js'
import { swarmsOf, type SwarmMap } from './swarms.js'

/**
 * The service node list as the chain defines it, and its swarms: the genesis validators that list an
 * onion key, then the nodes registered with stake in the ServiceNodeRegistry system contract, applied
 * block by block in chain order (the block hash seeds each batch). Every full node replays the same
 * events, so every full node computes the same swarms, incrementally (SwarmMap.apply moves as few
 * nodes as it can). A registration whose Ed25519 signature by the node's libp2p key does not verify is
 * ignored by all of them alike.
 */
export interface RegisteredNode {
  peerId: string
  onionKey: Uint8Array
  /** the staking account (20 bytes) */
  operator: Uint8Array
  /** Ed25519 by the peer's key over registrationStatement(...) */
  signature: Uint8Array
}

export type RegistryEvent =
  | { type: 'registered'; peerId: Uint8Array; operator: Uint8Array; onionKey: Uint8Array; signature: Uint8Array }
  | { type: 'deregistered'; peerId: Uint8Array }

export const REGISTRATION_CONTEXT = 'pars-service-node-v1'
const ONION_KEY_BYTES = 1216

/** What a node's libp2p key signs to register: context ‖ chain id (32) ‖ registry (20) ‖ operator (20) ‖ onion key. */
export function registrationStatement(chainId: bigint, registry: Uint8Array, operator: Uint8Array, onionKey: Uint8Array): Uint8Array {
  const id = new Uint8Array(32)
  new DataView(id.buffer).setBigUint64(24, chainId)
  return new Writer()
    .bytes(new TextEncoder().encode(REGISTRATION_CONTEXT))
    .bytes(id)
    .bytes(registry)
    .bytes(operator)
    .bytes(onionKey)
    .finish()
}

/** The peer id string of a binary libp2p peer id, when it is an Ed25519 one (its key is inside). */
export function ed25519PeerId(bytes: Uint8Array): { peerId: string; publicKey: Uint8Array } | undefined {
  try {
    const p = peerIdFromMultihash(decodeMultihash(bytes))
    if (p.type !== 'Ed25519' || p.publicKey === undefined) return undefined
    return { peerId: p.toString(), publicKey: p.publicKey.raw }
  } catch {
    return undefined
  }
}

const peerKeys = new Map<string, Uint8Array | null>()

/** The Ed25519 public key inside a peer id string (remembered), or undefined when it holds none. */
export function ed25519KeyOf(peerId: string): Uint8Array | undefined {
  let key = peerKeys.get(peerId)
  if (key === undefined) {
    try {
      const p = peerIdFromString(peerId)
      key = p.type === 'Ed25519' && p.publicKey !== undefined ? p.publicKey.raw : null
    } catch {
      key = null
    }
    if (peerKeys.size >= 65_536) peerKeys.clear()
    peerKeys.set(peerId, key)
  }
  return key ?? undefined
}

/** Check a registration (what every reader of the registry does before it counts the node). */
export function verifyRegistration(
  chainId: bigint,
  registry: Uint8Array,
  e: Extract<RegistryEvent, { type: 'registered' }>,
): RegisteredNode | undefined {
  const id = ed25519PeerId(e.peerId)
  if (id === undefined || e.onionKey.length !== ONION_KEY_BYTES || e.signature.length !== 64) return undefined
  if (!ed25519Verify(e.signature, registrationStatement(chainId, registry, e.operator, e.onionKey), id.publicKey)) return undefined
  return { peerId: id.peerId, onionKey: e.onionKey, operator: e.operator, signature: e.signature }
}

/** Check a registered node as a light client receives it from a service node (it cannot be forged, only withheld). */
export function verifyRegisteredNode(chainId: bigint, registry: Uint8Array, n: RegisteredNode): boolean {
  let peerId: Uint8Array
  try {
    peerId = peerIdFromString(n.peerId).toMultihash().bytes
  } catch {
    return false
  }
  const { onionKey, operator, signature } = n
  return verifyRegistration(chainId, registry, { type: 'registered', peerId, onionKey, operator, signature })?.peerId === n.peerId
}

export class ServiceDirectory {
  private map: SwarmMap
  private readonly registered = new Map<string, RegisteredNode>()

  constructor(
    private readonly genesis: readonly OnionHop[],
    private readonly chainId: bigint,
    private readonly registry: Uint8Array,
  ) {
    this.map = swarmsOf(genesis.map((h) => h.peerId))
  }

  get swarms(): SwarmMap {
    return this.map
  }

  /** Every service node with its onion key: the genesis ones, then the registered ones. */
  hops(): OnionHop[] {
    return [...this.genesis, ...[...this.registered.values()].map((n) => ({ peerId: n.peerId, publicKey: n.onionKey }))]
  }

  registeredNodes(): RegisteredNode[] {
    return [...this.registered.values()]
  }

  /**
   * Apply one block's registry events (in log order) with its hash as the seed. Returns the swarms
   * before and after when the list changed (so records can be pushed to new members), else undefined.
   */
  applyBlock(events: readonly RegistryEvent[], seed: Uint8Array): { before: SwarmMap; after: SwarmMap } | undefined {
    const genesisIds = new Set(this.genesis.map((h) => h.peerId))
    const joined: string[] = []
    const left: string[] = []
    for (const e of events) {
      if (e.type === 'registered') {
        const n = verifyRegistration(this.chainId, this.registry, e)
        if (n === undefined || genesisIds.has(n.peerId) || this.registered.has(n.peerId)) continue
        this.registered.set(n.peerId, n)
        joined.push(n.peerId)
      } else {
        const id = ed25519PeerId(e.peerId)
        if (id === undefined || !this.registered.delete(id.peerId)) continue
        left.push(id.peerId)
      }
    }
    // a node that joined and left in one block changes nothing
    const j = joined.filter((n) => !left.includes(n))
    const l = left.filter((n) => !joined.includes(n))
    if (j.length === 0 && l.length === 0) return undefined
    const before = this.map.clone()
    this.map.apply({ joined: j, left: l }, seed)
    return { before, after: this.map }
  }
}
