// Two libp2p hosts on 127.0.0.1: consensus frames flow; requests share a stream and get their own
// answers; a peer over the request rate, or sending garbage, loses score and is dropped and refused.
import { generateKeyPair } from '@libp2p/crypto/keys'
import { Socket } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createLogger } from '../../../common/index.js'
import { P2PHost } from '../../../node/p2p/host.js'
import { deferWindowUpdates, joinWrites, uint16BE } from '../../../node/p2p/stackTuning.js'
import { StreamState } from '@chainsafe/libp2p-yamux/stream'
import { sha256 } from '@noble/hashes/sha2.js'

const logger = createLogger({ level: 'error', module: 'test' })
const hosts: P2PHost[] = []

async function host(bootstrap: string[] = []): Promise<P2PHost> {
  const h = new P2PHost({
    privateKey: await generateKeyPair('Ed25519'),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap,
    mdns: false,
    topics: [],
    logger,
    requestTimeoutMs: 1000,
  })
  await h.start()
  hosts.push(h)
  return h
}

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()))
})

function nextFrame(h: P2PHost): Promise<{ from: string; bytes: Uint8Array }> {
  return new Promise((resolve) => h.onFrame((from, bytes) => resolve({ from, bytes })))
}

describe('the p2p host', () => {
  it('delivers consensus frames in order over one stream per peer', async () => {
    const a = await host()
    const b = await host([a.addresses()[0]!])
    const got: number[] = []
    const all = new Promise<void>((resolve) =>
      a.onFrame((from, bytes) => {
        expect(from).toBe(b.peerId)
        got.push(bytes[0]!)
        if (got.length === 50) resolve()
      }),
    )
    for (let i = 0; i < 50; i++) b.send(a.peerId, Uint8Array.of(i))
    await all
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i))
  })

  it('a peer penalized to the floor is disconnected and its frames ignored', async () => {
    const a = await host()
    const b = await host([a.addresses()[0]!])
    b.send(a.peerId, Uint8Array.of(1))
    expect((await nextFrame(a)).from).toBe(b.peerId)
    for (let i = 0; i < 10; i++) a.penalize(b.peerId, 'garbage')
    expect(a.scoreOf(b.peerId)).toBe(-100)
    await new Promise<void>((resolve) => {
      const check = () => (a.peers().includes(b.peerId) ? setTimeout(check, 20) : resolve())
      check()
    })
    let received = false
    a.onFrame(() => (received = true))
    b.send(a.peerId, Uint8Array.of(2))
    // a round trip the other way shows the connection attempt was refused, not merely slow
    const c = await host([a.addresses()[0]!])
    c.send(a.peerId, Uint8Array.of(3))
    await new Promise<void>((resolve) => a.onFrame(() => resolve()))
    expect(received).toBe(false)
    expect(a.peers()).not.toContain(b.peerId)
  })

  it('requests share one stream per peer and get their own answers, whatever order they finish in', async () => {
    const a = await host()
    const b = await host([a.addresses()[0]!])
    await a.handleRequests('/test/req/1', async (_from, req) => {
      // later requests finish first
      await new Promise((r) => setTimeout(r, 40 - req[0]!))
      return Uint8Array.of(req[0]! * 2)
    })
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => b.request(a.peerId, '/test/req/1', Uint8Array.of(i))))
    expect(answers.map((x) => x[0])).toEqual(Array.from({ length: 30 }, (_, i) => i * 2))
  })

  it('a peer over the request rate is not answered and loses score', async () => {
    const a = await host()
    const b = await host([a.addresses()[0]!])
    await a.handleRequests('/test/req/1', async () => Uint8Array.of(1), 5)
    const results = await Promise.allSettled(Array.from({ length: 14 }, () => b.request(a.peerId, '/test/req/1', Uint8Array.of(0))))
    // a burst of twice the rate is answered; the rest waits for an answer that does not come
    expect(results.filter((r) => r.status === 'fulfilled').length).toBeGreaterThanOrEqual(10)
    expect(results.filter((r) => r.status === 'rejected').length).toBeGreaterThanOrEqual(1)
    expect(a.scoreOf(b.peerId)).toBeLessThan(0)
  })

  it('a peer flooding consensus frames past the per-peer rate has the excess dropped and loses score', async () => {
    const a = await host()
    const b = await host([a.addresses()[0]!])
    let got = 0
    a.onFrame(() => void got++)
    const done = new Promise<void>((resolve) => {
      // each dropped frame costs a point: at -100 the flooder is cut off
      const check = () => (a.scoreOf(b.peerId) <= -100 ? resolve() : setTimeout(check, 10))
      check()
    })
    for (let i = 0; i < 6_000; i++) b.send(a.peerId, Uint8Array.of(1))
    await done
    expect(got).toBeLessThanOrEqual(5_900)
    expect(got).toBeGreaterThanOrEqual(4_000)
  })

  it('a request and its answer cost one socket write each (a noise message is written whole; window updates wait for half the window)', async () => {
    const a = await host()
    const b = await host([a.addresses()[0]!])
    await a.handleRequests('/test/req/1', async (_from, req) => req.subarray(0, 64), 1000)
    const payload = new Uint8Array(2048).fill(7)
    // the first requests open the connection and the stream; count a request on the warm stream
    for (let i = 0; i < 3; i++) await b.request(a.peerId, '/test/req/1', payload)
    const writes = vi.spyOn(Socket.prototype, 'write')
    try {
      const answer = await b.request(a.peerId, '/test/req/1', payload)
      expect(Uint8Array.from(answer)).toEqual(payload.subarray(0, 64))
      // the request and the answer (11 when @libp2p/tcp writes each buffer of a noise message on
      // its own and yamux answers every data frame with a window update)
      await new Promise<void>((resolve) => setImmediate(resolve))
      expect(writes.mock.calls.length).toBe(2)
    } finally {
      writes.mockRestore()
    }
  })

  it('requests far larger than the stream window, and many that add up to it, all arrive whole (window updates still flow)', async () => {
    const a = await host()
    const b = await host([a.addresses()[0]!])
    await a.handleRequests('/test/req/1', async (_from, req) => sha256(req), 1000)
    const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => i * 7)
    const medium = Array.from({ length: 40 }, (_, j) => new Uint8Array(100_000).fill(j))
    const answers = await Promise.all([big, ...medium].map((r) => b.request(a.peerId, '/test/req/1', r)))
    expect(answers.map((x) => Buffer.from(x).toString('hex'))).toEqual([big, ...medium].map((r) => Buffer.from(sha256(r)).toString('hex')))
  })
})

describe('deferWindowUpdates', () => {
  const stream = (state: StreamState, capacity: number) => {
    const sent: number[] = []
    const s = deferWindowUpdates({
      state,
      recvWindow: 256 * 1024,
      recvWindowCapacity: capacity,
      sendWindowUpdate() {
        sent.push(this.recvWindow - this.recvWindowCapacity)
      },
    })
    return { s, sent }
  }

  it('holds the update while more than half the window is free, and sends it once it is not', () => {
    const { s, sent } = stream(StreamState.Established, 256 * 1024 - 2048)
    s.sendWindowUpdate()
    expect(sent).toEqual([])
    s.recvWindowCapacity = 128 * 1024 - 1
    s.sendWindowUpdate()
    expect(sent).toEqual([128 * 1024 + 1])
  })

  it('leaves stream setup and a paused stream to yamux', () => {
    for (const state of [StreamState.Init, StreamState.SYNReceived, StreamState.Paused]) {
      const { s, sent } = stream(state, 256 * 1024)
      s.sendWindowUpdate()
      expect(sent.length).toBe(1)
    }
  })
})

describe('uint16BE (the noise message length)', () => {
  it('reads the big-endian length from bytes or a list, and asks for more with one RangeError made once', () => {
    expect(uint16BE(Uint8Array.of(0x12, 0x34, 0xff))).toBe(0x1234)
    expect(uint16BE({ length: 3, getUint16: () => 0xbeef })).toBe(0xbeef)
    const thrown = (b: Uint8Array): unknown => {
      try {
        uint16BE(b)
      } catch (e) {
        return e
      }
      return undefined
    }
    const e1 = thrown(new Uint8Array(0))
    expect(e1).toBeInstanceOf(RangeError)
    expect(thrown(Uint8Array.of(1))).toBe(e1)
  })
})

describe('joinWrites', () => {
  it('hands the socket one buffer holding every buffer of a message, in order', () => {
    const sent: Uint8Array[][] = []
    const conn = joinWrites({ sendData: (data: Iterable<Uint8Array>) => sent.push([...data]) })
    const list = Object.assign([Uint8Array.of(1, 2), Uint8Array.of(3), Uint8Array.of(4, 5, 6)], {
      byteLength: 6,
      subarray: () => Uint8Array.of(1, 2, 3, 4, 5, 6),
    })
    conn.sendData(list)
    conn.sendData(Object.assign([Uint8Array.of(9)], { byteLength: 1, subarray: () => Uint8Array.of(9) }))
    expect(sent).toEqual([[Uint8Array.of(1, 2, 3, 4, 5, 6)], [Uint8Array.of(9)]])
  })

  it('leaves a connection without sendData as it is', () => {
    const conn = { other: 1 }
    expect(joinWrites(conn)).toEqual({ other: 1 })
  })
})
