// Two libp2p hosts on 127.0.0.1: consensus frames flow; requests share a stream and get their own
// answers; a peer over the request rate, or sending garbage, loses score and is dropped and refused.
import { generateKeyPair } from '@libp2p/crypto/keys'
import { afterEach, describe, expect, it } from 'vitest'
import { createLogger } from '../../../common/index.js'
import { P2PHost } from '../../../node/p2p/host.js'

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
})
