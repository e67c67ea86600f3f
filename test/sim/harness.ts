// A deterministic simulation of a validator network in one process: a virtual clock (an event
// queue), a network with latency, loss and partitions, honest nodes running the real SnowmanEngine,
// and byzantine nodes that do what they like. Everything random comes from seeded generators, so a
// failing run reproduces from its seed.
import {
  DEFAULT_TIMING,
  proposerSchedule,
  seededRandomInt,
  SnowmanEngine,
  ValidatorSet,
  windowOf,
  type ConsensusBlock,
  type ConsensusMessage,
  type EngineChain,
  type EngineClock,
  type RandomInt,
  type SnowParams,
} from '../../consensus/index.js'

export interface SimBlock extends ConsensusBlock {
  /** false for a block an honest validator's re-execution would refuse */
  valid: boolean
}

/** The virtual clock: a priority queue of timers in (time, insertion order). */
export class SimClock implements EngineClock {
  private t = 0
  private seq = 0
  private heap: { at: number; seq: number; fn: () => void; live: boolean }[] = []

  now(): number {
    return this.t
  }

  setTimer(ms: number, fn: () => void): () => void {
    const e = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, live: true }
    this.push(e)
    return () => {
      e.live = false
    }
  }

  /** Run events until `until` (virtual ms) or until `stop` says so; returns the events run. */
  run(until: number, stop: () => boolean = () => false, maxEvents = 50_000_000): number {
    let n = 0
    while (this.heap.length > 0 && n < maxEvents) {
      const e = this.heap[0]!
      if (e.at > until) break
      this.pop()
      if (!e.live) continue
      this.t = e.at
      e.fn()
      n++
      if (stop()) break
    }
    if (this.t < until && (this.heap.length === 0 || this.heap[0]!.at > until)) this.t = until
    return n
  }

  private less(a: { at: number; seq: number }, b: { at: number; seq: number }): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq)
  }

  private push(e: { at: number; seq: number; fn: () => void; live: boolean }): void {
    const h = this.heap
    h.push(e)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!this.less(h[i]!, h[p]!)) break
      ;[h[i], h[p]] = [h[p]!, h[i]!]
      i = p
    }
  }

  private pop(): void {
    const h = this.heap
    const last = h.pop()!
    if (h.length === 0) return
    h[0] = last
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r
      if (m === i) break
      ;[h[i], h[m]] = [h[m]!, h[i]!]
      i = m
    }
  }
}

export interface NetworkOptions {
  minLatency: number
  maxLatency: number
  /** probability that a message is lost */
  loss: number
}

type Handler = (from: string, msg: ConsensusMessage<SimBlock>) => void

/** The simulated network: delivery after a random latency, loss, and partitions into groups. */
export class SimNetwork {
  private readonly handlers = new Map<string, Handler>()
  private group = new Map<string, number>()
  messages = 0

  constructor(
    private readonly clock: SimClock,
    private readonly randomInt: RandomInt,
    public opts: NetworkOptions,
  ) {}

  attach(id: string, h: Handler): void {
    this.handlers.set(id, h)
  }

  detach(id: string): void {
    this.handlers.delete(id)
  }

  /** Split the network: messages between different groups are dropped. */
  partition(groups: string[][]): void {
    this.group = new Map()
    groups.forEach((g, i) => g.forEach((id) => this.group.set(id, i)))
  }

  heal(): void {
    this.group = new Map()
  }

  send(from: string, to: string, msg: ConsensusMessage<SimBlock>): void {
    this.messages++
    if ((this.group.get(from) ?? 0) !== (this.group.get(to) ?? 0)) return
    if (this.opts.loss > 0 && this.randomInt(1_000_000) < this.opts.loss * 1_000_000) return
    const span = this.opts.maxLatency - this.opts.minLatency
    const latency = this.opts.minLatency + (span > 0 ? this.randomInt(span + 1) : 0)
    this.clock.setTimer(latency, () => this.handlers.get(to)?.(from, msg))
  }
}

/** An honest node's chain: final blocks in memory; verification is the block's validity flag. */
export class SimChain implements EngineChain<SimBlock> {
  readonly final: SimBlock[]
  private readonly byId = new Map<string, SimBlock>()
  private nonce = 0

  constructor(
    genesis: SimBlock,
    private readonly self: string,
  ) {
    this.final = [genesis]
    this.byId.set(genesis.id, genesis)
  }

  head(): SimBlock {
    return this.final.at(-1)!
  }

  finalizedAt(height: number): string | undefined {
    return this.final[height]?.id
  }

  getBlock(id: string): SimBlock | undefined {
    return this.byId.get(id)
  }

  finalRange(from: number, count: number): SimBlock[] {
    return this.final.slice(from, from + count)
  }

  verify(block: SimBlock): boolean {
    return block.valid
  }

  build(parent: SimBlock, timestamp: number): SimBlock {
    return {
      id: `${parent.height + 1}:${this.self}:${this.nonce++}`,
      height: parent.height + 1,
      parentId: parent.id,
      proposer: this.self,
      timestamp,
      valid: true,
    }
  }

  finalize(block: SimBlock): void {
    if (block.height !== this.final.length) throw new Error(`finalize ${block.id} out of order at ${this.final.length}`)
    if (block.parentId !== this.head().id) throw new Error(`finalize ${block.id} not on the head`)
    this.final.push(block)
    this.byId.set(block.id, block)
  }
}

export type Byzantine = 'crash' | 'equivocate' | 'conflict' | 'garbage'

export interface SimOptions {
  seed: number
  validators: number
  /** byzantine validators: how many, doing what (their stake counts as much as an honest one's) */
  byzantine?: { count: number; behaviour: Byzantine[] }
  params: SnowParams
  network?: Partial<NetworkOptions>
  /** validators that join late: [index, virtual ms] */
  lateJoin?: [number, number][]
}

export interface SimNode {
  id: string
  engine?: SnowmanEngine<SimBlock>
  chain?: SimChain
  byzantine?: Byzantine[]
  misbehaviour: number
}

export const GENESIS: SimBlock = { id: 'genesis', height: 0, parentId: '', proposer: '', timestamp: 0, valid: true }

/** A network of honest and byzantine validators under one virtual clock. */
export class Simulation {
  readonly clock = new SimClock()
  readonly net: SimNetwork
  readonly nodes: SimNode[] = []
  readonly validators: ValidatorSet
  private readonly randomInt: RandomInt
  readonly equivocations: string[] = []

  constructor(readonly opts: SimOptions) {
    this.randomInt = seededRandomInt(`sim-${opts.seed}`)
    this.net = new SimNetwork(this.clock, seededRandomInt(`net-${opts.seed}`), { minLatency: 2, maxLatency: 30, loss: 0, ...opts.network })
    const ids = Array.from({ length: opts.validators }, (_, i) => `v${String(i).padStart(3, '0')}`)
    this.validators = new ValidatorSet(ids.map((id) => ({ id, stake: 100n })))
    const byz = opts.byzantine?.count ?? 0
    // byzantine validators spread through the list, so they hold proposer slots too
    const byzIdx = new Set(Array.from({ length: byz }, (_, i) => Math.floor((i * opts.validators) / Math.max(byz, 1))))
    const late = new Map(opts.lateJoin ?? [])
    for (const [i, id] of ids.entries()) {
      const node: SimNode = { id, misbehaviour: 0 }
      this.nodes.push(node)
      if (byzIdx.has(i)) {
        node.byzantine = opts.byzantine!.behaviour
        this.net.attach(id, (from, msg) => this.byzantineHandle(node, from, msg))
      } else if (late.has(i)) {
        this.clock.setTimer(late.get(i)!, () => this.startHonest(node, i))
      } else {
        this.startHonest(node, i)
      }
    }
    if (byz > 0 && opts.byzantine!.behaviour.includes('equivocate')) this.clock.setTimer(0, () => this.byzantineProposerLoop())
    if (byz > 0 && opts.byzantine!.behaviour.includes('garbage')) this.clock.setTimer(5, () => this.garbageLoop())
  }

  private startHonest(node: SimNode, i: number): void {
    const chain = new SimChain(GENESIS, node.id)
    const engine = new SnowmanEngine<SimBlock>({
      self: node.id,
      validators: this.validators,
      params: this.opts.params,
      chain,
      clock: this.clock,
      randomInt: seededRandomInt(`node-${this.opts.seed}-${i}`),
      transport: {
        send: (to, msg) => this.net.send(node.id, to, msg),
        broadcast: (msg) => {
          for (const v of this.validators.list) if (v.id !== node.id) this.net.send(node.id, v.id, msg)
        },
      },
      timing: { ...DEFAULT_TIMING, queryTimeout: 200 },
      events: {
        misbehaviour: () => void node.misbehaviour++,
        equivocation: (p, a, b) => void this.equivocations.push(`${p}: ${a.id} / ${b.id}`),
      },
    })
    node.engine = engine
    node.chain = chain
    this.net.attach(node.id, (from, msg) => engine.handle(from, msg))
    engine.start()
  }

  get honest(): SimNode[] {
    return this.nodes.filter((n) => n.engine !== undefined)
  }

  /** The highest final block any honest node has (what byzantine nodes peek at). */
  private tip(): SimBlock {
    let best = GENESIS
    for (const n of this.honest) if (n.chain!.head().height > best.height) best = n.chain!.head()
    return best
  }

  /** Candidates byzantine nodes know of, per height: every block they have seen. */
  private readonly seen = new Map<number, string[]>()

  private byzantineHandle(node: SimNode, from: string, msg: ConsensusMessage<SimBlock>): void {
    const b = node.byzantine!
    if (b.includes('crash')) return
    const block = msg.type === 'propose' || msg.type === 'block' || msg.type === 'query' ? msg.block : undefined
    if (block !== undefined) {
      const list = this.seen.get(block.height) ?? []
      if (!list.includes(block.id)) list.push(block.id)
      this.seen.set(block.height, list)
    }
    if (msg.type === 'query' && b.includes('conflict')) {
      // vote for a block the asker does not prefer, keeping the network split when it can
      const known = this.seen.get(msg.height) ?? []
      const others = known.filter((id) => id !== msg.block?.id)
      const vote = others.length > 0 ? others[this.randomInt(others.length)] : known[0]
      this.net.send(node.id, from, { type: 'reply', reqId: msg.reqId, height: msg.height, ...(vote !== undefined ? { vote } : {}) })
    } else if (msg.type === 'query') {
      this.net.send(node.id, from, { type: 'reply', reqId: msg.reqId, height: msg.height, ...(msg.block ? { vote: msg.block.id } : {}) })
    }
  }

  /** Byzantine proposers equivocate: in their window, two different blocks, one to each half. */
  private byzantineProposerLoop(): void {
    const tip = this.tip()
    const height = tip.height + 1
    const schedule = proposerSchedule(this.validators, tip.id, height)
    for (const node of this.nodes) {
      if (node.byzantine?.includes('equivocate') !== true) continue
      const slot = windowOf(schedule, node.id)
      if (slot !== 0) continue
      const key = `${node.id}@${height}`
      if (this.done.has(key)) continue
      this.done.add(key)
      const ts = tip.timestamp + DEFAULT_TIMING.blockTime
      const mk = (tag: string): SimBlock => ({
        id: `${height}:${node.id}:${tag}`,
        height,
        parentId: tip.id,
        proposer: node.id,
        timestamp: ts,
        valid: true,
      })
      const a = mk('A')
      const bb = mk('B')
      this.validators.list.forEach((v, i) => this.net.send(node.id, v.id, { type: 'propose', block: i % 2 === 0 ? a : bb }))
    }
    this.clock.setTimer(50, () => this.byzantineProposerLoop())
  }

  private readonly done = new Set<string>()

  /** Garbage: malformed messages to random validators. */
  private garbageLoop(): void {
    for (const node of this.nodes) {
      if (node.byzantine?.includes('garbage') !== true) continue
      const to = this.validators.list[this.randomInt(this.validators.size)]!.id
      const junk = [
        { type: 'reply', reqId: 'x', height: 1 },
        { type: 'propose', block: { id: 5 } },
        { type: 'query', reqId: 1, height: -3 },
        { type: 'nonsense' },
        {
          type: 'block',
          block: { id: 'forged', height: this.tip().height + 1, parentId: 'nowhere', proposer: node.id, timestamp: 0, valid: false },
        },
      ][this.randomInt(5)] as unknown as ConsensusMessage<SimBlock>
      this.net.send(node.id, to, junk)
    }
    this.clock.setTimer(20, () => this.garbageLoop())
  }

  /** Run until every honest node has `height` final blocks, or `limit` virtual ms pass. */
  runUntilHeight(height: number, limit: number): boolean {
    const reached = () => this.honest.every((n) => n.chain!.head().height >= height)
    this.clock.run(this.clock.now() + limit, reached)
    return reached()
  }

  /** Safety: no two honest nodes have different final blocks at any height. */
  disagreements(): string[] {
    const out: string[] = []
    const maxH = Math.max(...this.honest.map((n) => n.chain!.head().height))
    for (let h = 1; h <= maxH; h++) {
      const ids = new Set(this.honest.map((n) => n.chain!.finalizedAt(h)).filter((x): x is string => x !== undefined))
      if (ids.size > 1) out.push(`height ${h}: ${[...ids].join(', ')}`)
    }
    return out
  }

  minHeight(): number {
    return Math.min(...this.honest.map((n) => n.chain!.head().height))
  }
}
