import { sha256 } from '@noble/hashes/sha2.js'
import { utf8 } from '../common/index.js'
import { ConsensusError } from './snowball/params.js'

/** A validator as consensus sees it: an id (its node id) and its stake weight. */
export interface Validator {
  id: string
  stake: bigint
}

/** A uniform random integer in [0, n): the engine's only source of chance (seeded in simulations). */
export type RandomInt = (n: number) => number

/** A deterministic RandomInt from a seed (SHA-256 in counter mode): same seed, same draws. */
export function seededRandomInt(seed: Uint8Array | string): RandomInt {
  const key = typeof seed === 'string' ? utf8.encode(seed) : seed
  let counter = 0
  let pool = new Uint8Array(0)
  let at = 0
  const next32 = (): number => {
    if (at + 4 > pool.length) {
      const c = new Uint8Array(key.length + 4)
      c.set(key)
      new DataView(c.buffer).setUint32(key.length, counter++)
      pool = sha256(c)
      at = 0
    }
    const v = new DataView(pool.buffer, pool.byteOffset + at, 4).getUint32(0)
    at += 4
    return v
  }
  return (n) => {
    if (n <= 0) throw new RangeError('randomInt: n must be positive')
    // rejection sampling: no modulo bias
    const limit = Math.floor(0x1_0000_0000 / n) * n
    for (;;) {
      const v = next32()
      if (v < limit) return v % n
    }
  }
}

/** The validator set: stake-weighted sampling and lookups. Immutable. */
export class ValidatorSet {
  readonly total: bigint
  private readonly byId: Map<string, Validator>

  constructor(readonly list: readonly Validator[]) {
    if (list.length === 0) throw new ConsensusError('BAD_VALIDATOR_SET', 'the validator set is empty')
    this.byId = new Map()
    let total = 0n
    for (const v of list) {
      if (v.stake <= 0n) throw new ConsensusError('BAD_VALIDATOR_SET', `validator ${v.id} has no stake`)
      if (this.byId.has(v.id)) throw new ConsensusError('BAD_VALIDATOR_SET', `validator ${v.id} is listed twice`)
      this.byId.set(v.id, v)
      total += v.stake
    }
    this.total = total
  }

  get size(): number {
    return this.list.length
  }

  get(id: string): Validator | undefined {
    return this.byId.get(id)
  }

  stakeOf(ids: Iterable<string>): bigint {
    let s = 0n
    for (const id of ids) s += this.byId.get(id)?.stake ?? 0n
    return s
  }

  /**
   * `k` distinct validators drawn by stake (each draw proportional to the stake of those not yet
   * drawn), as Avalanche samples its polls.
   */
  sample(k: number, randomInt: RandomInt): Validator[] {
    const pool = [...this.list]
    const out: Validator[] = []
    let remaining = this.total
    while (out.length < k && pool.length > 0) {
      // a stake-weighted draw: a point in [0, remaining), found by walking the pool
      const point = drawBelow(remaining, randomInt)
      let acc = 0n
      let i = 0
      for (; i < pool.length - 1; i++) {
        acc += pool[i]!.stake
        if (point < acc) break
      }
      const [v] = pool.splice(i, 1)
      out.push(v!)
      remaining -= v!.stake
    }
    return out
  }
}

/** A uniform bigint in [0, bound) from 32-bit draws. */
function drawBelow(bound: bigint, randomInt: RandomInt): bigint {
  if (bound <= 0x1_0000_0000n) return BigInt(randomInt(Number(bound)))
  const bits = bound.toString(2).length
  for (;;) {
    let v = 0n
    for (let b = 0; b < bits; b += 32) v = (v << 32n) | BigInt(randomInt(0x1_0000_0000))
    v &= (1n << BigInt(bits)) - 1n
    if (v < bound) return v
  }
}
