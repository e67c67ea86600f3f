import { cheapDecodeNoise, coalescingTcp, halfWindowYamux } from './stackTuning.js'
import { bootstrap } from '@libp2p/bootstrap'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { gossipsub, TopicValidatorResult, type GossipSub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { KEEP_ALIVE, type Libp2p, type PeerId, type PrivateKey, type Stream } from '@libp2p/interface'
import { mdns } from '@libp2p/mdns'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream, type LengthPrefixedStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { sha256 } from '@noble/hashes/sha2.js'
import { createLibp2p } from 'libp2p'
import { readFile, writeFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { concat, errorMessage, fromHex, ParsError, toHex, type Logger, type Startable } from '../../common/index.js'

/**
 * The node's libp2p host: TCP, noise, yamux, identify, gossipsub (blocks and transactions), bootstrap
 * peers and optional mDNS, and one request protocol for consensus messages (length-prefixed frames on
 * a long-lived stream per peer). Peers that send garbage lose score; below the floor they are
 * disconnected and refused for a while.
 */
export const CONSENSUS_PROTOCOL = '/pars/consensus/1'
export const NODE_KEY_FILE = 'node.key'
const MAX_FRAME = 9 * 1024 * 1024
const SCORE_FLOOR = -100
const BAN_MS = 10 * 60 * 1000
const REQUEST_TIMEOUT_MS = 10_000
/** consensus frames per second per peer (burst: twice that) */
const FRAME_RATE = 2_000

/** A token bucket: `rate` a second, bursts of twice that. */
class TokenBucket {
  private tokens: number
  private at = Date.now()

  constructor(private readonly rate: number) {
    this.tokens = 2 * rate
  }

  take(): boolean {
    const now = Date.now()
    this.tokens = Math.min(2 * this.rate, this.tokens + ((now - this.at) / 1000) * this.rate)
    this.at = now
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }
}

export interface P2PHostOptions {
  privateKey: PrivateKey
  listen: string[]
  bootstrap: string[]
  mdns: boolean
  /** gossip topics this node speaks */
  topics: string[]
  logger: Logger
  /** how long a request waits for its answer (default 10 s) */
  requestTimeoutMs?: number
}

type FrameHandler = (from: string, bytes: Uint8Array) => void
type GossipHandler = (from: string, bytes: Uint8Array) => TopicValidatorResult | Promise<TopicValidatorResult>

interface Channel {
  lp: LengthPrefixedStream<Stream> | undefined
  pending: Map<number, { resolve: (b: Uint8Array) => void; reject: (e: Error) => void }>
  nextId: number
  writing: Promise<void>
  ready: Promise<void>
}

interface Link {
  lp: Promise<LengthPrefixedStream<Stream>>
  writing: Promise<void>
}

/** The node's libp2p key, from DATADIR/node.key (created on first use). */
export async function loadNodeKey(datadir: string): Promise<PrivateKey> {
  const path = join(datadir, NODE_KEY_FILE)
  let text: string | undefined
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
  }
  if (text !== undefined) {
    try {
      return privateKeyFromProtobuf(fromHex(text.trim()))
    } catch (e) {
      throw new ParsError({ code: 'BAD_NODE_KEY', path }, `node key ${path} is not a libp2p private key: ${errorMessage(e)}`)
    }
  }
  const key = await generateKeyPair('Ed25519')
  await writeFile(`${path}.tmp`, toHex(privateKeyToProtobuf(key)) + '\n', { mode: 0o600 })
  await rename(`${path}.tmp`, path)
  return key
}

export class P2PHost implements Startable {
  private node: Libp2p<{ pubsub: GossipSub }> | undefined
  private readonly links = new Map<string, Link>()
  /** request/response channels, by "peer protocol" */
  private readonly channels = new Map<string, Channel>()
  private readonly scores = new Map<string, number>()
  private readonly banned = new Map<string, number>()
  private frameHandler: FrameHandler = () => undefined
  private readonly gossipHandlers = new Map<string, GossipHandler>()

  constructor(private readonly opts: P2PHostOptions) {}

  get peerId(): string {
    return this.node?.peerId.toString() ?? ''
  }

  onFrame(h: FrameHandler): void {
    this.frameHandler = h
  }

  /** Handle a gossip topic: the handler judges each message (accept, ignore, reject). */
  onGossip(topic: string, h: GossipHandler): void {
    this.gossipHandlers.set(topic, h)
  }

  addresses(): string[] {
    return this.node?.getMultiaddrs().map(String) ?? []
  }

  /** The addresses this host knows for a peer (itself: its own), each ending in /p2p/<peer id>. */
  async addressesOf(peer: string): Promise<string[]> {
    if (peer === this.peerId) return this.addresses()
    const node = this.node
    if (node === undefined) return []
    try {
      const p = await node.peerStore.get(peerIdFromString(peer))
      return p.addresses.map((a) => `${a.multiaddr.toString()}/p2p/${peer}`)
    } catch {
      return []
    }
  }

  peerCount(): number {
    return this.node?.getConnections().length === undefined
      ? 0
      : new Set(this.node.getConnections().map((c) => c.remotePeer.toString())).size
  }

  peers(): string[] {
    return [...new Set(this.node?.getConnections().map((c) => c.remotePeer.toString()) ?? [])]
  }

  private isBanned(peer: string): boolean {
    const until = this.banned.get(peer)
    if (until === undefined) return false
    if (until < Date.now()) {
      this.banned.delete(peer)
      this.scores.delete(peer)
      return false
    }
    return true
  }

  async start(): Promise<void> {
    const { logger } = this.opts
    const peerDiscovery = []
    if (this.opts.bootstrap.length > 0) peerDiscovery.push(bootstrap({ list: this.opts.bootstrap, timeout: 100 }))
    if (this.opts.mdns) peerDiscovery.push(mdns())
    this.node = await createLibp2p({
      privateKey: this.opts.privateKey,
      addresses: { listen: this.opts.listen },
      transports: [coalescingTcp()],
      connectionEncrypters: [cheapDecodeNoise()],
      streamMuxers: [halfWindowYamux()],
      peerDiscovery,
      connectionGater: {
        denyDialPeer: (p: PeerId) => this.isBanned(p.toString()),
        denyInboundEncryptedConnection: (p: PeerId) => this.isBanned(p.toString()),
      },
      services: {
        identify: identify(),
        pubsub: gossipsub({
          allowPublishToZeroTopicPeers: true,
          emitSelf: false,
          // blocks carry their proposer's signature and transactions their sender's: a gossipsub
          // signature on top would only cost an Ed25519 sign and verify per message and hop
          globalSignaturePolicy: 'StrictNoSign',
          // dedupe by content: the same block or transaction from two peers is one message
          msgIdFn: (m) => sha256(m.data),
        }),
      },
    })
    await this.node.handle(
      CONSENSUS_PROTOCOL,
      async (stream, connection) => {
        const from = connection.remotePeer.toString()
        const lp = lpStream(stream, { maxDataLength: MAX_FRAME })
        // consensus traffic is bursty (k queries a poll, beta polls a block) but bounded: a token
        // bucket per peer, far above what an honest validator sends, keeps a flooding peer cheap
        const bucket = new TokenBucket(FRAME_RATE)
        try {
          for (;;) {
            const frame = await lp.read()
            if (this.isBanned(from)) break
            if (!bucket.take()) {
              this.penalize(from, 'over the consensus frame rate', 1)
              continue
            }
            this.frameHandler(from, frame.subarray())
          }
        } catch {
          // the stream ended or broke: the peer opens a new one when it next has something to say
        }
      },
      { maxInboundStreams: 8 },
    )
    const pubsub = this.node.services.pubsub
    for (const topic of this.opts.topics) {
      pubsub.topicValidators.set(topic, (peer, msg) => {
        const h = this.gossipHandlers.get(topic)
        if (h === undefined) return TopicValidatorResult.Ignore
        const origin = msg.type === 'signed' ? msg.from.toString() : peer.toString()
        return h(origin, msg.data)
      })
      pubsub.subscribe(topic)
    }
    // bootstrap peers are kept connected (reconnected when they drop): validators talk all the time
    for (const addr of this.opts.bootstrap) {
      try {
        const ma = multiaddr(addr)
        const id = ma.getComponents().find((c) => c.name === 'p2p')?.value
        if (id === undefined || id === this.peerId) continue
        await this.node.peerStore.merge(peerIdFromString(id), { multiaddrs: [ma], tags: { [KEEP_ALIVE]: { value: 1 } } })
      } catch (e) {
        logger.warn('bad bootstrap address', { addr, error: errorMessage(e) })
      }
    }
    this.node.addEventListener('peer:disconnect', (e) => {
      const peer = e.detail.toString()
      this.links.delete(peer)
      for (const key of [...this.channels.keys()]) if (key.startsWith(`${peer} `)) this.channels.delete(key)
    })
    logger.info('p2p listening', { peerId: this.peerId, addresses: this.addresses() })
  }

  async stop(): Promise<void> {
    const node = this.node
    this.node = undefined
    this.links.clear()
    for (const c of this.channels.values()) for (const p of c.pending.values()) p.reject(new Error('the p2p host stopped'))
    this.channels.clear()
    await node?.stop()
  }

  /** Send one frame to a peer over the long-lived consensus stream (opened on first use). Best effort. */
  send(peer: string, bytes: Uint8Array): void {
    const node = this.node
    if (node === undefined || this.isBanned(peer)) return
    let link = this.links.get(peer)
    if (link === undefined) {
      const lp = node.dialProtocol(peerIdFromString(peer), CONSENSUS_PROTOCOL).then((s) => lpStream(s, { maxDataLength: MAX_FRAME }))
      link = { lp, writing: Promise.resolve() }
      this.links.set(peer, link)
      lp.catch(() => {
        if (this.links.get(peer) === link) this.links.delete(peer)
      })
    }
    const l = link
    l.writing = l.writing
      .then(async () => (await l.lp).write(bytes))
      .catch(() => {
        if (this.links.get(peer) === l) this.links.delete(peer)
      })
  }

  /**
   * Serve a request/response protocol. Requests travel as frames `request id (u32) ‖ payload` on a
   * stream the asker keeps open (no stream negotiation per request); each answer goes back on the
   * same stream with the same id, in whatever order they finish. At most `ratePerSecond` requests per
   * peer (a token bucket, burst of twice that; a function gives each peer its own rate, fixed at its
   * first request); over it, the request is dropped unanswered and the peer loses score.
   */
  async handleRequests(
    protocol: string,
    handler: (from: string, request: Uint8Array) => Promise<Uint8Array>,
    ratePerSecond: number | ((from: string) => number) = 50,
  ): Promise<void> {
    const buckets = new Map<string, TokenBucket>()
    const allow = (from: string): boolean => {
      let b = buckets.get(from)
      if (b === undefined) buckets.set(from, (b = new TokenBucket(typeof ratePerSecond === 'number' ? ratePerSecond : ratePerSecond(from))))
      return b.take()
    }
    await this.node!.handle(
      protocol,
      async (stream, connection) => {
        const from = connection.remotePeer.toString()
        const lp = lpStream(stream, { maxDataLength: MAX_FRAME })
        let writing = Promise.resolve()
        try {
          for (;;) {
            const frame = (await lp.read()).subarray()
            if (this.isBanned(from)) break
            if (frame.length < 4) {
              this.penalize(from, 'a request frame without an id')
              continue
            }
            if (!allow(from)) {
              this.penalize(from, 'over the request rate', 1)
              continue
            }
            const id = frame.subarray(0, 4)
            void handler(from, frame.subarray(4)).then(
              (answer) => {
                writing = writing.then(() => lp.write(concat(id, answer))).catch(() => undefined)
              },
              () => undefined,
            )
          }
        } catch {
          // the asker closed the stream, or it broke
        }
      },
      { maxInboundStreams: 16 },
    )
  }

  /** Send one request on `protocol` and wait for its answer (10 s at most), on a stream kept per peer. */
  async request(peer: string, protocol: string, bytes: Uint8Array): Promise<Uint8Array> {
    const node = this.node
    if (node === undefined) throw new Error('the p2p host is stopped')
    const key = `${peer} ${protocol}`
    let ch = this.channels.get(key)
    if (ch === undefined) {
      const created: Channel = { lp: undefined, pending: new Map(), nextId: 1, writing: Promise.resolve(), ready: Promise.resolve() }
      created.ready = (async () => {
        const stream = await node.dialProtocol(peerIdFromString(peer), protocol, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })
        created.lp = lpStream(stream, { maxDataLength: MAX_FRAME })
        const lp = created.lp
        void (async () => {
          try {
            for (;;) {
              const frame = (await lp.read()).subarray()
              if (frame.length < 4) continue
              const id = new DataView(frame.buffer, frame.byteOffset, 4).getUint32(0)
              created.pending.get(id)?.resolve(frame.slice(4))
              created.pending.delete(id)
            }
          } catch (e) {
            if (this.channels.get(key) === created) this.channels.delete(key)
            for (const p of created.pending.values()) p.reject(e instanceof Error ? e : new Error(String(e)))
            created.pending.clear()
          }
        })()
      })()
      created.ready.catch(() => {
        if (this.channels.get(key) === created) this.channels.delete(key)
      })
      this.channels.set(key, created)
      ch = created
    }
    const c = ch
    const timeout = this.opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS
    await c.ready
    const id = c.nextId++ >>> 0
    const answer = new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        c.pending.delete(id)
        reject(new Error(`no answer from ${peer} within ${timeout} ms`))
      }, timeout)
      c.pending.set(id, {
        resolve: (b) => {
          clearTimeout(timer)
          resolve(b)
        },
        reject: (e) => {
          clearTimeout(timer)
          reject(e)
        },
      })
    })
    const frame = new Uint8Array(4 + bytes.length)
    new DataView(frame.buffer).setUint32(0, id)
    frame.set(bytes, 4)
    c.writing = c.writing
      .then(() => c.lp!.write(frame))
      .catch((e: unknown) => {
        c.pending.get(id)?.reject(e instanceof Error ? e : new Error(String(e)))
        c.pending.delete(id)
      })
    return answer
  }

  /** Publish on a gossip topic (duplicates of what the network already has are dropped quietly). */
  publish(topic: string, bytes: Uint8Array): void {
    this.node?.services.pubsub.publish(topic, bytes).catch(() => undefined)
  }

  /** A peer sent something invalid: lower its score; at the floor, disconnect and refuse it for a while. */
  penalize(peer: string, reason: string, points = 10): void {
    if (peer === this.peerId) return
    const score = (this.scores.get(peer) ?? 0) - points
    this.scores.set(peer, score)
    this.opts.logger.debug('peer misbehaved', { peer, reason, score })
    if (score <= SCORE_FLOOR && !this.banned.has(peer)) {
      this.banned.set(peer, Date.now() + BAN_MS)
      this.opts.logger.warn('dropping a misbehaving peer', { peer, reason })
      this.node?.hangUp(peerIdFromString(peer)).catch(() => undefined)
    }
  }

  scoreOf(peer: string): number {
    return this.scores.get(peer) ?? 0
  }
}
