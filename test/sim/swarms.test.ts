// Swarm assignment and rebalancing with hundreds of service nodes (deterministic in the seeds).
import { sha3_256 } from '@noble/hashes/sha3.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { describe, expect, it } from 'vitest'
import { seededRandomInt } from '../../consensus/index.js'
import { SwarmMap, swarmPoint } from '../../session/index.js'

const seedOf = (i: number) => sha3_256(new TextEncoder().encode(`epoch ${i}`))
const sessionId = (i: number) => '05' + bytesToHex(sha3_256(new TextEncoder().encode(`user ${i}`)))

describe('swarms of service nodes', () => {
  it('a small network is one swarm; it splits past 10 into two valid swarms', () => {
    const m = new SwarmMap()
    m.apply({ joined: ['a', 'b', 'c'] }, seedOf(0))
    expect(m.size).toBe(1)
    m.check()
    m.apply({ joined: Array.from({ length: 8 }, (_, i) => `n${i}`) }, seedOf(1))
    m.check()
    expect(m.size).toBe(2)
    expect(
      m
        .ids()
        .map((id) => m.members(id).length)
        .sort(),
    ).toEqual([5, 6])
  })

  it('growing to 600 nodes in random batches keeps every swarm within 5..10 and moves only what must move', () => {
    const m = new SwarmMap()
    const rnd = seededRandomInt('grow')
    let next = 0
    for (let epoch = 0; next < 600; epoch++) {
      const joined = Array.from({ length: 1 + rnd(12) }, () => `node-${next++}`)
      const before = m.size
      const moved = m.apply({ joined }, seedOf(epoch))
      m.check()
      // joiners move in; old nodes move only when a swarm split (at most half a swarm each)
      const oldMoved = [...moved.keys()].filter((n) => !joined.includes(n)).length
      expect(oldMoved).toBeLessThanOrEqual((m.size - before) * 6)
    }
    expect(m.size).toBeGreaterThanOrEqual(60)
    expect(m.size).toBeLessThanOrEqual(120)
  })

  it('churn: hundreds of joins and leaves keep the invariants, and two nodes computing it agree', () => {
    const a = new SwarmMap()
    const b = new SwarmMap()
    const rnd = seededRandomInt('churn')
    const live: string[] = []
    let next = 0
    for (let epoch = 0; epoch < 300; epoch++) {
      const joined = Array.from({ length: rnd(6) }, () => `node-${next++}`)
      const left: string[] = []
      for (let k = rnd(5); k > 0 && live.length > 0; k--) left.push(...live.splice(rnd(live.length), 1))
      live.push(...joined)
      a.apply({ joined, left }, seedOf(epoch))
      b.apply({ left, joined: [...joined].reverse() }, seedOf(epoch))
      a.check()
      expect(b.ids()).toEqual(a.ids())
    }
    for (const id of a.ids()) expect(b.members(id)).toEqual(a.members(id))
    expect(live.length).toBeGreaterThan(100)
  })

  it('Session IDs spread over the swarms, each to the closest swarm id, and every ID has members to go to', () => {
    const m = new SwarmMap()
    m.apply({ joined: Array.from({ length: 350 }, (_, i) => `node-${i}`) }, seedOf(0))
    const counts = new Map<bigint, number>()
    for (let i = 0; i < 20_000; i++) {
      const s = m.swarmFor(sessionId(i))!
      expect(m.nodesFor(sessionId(i)).length).toBeGreaterThanOrEqual(5)
      counts.set(s, (counts.get(s) ?? 0) + 1)
    }
    // the closest swarm id on the 2^64 ring, computed here independently
    const RING = 1n << 64n
    for (let i = 0; i < 200; i++) {
      const p = swarmPoint(sessionId(i))
      const dist = (id: bigint) => {
        const d = id > p ? id - p : p - id
        return d < RING - d ? d : RING - d
      }
      const best = m.ids().reduce((a, b) => (dist(b) < dist(a) ? b : a))
      expect(m.swarmFor(sessionId(i))).toBe(best)
    }
    const fair = 20_000 / m.size
    // widest-gap placement keeps the ring even: no swarm gets more than 3x its share, none is idle
    expect(Math.max(...counts.values())).toBeLessThan(3 * fair)
    expect(counts.size).toBe(m.size)
  })
})
