// Two libp2p hosts on 127.0.0.1: consensus frames flow; a peer that keeps sending garbage is dropped
// and refused.
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
})
