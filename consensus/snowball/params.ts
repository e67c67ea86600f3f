import { ParsError } from '../../common/index.js'

/**
 * Snowball parameters (Avalanche's names): each poll samples `k` validators by stake; a poll in which
 * one block gets at least `alphaPreference` of the k votes strengthens it (and may switch the
 * preference to it); at least `alphaConfidence` votes for the same block as the last successful
 * poll adds one to the confidence; a block is final after `beta` consecutive successful polls.
 */
export interface SnowParams {
  k: number
  alphaPreference: number
  alphaConfidence: number
  beta: number
}

/** What a fresh network gets unless its genesis says otherwise (avalanchego's mainnet k and alphas). */
export const DEFAULT_SNOW_PARAMS: SnowParams = { k: 20, alphaPreference: 15, alphaConfidence: 15, beta: 20 }

export type ConsensusErrorCode = 'BAD_CONSENSUS_PARAMS' | 'BAD_VALIDATOR_SET'

export class ConsensusError extends ParsError<{ code: ConsensusErrorCode }> {
  constructor(code: ConsensusErrorCode, message: string) {
    super({ code }, message)
    this.name = 'ConsensusError'
  }
}

/**
 * Refuse parameters that are unsafe or cannot finalize: integers with 1 <= k, k/2 < alphaPreference
 * <= alphaConfidence <= k, beta >= 1, and the quorum condition 2*alpha - k >= floor((k-1)/3) + 1
 * (for both alphas): two quorums of a poll overlap in more than a third of it, so f < n/3 byzantine
 * stake cannot make two honest nodes count successful polls for conflicting blocks in expectation.
 */
export function validateSnowParams(p: SnowParams): SnowParams {
  const bad = (why: string): never => {
    throw new ConsensusError(
      'BAD_CONSENSUS_PARAMS',
      `consensus parameters k=${p.k} alphaPreference=${p.alphaPreference} alphaConfidence=${p.alphaConfidence} beta=${p.beta}: ${why}`,
    )
  }
  for (const [name, v] of Object.entries(p)) if (!Number.isInteger(v) || v < 1) bad(`${name} must be a positive integer`)
  if (p.alphaPreference <= p.k / 2) bad('alphaPreference must be more than k/2')
  if (p.alphaConfidence < p.alphaPreference) bad('alphaConfidence must be at least alphaPreference')
  if (p.alphaConfidence > p.k) bad('alphaConfidence must be at most k')
  const need = Math.floor((p.k - 1) / 3) + 1
  for (const [name, a] of [
    ['alphaPreference', p.alphaPreference],
    ['alphaConfidence', p.alphaConfidence],
  ] as const) {
    if (2 * a - p.k < need) bad(`2*${name} - k = ${2 * a - p.k} must be at least floor((k-1)/3) + 1 = ${need}`)
  }
  return p
}

/** The parameters for a network of `n` validators: k is at most n (a poll cannot sample more). */
export function paramsForNetwork(p: SnowParams, n: number): SnowParams {
  if (n >= p.k) return p
  // scale the alphas with k, rounding up, so the quorum condition still holds
  const k = n
  const scale = (a: number): number => Math.min(k, Math.ceil((a * k) / p.k))
  let alphaPreference = Math.max(Math.floor(k / 2) + 1, scale(p.alphaPreference))
  while (2 * alphaPreference - k < Math.floor((k - 1) / 3) + 1 && alphaPreference < k) alphaPreference++
  const alphaConfidence = Math.max(alphaPreference, scale(p.alphaConfidence))
  return validateSnowParams({ k, alphaPreference, alphaConfidence, beta: p.beta })
}
