import { sha256 } from '@noble/hashes/sha2.js'
import { utf8 } from '../../common/index.js'
import { sessionIdBytes } from '../crypto/identity.js'

/**
 * Swarms: the service nodes grouped so that each group (5 to 10 nodes, ideally 7) keeps the messages
 * of the Session IDs nearest to it. As in Session's storage network:
 *
 *   - a swarm has a 64-bit id on a ring; a Session ID's point is the XOR of the four 64-bit words of
 *     its 32 bytes (after 05); the ID belongs to the swarm whose id is closest on the ring (ties: the
 *     smaller id);
 *   - every node computes the same map from the same ordered changes (nodes joining and leaving, as
 *     the chain records them), so no coordination is needed.
 *
 * Rebalancing moves as little as it can, since every move means copying records:
 *   - a joining node goes to the smallest swarm (ties: the smaller id);
 *   - a swarm above `max` splits: a new swarm, its id the middle of the widest gap on the ring, takes
 *     the half of the members that rank highest by SHA-256(seed ‖ swarm id ‖ node);
 *   - a swarm below `min` (when there are others) dissolves: its members join the smallest swarms one
 *     by one, and its Session IDs fall to the swarms now closest;
 *   - a network with fewer than `min` nodes is one swarm of all of them (smaller minimums on small
 *     networks, documented in docs/session.md).
 * `apply` reports which nodes changed swarm, so they (and the swarms that lost IDs) push records.
 */
export interface SwarmOptions {
  min: number
  ideal: number
  max: number
}

export const SWARM_DEFAULTS: SwarmOptions = { min: 5, ideal: 7, max: 10 }
const RING = 1n << 64n

export interface SwarmChange {
  joined?: string[]
  left?: string[]
}

/** The 64-bit ring point of a Session ID. */
export function swarmPoint(sessionId: string): bigint {
  const b = sessionIdBytes(sessionId).subarray(1)
  const v = new DataView(b.buffer, b.byteOffset, 32)
  return v.getBigUint64(0) ^ v.getBigUint64(8) ^ v.getBigUint64(16) ^ v.getBigUint64(24)
}

function ringDistance(a: bigint, b: bigint): bigint {
  const d = a > b ? a - b : b - a
  return d < RING - d ? d : RING - d
}

function score(seed: Uint8Array, swarm: bigint, node: string): string {
  return Buffer.from(sha256(new Uint8Array([...seed, ...utf8.encode(`${swarm}:${node}`)]))).toString('hex')
}

export class SwarmMap {
  private readonly swarms = new Map<bigint, Set<string>>()
  private readonly nodeSwarm = new Map<string, bigint>()
  private readonly opts: SwarmOptions

  constructor(opts: Partial<SwarmOptions> = {}) {
    this.opts = { ...SWARM_DEFAULTS, ...opts }
    if (!(
      this.opts.min >= 1 &&
      this.opts.min <= this.opts.ideal &&
      this.opts.ideal <= this.opts.max &&
      this.opts.max >= 2 * this.opts.min - 1
    )) {
      throw new RangeError('swarm sizes must satisfy 1 <= min <= ideal <= max and max >= 2*min - 1 (a split must leave two valid swarms)')
    }
  }

  get size(): number {
    return this.swarms.size
  }

  /** An independent copy (to compare a map before and after a change). */
  clone(): SwarmMap {
    const c = new SwarmMap(this.opts)
    for (const [id, members] of this.swarms) c.swarms.set(id, new Set(members))
    for (const [node, id] of this.nodeSwarm) c.nodeSwarm.set(node, id)
    return c
  }

  /** Every service node in the map. */
  nodes(): string[] {
    return [...this.nodeSwarm.keys()].sort()
  }

  /** Swarm ids, ascending. */
  ids(): bigint[] {
    return [...this.swarms.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  }

  members(swarm: bigint): string[] {
    return [...(this.swarms.get(swarm) ?? [])].sort()
  }

  swarmOfNode(node: string): bigint | undefined {
    return this.nodeSwarm.get(node)
  }

  /** The swarm that keeps a Session ID's messages. */
  swarmFor(sessionId: string): bigint | undefined {
    const p = swarmPoint(sessionId)
    let best: bigint | undefined
    let bestD = RING
    for (const id of this.ids()) {
      const d = ringDistance(id, p)
      if (d < bestD) {
        best = id
        bestD = d
      }
    }
    return best
  }

  /** The service nodes that keep a Session ID's messages. */
  nodesFor(sessionId: string): string[] {
    const s = this.swarmFor(sessionId)
    return s === undefined ? [] : this.members(s)
  }

  /** The middle of the widest gap on the ring (where a new swarm takes the least from the others). */
  private newSwarmId(seed: Uint8Array): bigint {
    const ids = this.ids()
    if (ids.length === 0) return new DataView(sha256(seed).buffer).getBigUint64(0)
    let bestStart = ids[ids.length - 1]!
    let bestGap = (ids[0]! - bestStart + RING) % RING || RING
    for (let i = 1; i < ids.length; i++) {
      const gap = ids[i]! - ids[i - 1]!
      if (gap > bestGap) {
        bestGap = gap
        bestStart = ids[i - 1]!
      }
    }
    return (bestStart + bestGap / 2n) % RING
  }

  private smallest(except?: bigint): bigint {
    let best: bigint | undefined
    for (const id of this.ids()) {
      if (id === except) continue
      if (best === undefined || this.swarms.get(id)!.size < this.swarms.get(best)!.size) best = id
    }
    return best!
  }

  private put(node: string, swarm: bigint): void {
    const old = this.nodeSwarm.get(node)
    if (old !== undefined) this.swarms.get(old)?.delete(node)
    this.swarms.get(swarm)!.add(node)
    this.nodeSwarm.set(node, swarm)
  }

  /**
   * Apply one ordered batch of changes (joins then leaves, each in sorted order) with the seed the
   * chain fixes for it (e.g. the block hash). Returns each node whose swarm changed: from, to.
   */
  apply(change: SwarmChange, seed: Uint8Array): Map<string, { from?: bigint; to?: bigint }> {
    const before = new Map(this.nodeSwarm)
    for (const node of [...new Set(change.left ?? [])].sort()) {
      const s = this.nodeSwarm.get(node)
      if (s === undefined) continue
      this.swarms.get(s)!.delete(node)
      this.nodeSwarm.delete(node)
      if (this.swarms.get(s)!.size === 0) this.swarms.delete(s)
    }
    for (const node of [...new Set(change.joined ?? [])].sort()) {
      if (this.nodeSwarm.has(node)) continue
      if (this.swarms.size === 0) this.swarms.set(this.newSwarmId(seed), new Set())
      this.put(node, this.smallest())
      this.splitIfTooBig(this.nodeSwarm.get(node)!, seed)
    }
    this.dissolveTooSmall(seed)
    const moved = new Map<string, { from?: bigint; to?: bigint }>()
    for (const node of new Set([...before.keys(), ...this.nodeSwarm.keys()])) {
      const from = before.get(node)
      const to = this.nodeSwarm.get(node)
      if (from !== to) moved.set(node, { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) })
    }
    return moved
  }

  private splitIfTooBig(swarm: bigint, seed: Uint8Array): void {
    const members = this.swarms.get(swarm)!
    if (members.size <= this.opts.max) return
    const id = this.newSwarmId(seed)
    this.swarms.set(id, new Set())
    const ranked = [...members].sort((a, b) => (score(seed, swarm, a) < score(seed, swarm, b) ? -1 : 1))
    for (const node of ranked.slice(Math.ceil(ranked.length / 2))) this.put(node, id)
  }

  private dissolveTooSmall(seed: Uint8Array): void {
    for (;;) {
      if (this.swarms.size <= 1) return
      const small = this.ids().find((id) => this.swarms.get(id)!.size < this.opts.min)
      if (small === undefined) return
      const members = [...this.swarms.get(small)!].sort()
      this.swarms.delete(small)
      for (const node of members) {
        this.nodeSwarm.delete(node)
        const to = this.smallest()
        this.swarms.get(to)!.add(node)
        this.nodeSwarm.set(node, to)
        this.splitIfTooBig(to, seed)
      }
    }
  }

  /** Check the invariants (tests and the node's own assertions): throws on the first broken one. */
  check(): void {
    let n = 0
    for (const [id, members] of this.swarms) {
      if (members.size === 0) throw new Error(`swarm ${id} is empty`)
      if (members.size > this.opts.max) throw new Error(`swarm ${id} has ${members.size} > ${this.opts.max}`)
      if (this.swarms.size > 1 && members.size < this.opts.min) throw new Error(`swarm ${id} has ${members.size} < ${this.opts.min}`)
      for (const m of members) if (this.nodeSwarm.get(m) !== id) throw new Error(`node ${m} is listed in swarm ${id} but mapped elsewhere`)
      n += members.size
    }
    if (n !== this.nodeSwarm.size) throw new Error('a node is in no swarm, or in two')
  }
}

/**
 * The swarms of a fixed service node list, as every node and client computes them (one batch of
 * joins, a zero seed): the network's nodes and the daemon must agree, so both call this.
 */
export function swarmsOf(serviceNodes: readonly string[]): SwarmMap {
  const map = new SwarmMap()
  map.apply({ joined: [...serviceNodes] }, new Uint8Array(32))
  return map
}
