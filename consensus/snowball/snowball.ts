import type { SnowParams } from './params.js'

/**
 * One Snowball instance: the decision among the candidate blocks of one height. Pure and
 * deterministic: it only counts the polls it is given.
 *
 * - Each candidate has a strength: the number of successful polls (>= alphaPreference votes) it won.
 *   The preference is the strongest candidate (the first seen wins ties).
 * - Confidence counts consecutive polls in which the same candidate got >= alphaConfidence votes;
 *   any poll without that resets it (to 0, or to 1 if another candidate got it).
 * - Final once confidence reaches beta. A final instance ignores further polls.
 */
export class Snowball {
  private readonly strength = new Map<string, number>()
  private pref: string
  private lastConfident: string | undefined
  private confidence = 0
  private done = false
  /** polls counted, for the queries-per-decision figure */
  polls = 0

  /**
   * `rank` orders candidates before any poll has succeeded (lower first): every honest node then
   * prefers the same one once it has seen them all. Without it, a network as small as its sample
   * (k = n) whose nodes each prefer a different block would never get alpha votes for any.
   */
  constructor(
    private readonly params: SnowParams,
    initial: string,
    private readonly rank: (choice: string) => number = () => 0,
  ) {
    this.pref = initial
    this.strength.set(initial, 0)
  }

  get preference(): string {
    return this.pref
  }

  get finalized(): boolean {
    return this.done
  }

  get currentConfidence(): number {
    return this.confidence
  }

  /** A candidate learned after the start: it takes the preference only while no poll has chosen, and if it ranks first. */
  add(choice: string): void {
    if (this.strength.has(choice)) return
    this.strength.set(choice, 0)
    if (this.strength.get(this.pref) === 0 && this.better(choice, this.pref)) this.pref = choice
  }

  private better(a: string, b: string): boolean {
    const ra = this.rank(a)
    const rb = this.rank(b)
    return ra < rb || (ra === rb && a < b)
  }

  has(choice: string): boolean {
    return this.strength.has(choice)
  }

  /**
   * Count one poll: `votes` maps each candidate to the number of sampled validators that answered
   * with it (votes for blocks this instance does not know are ignored by the caller).
   */
  recordPoll(votes: ReadonlyMap<string, number>): void {
    if (this.done) return
    this.polls++
    let winner: string | undefined
    let most = 0
    for (const [choice, n] of votes) {
      if (!this.strength.has(choice)) continue
      if (n > most) {
        most = n
        winner = choice
      }
    }
    if (winner === undefined || most < this.params.alphaPreference) {
      this.confidence = 0
      this.lastConfident = undefined
      return
    }
    const s = this.strength.get(winner)! + 1
    this.strength.set(winner, s)
    if (s > this.strength.get(this.pref)!) this.pref = winner
    if (most >= this.params.alphaConfidence) {
      this.confidence = this.lastConfident === winner ? this.confidence + 1 : 1
      this.lastConfident = winner
    } else {
      this.confidence = 0
      this.lastConfident = undefined
    }
    if (this.confidence >= this.params.beta && winner === this.pref) this.done = true
  }
}
