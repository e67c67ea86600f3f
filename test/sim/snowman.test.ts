// The sim tier: many validators in one process, a virtual clock and network, byzantine stake,
// partitions and loss. Each run is deterministic in its seed.
import { describe, expect, it } from 'vitest'
import { paramsForNetwork, validateSnowParams, type SnowParams } from '../../consensus/index.js'
import { Simulation } from './harness.js'

const PARAMS: SnowParams = validateSnowParams({ k: 20, alphaPreference: 15, alphaConfidence: 15, beta: 15 })

describe('Snowman among 100 simulated validators', () => {
  it('all honest: every node finalizes the same blocks, about one per block time', () => {
    const sim = new Simulation({ seed: 1, validators: 100, params: PARAMS })
    expect(sim.runUntilHeight(10, 30_000)).toBe(true)
    expect(sim.disagreements()).toEqual([])
    // 10 blocks at >= 400 ms each, with polls on a 2-30 ms network: well under 1 s per block
    expect(sim.clock.now()).toBeLessThan(10 * 1000)
  })

  for (const [count, behaviour, seed] of [
    [10, ['equivocate', 'conflict'], 2],
    [20, ['equivocate', 'conflict', 'garbage'], 3],
    [30, ['equivocate', 'conflict'], 4],
  ] as const) {
    it(`${count}% byzantine stake (${behaviour.join(', ')}): honest nodes never disagree`, () => {
      const sim = new Simulation({ seed, validators: 100, params: PARAMS, byzantine: { count, behaviour: [...behaviour] } })
      sim.runUntilHeight(8, 60_000)
      expect(sim.disagreements()).toEqual([])
      // liveness needs alphaConfidence of the k sampled to vote alike: with conflicting voters it
      // slows as their share grows (docs/consensus.md), but the chain still moves
      expect(sim.minHeight()).toBeGreaterThanOrEqual(count <= 10 ? 8 : 2)
      if (behaviour.includes('equivocate')) expect(sim.equivocations.length).toBeGreaterThan(0)
    })
  }

  it('10% crashed and 1% message loss: progress and agreement', () => {
    const sim = new Simulation({
      seed: 5,
      validators: 100,
      params: PARAMS,
      byzantine: { count: 10, behaviour: ['crash'] },
      network: { loss: 0.01 },
    })
    expect(sim.runUntilHeight(6, 60_000)).toBe(true)
    expect(sim.disagreements()).toEqual([])
  })

  it('a partition stalls the minority and majority alike without disagreement; healed, the chain moves again', () => {
    const sim = new Simulation({ seed: 6, validators: 100, params: PARAMS })
    expect(sim.runUntilHeight(3, 20_000)).toBe(true)
    const ids = sim.nodes.map((n) => n.id)
    sim.net.partition([ids.slice(0, 60), ids.slice(60)])
    sim.clock.run(sim.clock.now() + 10_000)
    const during = sim.minHeight()
    expect(sim.disagreements()).toEqual([])
    sim.net.heal()
    expect(sim.runUntilHeight(during + 4, 60_000)).toBe(true)
    expect(sim.disagreements()).toEqual([])
  })

  it('a validator that starts a little late catches up by polling', () => {
    const sim = new Simulation({ seed: 7, validators: 20, params: paramsForNetwork(PARAMS, 20), lateJoin: [[5, 2_000]] })
    expect(sim.runUntilHeight(12, 60_000)).toBe(true)
    expect(sim.disagreements()).toEqual([])
  })

  it('a validator far behind syncs by range (each chunk anchored by a poll), then follows the tip', () => {
    const sim = new Simulation({ seed: 8, validators: 20, params: paramsForNetwork(PARAMS, 20), lateJoin: [[5, 60_000]] })
    sim.clock.run(60_001)
    const late = sim.nodes[5]!
    expect(late.chain!.head().height).toBe(0)
    const tip = Math.max(...sim.honest.map((n) => n.chain!.head().height))
    expect(tip).toBeGreaterThan(50)
    expect(sim.runUntilHeight(tip + 3, 60_000)).toBe(true)
    expect(late.engine!.syncedBlocks).toBeGreaterThan(40)
    expect(sim.disagreements()).toEqual([])
  })
})

describe('consensus parameters', () => {
  it('refuses parameters outside 2*alpha - k >= floor((k-1)/3) + 1, and other nonsense', () => {
    expect(() => validateSnowParams({ k: 20, alphaPreference: 13, alphaConfidence: 15, beta: 20 })).toThrow(/floor\(\(k-1\)\/3\) \+ 1/)
    expect(() => validateSnowParams({ k: 20, alphaPreference: 14, alphaConfidence: 13, beta: 20 })).toThrow(/at least alphaPreference/)
    expect(() => validateSnowParams({ k: 20, alphaPreference: 15, alphaConfidence: 21, beta: 20 })).toThrow(/at most k/)
    expect(() => validateSnowParams({ k: 20, alphaPreference: 15, alphaConfidence: 15, beta: 0 })).toThrow(/positive integer/)
    expect(validateSnowParams({ k: 20, alphaPreference: 14, alphaConfidence: 14, beta: 20 }).k).toBe(20)
    expect(paramsForNetwork(PARAMS, 4)).toEqual({ k: 4, alphaPreference: 3, alphaConfidence: 3, beta: 15 })
  })
})
