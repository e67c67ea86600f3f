import type { Logger } from '../../common/index.js'
import { proposerSchedule, windowOf } from '../proposer/schedule.js'
import type { SnowParams } from '../snowball/params.js'
import { Snowball } from '../snowball/snowball.js'
import type { RandomInt, ValidatorSet } from '../validators.js'

/** What consensus needs to know of a block. */
export interface ConsensusBlock {
  id: string
  height: number
  parentId: string
  proposer: string
  /** ms since the epoch, set by the proposer */
  timestamp: number
}

/** The chain as consensus drives it (node/ adapts the EVM chain to this; the simulator has its own). */
export interface EngineChain<B extends ConsensusBlock> {
  /** the last final block */
  head(): B
  /** the id of the final block at `height`, if this node has it */
  finalizedAt(height: number): string | undefined
  /** a final block by id (served to peers catching up) */
  getBlock(id: string): B | undefined
  /** final blocks from `from`, in order, at most `count` (served to peers syncing a range) */
  finalRange(from: number, count: number): MaybePromise<B[]>
  /** re-execute and check a proposed block (signature, state and receipts roots): false = invalid */
  verify(block: B): MaybePromise<boolean>
  /** build this validator's block on `parent`; undefined when there is nothing to include */
  build(parent: B, timestamp: number): MaybePromise<B | undefined>
  /** make `block` final (it was verified) */
  finalize(block: B): MaybePromise<void>
}

/** The chain may answer at once (the simulator) or later (the EVM); the engine takes either. */
export type MaybePromise<T> = T | Promise<T>

/** Run `then` with the value now if there is one, else when the promise settles (rejection: `onError`). */
function settle<T>(v: MaybePromise<T>, then: (t: T) => void, onError: (e: unknown) => void): void {
  if (v instanceof Promise) v.then(then, onError)
  else then(v)
}

/**
 * Consensus messages. Queries push the asker's preferred block (Avalanche's PushQuery) so the asked
 * learn candidates from polls as well as from gossip; replies carry the replier's preferred (or, for
 * a height it has passed, final) block id at the asked height.
 */
export type ConsensusMessage<B> =
  | { type: 'propose'; block: B }
  | { type: 'query'; reqId: number; height: number; block?: B }
  | { type: 'reply'; reqId: number; height: number; vote?: string }
  | { type: 'get'; id: string }
  | { type: 'block'; block: B }
  | { type: 'status'; reqId: number }
  | { type: 'statusReply'; reqId: number; height: number }
  | { type: 'range'; reqId: number; from: number; count: number }
  | { type: 'rangeReply'; reqId: number; blocks: B[] }

export interface EngineTransport<B> {
  send(to: string, msg: ConsensusMessage<B>): void
  broadcast(msg: ConsensusMessage<B>): void
}

export interface EngineClock {
  now(): number
  /** run `fn` after `ms`; returns a cancel function */
  setTimer(ms: number, fn: () => void): () => void
}

export interface EngineTiming {
  /** a proposer window (Snowman++): the i-th scheduled proposer may propose i windows after the parent */
  window: number
  /** the least time between a block and its parent (the block time) */
  blockTime: number
  /** how long a poll waits for replies before it counts what it has */
  queryTimeout: number
  /** how far ahead of a validator's clock a block timestamp may be */
  maxSkew: number
  /** with nothing to decide, how often to poll whether the network has moved on without us */
  idleCheck: number
  /**
   * polls of a decision outstanding at once (avalanchego's ConcurrentRepolls): their results are
   * applied in the order they were issued, so beta consecutive successes mean the same; a decision
   * takes about beta / concurrentPolls round trips instead of beta
   */
  concurrentPolls: number
}

export const DEFAULT_TIMING: EngineTiming = {
  window: 2000,
  blockTime: 400,
  queryTimeout: 500,
  maxSkew: 2000,
  idleCheck: 2000,
  concurrentPolls: 4,
}

export interface EngineEvents<B> {
  finalized?(block: B): void
  /** a peer sent something invalid: the network scores it down */
  misbehaviour?(peer: string, reason: string): void
  /** one proposer signed two different blocks at one height: evidence */
  equivocation?(proposer: string, a: B, b: B): void
}

export interface EngineComponents<B extends ConsensusBlock> {
  self: string
  validators: ValidatorSet
  params: SnowParams
  chain: EngineChain<B>
  transport: EngineTransport<B>
  clock: EngineClock
  randomInt: RandomInt
  timing?: Partial<EngineTiming>
  logger?: Logger
  events?: EngineEvents<B>
}

interface Poll {
  reqId: number
  /** concluded; waiting for the polls issued before it to be applied first */
  done: boolean
  asked: Set<string>
  answered: Set<string>
  votes: Map<string, number>
  /** votes for blocks this node does not have yet (fetched from the voter) */
  unknown: number
  cancel: () => void
}

/** Per-validator responsiveness (downtime tracking): polls it was asked in, and answered. */
export interface Responsiveness {
  asked: number
  answered: number
}

const MAX_FUTURE = 64
/** A node further behind than this syncs by range; closer, it catches up by polling. */
export const RANGE_SYNC_GAP = 8
/** Blocks per range request (each range is anchored by one poll on its last block). */
export const RANGE_CHUNK = 64

interface SyncState {
  phase: 'status' | 'anchor' | 'fetch' | 'apply'
  reqId: number
  asked: Set<string>
  heights: Map<string, number>
  votes: Map<string, string[]>
  target: number
  end: number
  anchor?: string
  sources: string[]
  cancel: () => void
}

/**
 * Snowman consensus for one chain, one height at a time: the candidates at the next height (blocks
 * on the last final block, each verified by re-execution before it can be preferred) are decided by
 * a Snowball instance fed by repeated stake-weighted polls of k validators. A block final here is
 * never reverted. Heights are not pipelined: a proposer builds on a final block only, which costs
 * a few milliseconds of polling per block on a LAN and keeps the engine simple; see
 * docs/consensus.md.
 */
export class SnowmanEngine<B extends ConsensusBlock> {
  private readonly timing: EngineTiming
  private running = false
  private height = 0
  private parent!: B
  /** the proposer schedule of the current height (fixed by the parent and the height) */
  private schedule: string[] = []
  /** when this node learned the parent was final (local clock) */
  private parentFinalAt = 0
  private readonly candidates = new Map<string, B>()
  private readonly invalid = new Set<string>()
  /** blocks being re-executed, with the callbacks waiting for the outcome */
  private readonly verifying = new Map<string, (() => void)[]>()
  /** which peers we already pushed each candidate to in a query (later queries only pull) */
  private readonly pushed = new Map<string, Set<string>>()
  /** one block per proposer per height: a second is equivocation */
  private readonly byProposer = new Map<string, B>()
  private snowball: Snowball | undefined
  /** when the current height's first candidate arrived (for the decision time in the log) */
  private decidingSince = 0
  /** outstanding polls, oldest first (at most concurrentPolls; one while catching up) */
  private polls: Poll[] = []
  private nextReqId = 1
  private behind = false
  private finalizing = false
  private proposeTimer: (() => void) | undefined
  private pollTimer: (() => void) | undefined
  private idleTimer: (() => void) | undefined
  /** blocks for heights above ours, kept until we get there */
  private readonly future = new Map<string, B>()
  readonly responsiveness = new Map<string, Responsiveness>()
  /** range sync (bootstrapping): see startSync */
  private sync: SyncState | undefined
  /** blocks this node took by range sync, for tests and metrics */
  syncedBlocks = 0
  /** polls run for each decided height, for the queries-per-decision figure */
  readonly pollsPerDecision: number[] = []

  constructor(private readonly c: EngineComponents<B>) {
    this.timing = { ...DEFAULT_TIMING, ...c.timing }
  }

  get currentHeight(): number {
    return this.height
  }

  get preference(): string | undefined {
    return this.snowball?.preference
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.advance(this.c.chain.head())
    // a node that starts (or restarts) first asks whether the network has moved on: far (range sync)
    // or near (polling)
    this.startSync()
    if (this.sync === undefined) this.fallBehind()
    this.scheduleIdleCheck()
  }

  stop(): void {
    this.running = false
    this.sync?.cancel()
    this.sync = undefined
    this.proposeTimer?.()
    this.pollTimer?.()
    this.idleTimer?.()
    this.cancelPolls()
  }

  private cancelPolls(): void {
    for (const p of this.polls) p.cancel()
    this.polls = []
  }

  /** Transactions arrived: a scheduled proposer with nothing to include may now build. */
  poke(): void {
    // the windows count from now: the first scheduled proposer builds at once, the next one window later
    if (this.running && this.proposeTimer === undefined && this.candidates.size === 0 && this.verifying.size === 0) {
      this.scheduleProposal(this.c.clock.now())
    }
  }

  /** Every consensus message from the network enters here, judged in one place. */
  handle(from: string, msg: ConsensusMessage<B>): void {
    if (!this.running) return
    switch (msg.type) {
      case 'propose':
      case 'block':
        if (!this.wellFormed(msg.block)) return this.c.events?.misbehaviour?.(from, 'malformed block')
        this.receive(msg.block, from)
        return
      case 'query': {
        if (!Number.isSafeInteger(msg.reqId) || !Number.isSafeInteger(msg.height) || msg.height < 0) {
          return this.c.events?.misbehaviour?.(from, 'malformed query')
        }
        if (msg.block !== undefined) {
          if (!this.wellFormed(msg.block) || msg.block.height !== msg.height)
            return this.c.events?.misbehaviour?.(from, 'malformed query block')
          this.receive(msg.block, from)
        }
        this.answer(from, msg.reqId, msg.height, msg.block?.id)
        return
      }
      case 'reply':
        if (!Number.isSafeInteger(msg.reqId) || (msg.vote !== undefined && typeof msg.vote !== 'string')) {
          return this.c.events?.misbehaviour?.(from, 'malformed reply')
        }
        if (this.onSyncReply(from, msg.reqId, msg.height, msg.vote)) return
        this.onReply(from, msg.reqId, msg.height, msg.vote)
        return
      case 'get': {
        if (typeof msg.id !== 'string') return this.c.events?.misbehaviour?.(from, 'malformed get')
        const b = this.candidates.get(msg.id) ?? this.c.chain.getBlock(msg.id)
        if (b !== undefined) this.c.transport.send(from, { type: 'block', block: b })
        return
      }
      case 'status': {
        if (!Number.isSafeInteger(msg.reqId)) return this.c.events?.misbehaviour?.(from, 'malformed status')
        this.c.transport.send(from, { type: 'statusReply', reqId: msg.reqId, height: this.c.chain.head().height })
        return
      }
      case 'statusReply':
        if (!Number.isSafeInteger(msg.height) || msg.height < 0) return this.c.events?.misbehaviour?.(from, 'malformed status reply')
        this.onStatusReply(from, msg.reqId, msg.height)
        return
      case 'range': {
        if (!Number.isSafeInteger(msg.from) || msg.from < 1 || !Number.isSafeInteger(msg.count) || msg.count < 1) {
          return this.c.events?.misbehaviour?.(from, 'malformed range')
        }
        settle(
          this.c.chain.finalRange(msg.from, Math.min(msg.count, RANGE_CHUNK)),
          (blocks) => this.c.transport.send(from, { type: 'rangeReply', reqId: msg.reqId, blocks }),
          () => undefined,
        )
        return
      }
      case 'rangeReply':
        if (!Array.isArray(msg.blocks) || !msg.blocks.every((b) => this.wellFormed(b)))
          return this.c.events?.misbehaviour?.(from, 'malformed range reply')
        this.onRangeReply(from, msg.reqId, msg.blocks)
        return
      default:
        this.c.events?.misbehaviour?.(from, 'unknown message type')
    }
  }

  // --- range sync ----------------------------------------------------------------------------------
  //
  // A node far behind (at start, or on hearing of a height well past its own) asks k validators for
  // their final height, and takes as target the alphaPreference-th highest (so at least alpha of the
  // sample are there). Then, 64 blocks at a time: one poll on the chunk's last height must name the
  // same final block alphaPreference times (honest validators never name different final blocks,
  // and alpha > k/2 of a sample cannot all be byzantine), the chunk is fetched from a validator that
  // named it, checked to link from our head to that anchor by parent hashes, and each block is
  // verified by re-execution and committed. What is left (a few blocks) is caught up by polling.

  private startSync(): void {
    if (!this.running || this.sync !== undefined) return
    const sampled = this.c.validators.sample(this.c.params.k, this.c.randomInt).filter((v) => v.id !== this.c.self)
    if (sampled.length === 0) return
    const st: SyncState = {
      phase: 'status',
      reqId: this.nextReqId++,
      asked: new Set(sampled.map((v) => v.id)),
      heights: new Map(),
      votes: new Map(),
      target: 0,
      end: 0,
      sources: [],
      cancel: () => undefined,
    }
    this.sync = st
    st.cancel = this.c.clock.setTimer(this.timing.queryTimeout, () => this.statusDone(st))
    for (const id of st.asked) this.c.transport.send(id, { type: 'status', reqId: st.reqId })
  }

  private endSync(): void {
    this.sync?.cancel()
    this.sync = undefined
    this.fallBehind()
  }

  private onStatusReply(from: string, reqId: number, height: number): void {
    const st = this.sync
    if (st === undefined || st.phase !== 'status' || st.reqId !== reqId || !st.asked.has(from)) return
    st.heights.set(from, height)
    if (st.heights.size === st.asked.size) this.statusDone(st)
  }

  private statusDone(st: SyncState): void {
    if (this.sync !== st || st.phase !== 'status') return
    st.cancel()
    const heights = [...st.heights.values()].sort((a, b) => b - a)
    const target = heights[this.c.params.alphaPreference - 1]
    if (target === undefined || target < this.height + RANGE_SYNC_GAP) return this.endSync()
    st.target = target
    this.nextChunk(st)
  }

  private nextChunk(st: SyncState): void {
    if (this.sync !== st || !this.running) return
    if (st.target < this.height + RANGE_SYNC_GAP) return this.endSync()
    st.phase = 'anchor'
    st.reqId = this.nextReqId++
    st.end = Math.min(st.target, this.height + RANGE_CHUNK - 1)
    st.votes = new Map()
    st.asked = new Set([...st.heights.entries()].filter(([, h]) => h >= st.end).map(([id]) => id))
    st.cancel = this.c.clock.setTimer(this.timing.queryTimeout, () => this.anchorDone(st))
    for (const id of st.asked) this.c.transport.send(id, { type: 'query', reqId: st.reqId, height: st.end })
  }

  private onSyncReply(from: string, reqId: number, height: number, vote: string | undefined): boolean {
    const st = this.sync
    if (st === undefined || st.phase !== 'anchor' || st.reqId !== reqId) return false
    if (!st.asked.has(from) || height !== st.end) return true
    st.asked.delete(from)
    if (vote !== undefined) st.votes.set(vote, [...(st.votes.get(vote) ?? []), from])
    if (st.asked.size === 0) this.anchorDone(st)
    return true
  }

  private anchorDone(st: SyncState): void {
    if (this.sync !== st || st.phase !== 'anchor') return
    st.cancel()
    const best = [...st.votes.entries()].sort((a, b) => b[1].length - a[1].length)[0]
    if (best === undefined || best[1].length < this.c.params.alphaPreference) return this.endSync()
    st.anchor = best[0]
    st.sources = best[1]
    this.fetchChunk(st)
  }

  private fetchChunk(st: SyncState): void {
    if (this.sync !== st) return
    const source = st.sources.shift()
    if (source === undefined) return this.endSync()
    st.phase = 'fetch'
    st.reqId = this.nextReqId++
    st.cancel = this.c.clock.setTimer(this.timing.queryTimeout * 4, () => this.fetchChunk(st))
    this.c.transport.send(source, { type: 'range', reqId: st.reqId, from: this.height, count: st.end - this.height + 1 })
  }

  private onRangeReply(from: string, reqId: number, blocks: B[]): void {
    const st = this.sync
    if (st === undefined || st.phase !== 'fetch' || st.reqId !== reqId) return
    st.cancel()
    // the chunk must run from our head to the anchor, each block on the one before
    let parent = this.parent.id
    let ok = blocks.length === st.end - this.height + 1
    for (const [i, b] of blocks.entries()) {
      if (!ok) break
      ok = b.height === this.height + i && b.parentId === parent
      parent = b.id
    }
    if (!ok || parent !== st.anchor) {
      this.c.events?.misbehaviour?.(from, 'a range that does not lead to the anchored block')
      return this.fetchChunk(st)
    }
    st.phase = 'apply'
    this.applyChunk(st, blocks, 0, from)
  }

  private applyChunk(st: SyncState, blocks: B[], i: number, from: string): void {
    if (this.sync !== st || !this.running) return
    if (i === blocks.length) return this.nextChunk(st)
    const b = blocks[i]!
    if (b.height !== this.height) return this.endSync()
    this.finalizing = true
    let verified: MaybePromise<boolean>
    try {
      verified = this.c.chain.verify(b)
    } catch {
      verified = false
    }
    settle(
      verified,
      (ok) => {
        if (!ok) {
          this.finalizing = false
          this.c.events?.misbehaviour?.(from, `synced block ${b.id} does not verify`)
          return this.endSync()
        }
        let done: MaybePromise<void>
        try {
          done = this.c.chain.finalize(b)
        } catch (e) {
          done = Promise.reject(e)
        }
        settle(
          done,
          () => {
            this.finalizing = false
            this.syncedBlocks++
            this.c.events?.finalized?.(b)
            this.advance(b)
            this.applyChunk(st, blocks, i + 1, from)
          },
          (e) => {
            this.finalizing = false
            this.c.logger?.error('committing a synced block failed; consensus stops', { error: String(e) })
            this.stop()
          },
        )
      },
      () => {
        this.finalizing = false
        this.endSync()
      },
    )
  }

  private wellFormed(b: unknown): b is B {
    if (typeof b !== 'object' || b === null) return false
    const x = b as Partial<ConsensusBlock>
    return (
      typeof x.id === 'string' &&
      typeof x.parentId === 'string' &&
      typeof x.proposer === 'string' &&
      Number.isSafeInteger(x.height) &&
      x.height! > 0 &&
      Number.isFinite(x.timestamp)
    )
  }

  // --- heights -------------------------------------------------------------------------------------

  private advance(head: B): void {
    this.parent = head
    this.height = head.height + 1
    this.schedule = proposerSchedule(this.c.validators, head.id, this.height)
    this.parentFinalAt = this.c.clock.now()
    this.candidates.clear()
    this.invalid.clear()
    this.verifying.clear()
    this.byProposer.clear()
    this.pushed.clear()
    this.snowball = undefined
    this.cancelPolls()
    this.pollTimer?.()
    this.pollTimer = undefined
    this.proposeTimer?.()
    this.proposeTimer = undefined
    // `behind` stays: a node catching up keeps polling height after height until a poll finds nothing
    this.scheduleProposal()
    if (this.behind) this.schedulePoll()
    // blocks that arrived early
    for (const [id, b] of this.future) {
      if (b.height <= head.height) this.future.delete(id)
      else if (b.height === this.height) {
        this.future.delete(id)
        this.receive(b, b.proposer)
      }
    }
  }

  private scheduleProposal(from = this.parentFinalAt): void {
    const slot = windowOf(this.schedule, this.c.self)
    if (slot === undefined) return
    const at = Math.max(this.parent.timestamp + this.timing.blockTime + slot * this.timing.window, from + slot * this.timing.window)
    const height = this.height
    this.proposeTimer = this.c.clock.setTimer(Math.max(0, at - this.c.clock.now()), () => {
      this.proposeTimer = undefined
      this.propose(height)
    })
  }

  private propose(height: number): void {
    // a later window does not propose when an earlier proposer's block is already here (or being checked)
    if (!this.running || height !== this.height || this.candidates.size > 0 || this.verifying.size > 0) return
    this.c.logger?.debug('proposer window open: building', { height })
    settle(
      this.c.chain.build(this.parent, Math.max(this.c.clock.now(), this.parent.timestamp + this.timing.blockTime)),
      (block) => {
        if (block === undefined || !this.running || height !== this.height) {
          this.c.logger?.debug('nothing to propose', { height })
          return
        }
        this.c.logger?.debug('proposing', { height, id: block.id })
        this.c.transport.broadcast({ type: 'propose', block })
        this.receive(block, this.c.self)
      },
      (e) => this.c.logger?.warn('building a block failed', { error: String(e) }),
    )
  }

  // --- candidates ----------------------------------------------------------------------------------

  private receive(block: B, from: string): void {
    if (block.height > this.height) {
      // ahead of us: keep a few, and find out what we missed
      if (this.future.size < MAX_FUTURE) this.future.set(block.id, block)
      if (block.height >= this.height + RANGE_SYNC_GAP) this.startSync()
      else this.fallBehind()
      return
    }
    if (block.height < this.height || block.parentId !== this.parent.id) return
    if (this.candidates.has(block.id) || this.invalid.has(block.id) || this.verifying.has(block.id)) return
    const slot = windowOf(this.schedule, block.proposer)
    if (slot === undefined) {
      this.invalid.add(block.id)
      return this.c.events?.misbehaviour?.(from, `block ${block.id} from ${block.proposer}, not a scheduled proposer at ${block.height}`)
    }
    if (
      block.timestamp < this.parent.timestamp + this.timing.blockTime + slot * this.timing.window - this.timing.maxSkew ||
      block.timestamp > this.c.clock.now() + this.timing.maxSkew
    ) {
      this.invalid.add(block.id)
      return this.c.events?.misbehaviour?.(from, `block ${block.id} outside its proposer window`)
    }
    const earlier = this.byProposer.get(block.proposer)
    if (earlier !== undefined && earlier.id !== block.id) this.c.events?.equivocation?.(block.proposer, earlier, block)
    else this.byProposer.set(block.proposer, block)
    const height = this.height
    const waiting: (() => void)[] = []
    this.verifying.set(block.id, waiting)
    const done = (ok: boolean): void => {
      if (this.verifying.get(block.id) === waiting) this.verifying.delete(block.id)
      if (this.running && height === this.height) {
        if (!ok) {
          this.invalid.add(block.id)
          this.c.events?.misbehaviour?.(from, `block ${block.id} does not verify`)
        } else {
          this.candidates.set(block.id, block)
          if (this.snowball === undefined) {
            this.snowball = new Snowball(this.c.params, block.id, (id) => this.rankOf(id))
            this.decidingSince = this.c.clock.now()
          } else this.snowball.add(block.id)
          this.proposeTimer?.()
          this.proposeTimer = undefined
          this.schedulePoll()
        }
      }
      for (const w of waiting) w()
    }
    let result: MaybePromise<boolean>
    try {
      result = this.c.chain.verify(block)
    } catch {
      result = false
    }
    settle(result, done, () => done(false))
  }

  /** Candidates rank by their proposer's window: the earliest scheduled proposer's block first. */
  private rankOf(id: string): number {
    const b = this.candidates.get(id)
    if (b === undefined) return Number.MAX_SAFE_INTEGER
    return windowOf(this.schedule, b.proposer) ?? Number.MAX_SAFE_INTEGER
  }

  /**
   * Poll to catch up. Always (re)schedules: a poll blocked while a range sync ran must start when
   * the sync ends, even if `behind` was already set (a stuck node would otherwise wait forever).
   */
  private fallBehind(): void {
    this.behind = true
    this.schedulePoll()
  }

  /** With nothing under decision for a while, check with a poll whether others have gone ahead. */
  private scheduleIdleCheck(): void {
    this.idleTimer = this.c.clock.setTimer(this.timing.idleCheck, () => {
      if (!this.running) return
      if (this.snowball === undefined && this.polls.length === 0 && !this.finalizing) this.fallBehind()
      this.scheduleIdleCheck()
    })
  }

  // --- polls ---------------------------------------------------------------------------------------

  /** How many polls may be outstanding now: several while deciding a block, one while catching up. */
  private pollCapacity(): number {
    return this.snowball === undefined ? 1 : Math.max(1, this.timing.concurrentPolls)
  }

  private schedulePoll(): void {
    if (this.polls.length >= this.pollCapacity() || this.pollTimer !== undefined || this.finalizing || this.sync !== undefined) return
    if (this.snowball === undefined && !this.behind) return
    this.pollTimer = this.c.clock.setTimer(0, () => {
      this.pollTimer = undefined
      this.startPoll()
    })
  }

  private startPoll(): void {
    if (!this.running || this.polls.length >= this.pollCapacity() || this.finalizing || this.sync !== undefined) return
    const sampled = this.c.validators.sample(this.c.params.k, this.c.randomInt)
    const reqId = this.nextReqId++
    const height = this.height
    const poll: Poll = { reqId, done: false, asked: new Set(), answered: new Set(), votes: new Map(), unknown: 0, cancel: () => undefined }
    this.polls.push(poll)
    const pref = this.snowball === undefined ? undefined : this.candidates.get(this.snowball.preference)
    for (const v of sampled) {
      poll.asked.add(v.id)
      const r = this.responsiveness.get(v.id) ?? { asked: 0, answered: 0 }
      r.asked++
      this.responsiveness.set(v.id, r)
    }
    poll.cancel = this.c.clock.setTimer(this.timing.queryTimeout, () => this.concludePoll(poll))
    // push the preferred block to a peer once (and again every 5th poll, for a peer that lost it);
    // otherwise pull: ask for the peer's preference without resending a block it has
    const pushedTo = pref === undefined ? undefined : (this.pushed.get(pref.id) ?? new Set<string>())
    if (pref !== undefined) this.pushed.set(pref.id, pushedTo!)
    const repush = (this.snowball?.polls ?? 0) % 5 === 4
    for (const v of sampled) {
      if (v.id === this.c.self) {
        this.onReply(this.c.self, reqId, height, this.snowball?.preference)
        continue
      }
      const push = pref !== undefined && (repush || !pushedTo!.has(v.id))
      if (push) pushedTo!.add(v.id)
      this.c.transport.send(v.id, { type: 'query', reqId, height, ...(push ? { block: pref } : {}) })
    }
    // the next concurrent poll (a reply of this node's own may already have concluded this one)
    if (this.polls.includes(poll)) this.schedulePoll()
  }

  private onReply(from: string, reqId: number, height: number, vote: string | undefined): void {
    const poll = this.polls.find((p) => p.reqId === reqId)
    if (poll === undefined || poll.done || height !== this.height) return
    if (!poll.asked.has(from) || poll.answered.has(from)) return
    poll.answered.add(from)
    const r = this.responsiveness.get(from)
    if (r !== undefined) r.answered++
    if (vote !== undefined) {
      if (this.candidates.has(vote)) poll.votes.set(vote, (poll.votes.get(vote) ?? 0) + 1)
      else if (!this.invalid.has(vote)) {
        poll.unknown++
        if (!this.verifying.has(vote)) this.c.transport.send(from, { type: 'get', id: vote })
      }
    }
    if (poll.answered.size === poll.asked.size || this.decided(poll)) this.concludePoll(poll)
  }

  /**
   * Early termination (as avalanchego's polls do): the poll's outcome cannot change any more —
   * a block has alphaConfidence votes, or no block can reach alphaPreference with the answers
   * still outstanding. Crashed validators then cost nothing but the missing votes, not a timeout.
   */
  private decided(poll: Poll): boolean {
    let most = 0
    for (const n of poll.votes.values()) if (n > most) most = n
    if (most >= this.c.params.alphaConfidence) return true
    const outstanding = poll.asked.size - poll.answered.size
    return most + outstanding < this.c.params.alphaPreference
  }

  private concludePoll(poll: Poll): void {
    if (poll.done || !this.polls.includes(poll)) return
    poll.cancel()
    poll.done = true
    // results count in the order the polls were issued
    while (this.polls[0]?.done === true) {
      const p = this.polls.shift()!
      const sb = this.snowball
      if (sb !== undefined) {
        sb.recordPoll(p.votes)
        if (sb.finalized) {
          // the later polls' answers no longer matter
          this.cancelPolls()
          this.c.logger?.debug('decided', { height: this.height, polls: sb.polls, ms: this.c.clock.now() - this.decidingSince })
          this.finalize(this.candidates.get(sb.preference)!, sb.polls)
          return
        }
      } else if (p.votes.size === 0 && p.unknown === 0) {
        // a catch-up poll in which no one named a block at this height: we are not behind
        this.behind = false
        return
      }
    }
    this.schedulePoll()
  }

  private finalize(block: B, polls: number): void {
    this.finalizing = true
    const done = (): void => {
      this.finalizing = false
      if (!this.running) return
      this.pollsPerDecision.push(polls)
      this.c.events?.finalized?.(block)
      this.advance(block)
    }
    let result: MaybePromise<void>
    try {
      result = this.c.chain.finalize(block)
    } catch (e) {
      result = Promise.reject(e)
    }
    settle(result, done, (e) => {
      // a block this node verified failed to commit: stop rather than carry on from a state it lacks
      this.finalizing = false
      this.c.logger?.error('committing a final block failed; consensus stops', { error: String(e) })
      this.stop()
    })
  }

  // --- answers -------------------------------------------------------------------------------------

  private answer(to: string, reqId: number, height: number, pushed: string | undefined): void {
    if (height > this.height) {
      if (height >= this.height + RANGE_SYNC_GAP) this.startSync()
      else this.fallBehind()
      this.c.transport.send(to, { type: 'reply', reqId, height })
      return
    }
    // let the pushed block's verification settle, so a fresh candidate can count in this answer
    // (when it does, the height may have moved on: the answer is then the final block)
    const pending = height === this.height && pushed !== undefined ? this.verifying.get(pushed) : undefined
    if (pending !== undefined) {
      pending.push(() => this.answer(to, reqId, height, undefined))
      return
    }
    const vote = height < this.height ? this.c.chain.finalizedAt(height) : this.snowball?.preference
    this.c.transport.send(to, { type: 'reply', reqId, height, ...(vote !== undefined ? { vote } : {}) })
  }
}
