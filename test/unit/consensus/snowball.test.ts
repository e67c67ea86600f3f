import { describe, expect, it } from 'vitest'
import { proposerSchedule, seededRandomInt, Snowball, ValidatorSet, windowOf, type SnowParams } from '../../../consensus/index.js'

const P: SnowParams = { k: 5, alphaPreference: 4, alphaConfidence: 4, beta: 3 }
const votes = (o: Record<string, number>) => new Map(Object.entries(o))

describe('Snowball', () => {
  it('finalizes after beta consecutive successful polls for its preference, not before', () => {
    const sb = new Snowball(P, 'a')
    sb.add('b')
    sb.recordPoll(votes({ a: 4, b: 1 }))
    sb.recordPoll(votes({ a: 5 }))
    expect(sb.finalized).toBe(false)
    sb.recordPoll(votes({ a: 4 }))
    expect(sb.finalized).toBe(true)
    expect(sb.preference).toBe('a')
    // a final instance ignores later polls
    sb.recordPoll(votes({ b: 5 }))
    expect(sb.preference).toBe('a')
  })

  it('an unsuccessful poll resets confidence; a stronger rival takes the preference', () => {
    const sb = new Snowball(P, 'a')
    sb.add('b')
    sb.recordPoll(votes({ a: 4 }))
    sb.recordPoll(votes({ a: 4 }))
    sb.recordPoll(votes({ a: 3, b: 2 })) // below alpha: confidence back to 0
    expect(sb.currentConfidence).toBe(0)
    expect(sb.finalized).toBe(false)
    sb.recordPoll(votes({ b: 4 }))
    sb.recordPoll(votes({ b: 4 }))
    expect(sb.preference).toBe('a') // a has 2 wins, b 2: ties keep the preference
    sb.recordPoll(votes({ b: 4 }))
    expect(sb.preference).toBe('b')
    expect(sb.finalized).toBe(true)
  })

  it('ignores votes for unknown candidates', () => {
    const sb = new Snowball(P, 'a')
    sb.recordPoll(votes({ z: 5 }))
    expect(sb.currentConfidence).toBe(0)
    expect(sb.preference).toBe('a')
  })
})

describe('validators and the proposer schedule', () => {
  const set = new ValidatorSet([
    { id: 'big', stake: 700n },
    { id: 'mid', stake: 200n },
    { id: 'small', stake: 100n },
  ])

  it('samples distinct validators, in proportion to stake', () => {
    const rnd = seededRandomInt('t')
    const first = new Map<string, number>()
    for (let i = 0; i < 3000; i++) {
      const s = set.sample(2, rnd).map((v) => v.id)
      expect(new Set(s).size).toBe(2)
      first.set(s[0]!, (first.get(s[0]!) ?? 0) + 1)
    }
    expect(first.get('big')! / 3000).toBeCloseTo(0.7, 1)
    expect(first.get('small')! / 3000).toBeCloseTo(0.1, 1)
    expect(set.sample(10, rnd)).toHaveLength(3)
  })

  it('refuses an empty set, zero stake and duplicates', () => {
    expect(() => new ValidatorSet([])).toThrow(/empty/)
    expect(() => new ValidatorSet([{ id: 'a', stake: 0n }])).toThrow(/no stake/)
    expect(
      () =>
        new ValidatorSet([
          { id: 'a', stake: 1n },
          { id: 'a', stake: 1n },
        ]),
    ).toThrow(/twice/)
  })

  it('the schedule is the same on every node for a parent and height, and differs between heights', () => {
    const a = proposerSchedule(set, 'parent', 5)
    expect(proposerSchedule(set, 'parent', 5)).toEqual(a)
    expect(new Set(a)).toEqual(new Set(['big', 'mid', 'small']))
    expect(windowOf(a, a[1]!)).toBe(1)
    expect(windowOf(a, 'nobody')).toBeUndefined()
    const leaders = new Map<string, number>()
    for (let h = 0; h < 2000; h++) {
      const l = proposerSchedule(set, 'p', h)[0]!
      leaders.set(l, (leaders.get(l) ?? 0) + 1)
    }
    expect(leaders.get('big')! / 2000).toBeCloseTo(0.7, 1)
  })
})
