import { describe, expect, it } from 'vitest'
import {
  buildOnion,
  CIRCUIT_TTL_MS,
  onionKeyPair,
  OnionCircuit,
  openReply,
  OnionRouter,
  sealReply,
  type OnionHop,
} from '../../../session/index.js'
import { seededRandom, codeOfAsync } from './helpers.js'

async function network(n: number) {
  const keys = await Promise.all(Array.from({ length: n }, (_, i) => onionKeyPair(new Uint8Array(32).fill(i + 1))))
  const hops: OnionHop[] = keys.map((k, i) => ({ peerId: `12D3KooNode${i}`, publicKey: k.publicKey }))
  const routers = keys.map((k) => new OnionRouter(k.privateKey))
  return { hops, routers }
}

describe('onion requests (X-Wing HPKE layers)', () => {
  it('a 3-hop request reaches the last hop; each hop learns only the next; the answer comes back to the client alone', async () => {
    const { hops, routers } = await network(3)
    const request = new TextEncoder().encode('store this for 05abc…')
    const { packet, replyKeys } = await buildOnion(hops, request, seededRandom(1))
    const h1 = await routers[0]!.peel(packet)
    expect(h1).toMatchObject({ kind: 'relay', next: hops[1]!.peerId })
    const h2 = await routers[1]!.peel((h1 as { packet: Uint8Array }).packet)
    expect(h2).toMatchObject({ kind: 'relay', next: hops[2]!.peerId })
    const h3 = await routers[2]!.peel((h2 as { packet: Uint8Array }).packet)
    expect(h3.kind).toBe('deliver')
    expect(new TextDecoder().decode((h3 as { request: Uint8Array }).request)).toBe('store this for 05abc…')
    // the first hop's view holds neither the request nor the last hop
    const firstView = Buffer.from((h1 as { packet: Uint8Array }).packet)
    expect(firstView.includes(Buffer.from('store this'))).toBe(false)
    expect(firstView.includes(Buffer.from(hops[2]!.peerId))).toBe(false)
    // the answer, sealed hop by hop on the way back
    const answer = sealReply(
      h1.replyKey,
      sealReply(h2.replyKey, sealReply(h3.replyKey, new TextEncoder().encode('stored'), true), false),
      false,
    )
    expect(new TextDecoder().decode(openReply(replyKeys, answer))).toBe('stored')
    // a hop's reply key opens only its own layer
    expect(() => openReply([replyKeys[1]!, replyKeys[0]!, replyKeys[2]!], answer)).toThrow()
  })

  it('requests are padded: small requests of different sizes make packets of one size', async () => {
    const { hops } = await network(3)
    const a = await buildOnion(hops, new Uint8Array(10))
    const b = await buildOnion(hops, new Uint8Array(900))
    expect(a.packet.length).toBe(b.packet.length)
  })

  it('refuses replays, altered layers, layers for another node, and garbage, with typed errors', async () => {
    const { hops, routers } = await network(3)
    const { packet } = await buildOnion(hops, new Uint8Array(5))
    await routers[0]!.peel(packet)
    expect(await codeOfAsync(routers[0]!.peel(packet))).toBe('DUPLICATE')
    const fresh = (await buildOnion(hops, new Uint8Array(5))).packet
    const altered = Uint8Array.from(fresh)
    altered[altered.length - 5]! ^= 1
    expect(await codeOfAsync(routers[0]!.peel(altered))).toBe('DECRYPT_FAILED')
    expect(await codeOfAsync(routers[1]!.peel(fresh))).toBe('DECRYPT_FAILED') // sealed to hop 0, not hop 1
    expect(await codeOfAsync(routers[0]!.peel(new Uint8Array(50)))).toBe('MALFORMED')
    expect(await codeOfAsync(routers[0]!.peel(new Uint8Array(200_000)))).toBe('MALFORMED')
    expect(await codeOfAsync(buildOnion([{ peerId: 'x', publicKey: new Uint8Array(10) }], new Uint8Array(1)))).toBe('MALFORMED')
  })
})

describe('onion packets that arrive as Node Buffers (slices of a shared pool)', () => {
  it('open the same as plain Uint8Arrays', async () => {
    const { hops, routers } = await network(1)
    const { packet } = await buildOnion(hops, new Uint8Array(3))
    // a Buffer view into a larger pool, as network reads deliver them
    const pool = Buffer.alloc(packet.length + 100)
    pool.set(packet, 50)
    const view = pool.subarray(50, 50 + packet.length)
    expect((await routers[0]!.peel(view)).kind).toBe('deliver')
  })

  it('circuits: the first request keeps the path, later ones are symmetric layers that only its hops open', async () => {
    let now = 1_000_000
    const { hops } = await network(3)
    const keys = await Promise.all([0, 1, 2].map((i) => onionKeyPair(new Uint8Array(32).fill(i + 1))))
    const routers = keys.map((k) => new OnionRouter(k.privateKey, () => now))
    const relay = async (packet: Uint8Array) => {
      const views: Uint8Array[] = []
      const layers = []
      let p = packet
      for (const r of routers) {
        views.push(p)
        const layer = await r.peel(p)
        layers.push(layer)
        if (layer.kind === 'relay') p = layer.packet
      }
      return { last: layers.at(-1)!, layers, views }
    }
    const { circuit, packet } = await OnionCircuit.build(hops, new TextEncoder().encode('first'))
    expect((await relay(packet)).last).toMatchObject({ kind: 'deliver' })
    expect(routers.map((r) => r.circuitCount)).toEqual([1, 1, 1])
    const wrapped = circuit.wrap(new TextEncoder().encode('second'))
    expect(wrapped.packet.length).toBeLessThan(packet.length) // no KEM ciphertexts
    const { last, layers, views } = await relay(wrapped.packet)
    expect(new TextDecoder().decode((last as { request: Uint8Array }).request)).toBe('second')
    // each hop sees its own circuit id: nothing in one hop's view names another's
    const ids = views.map((v) => Buffer.from(v.subarray(1, 17)).toString('hex'))
    expect(new Set(ids).size).toBe(3)
    // the answer opens with the circuit's reply keys, hop by hop
    let answer = sealReply(layers[2]!.replyKey, new TextEncoder().encode('ok'), true)
    answer = sealReply(layers[1]!.replyKey, answer, false)
    answer = sealReply(layers[0]!.replyKey, answer, false)
    expect(new TextDecoder().decode(openReply(wrapped.replyKeys, answer))).toBe('ok')
    // a replayed circuit packet is refused; an altered one does not open; an unkept path has no circuit
    expect(await codeOfAsync(routers[0]!.peel(wrapped.packet))).toBe('DUPLICATE')
    const altered = Uint8Array.from(circuit.wrap(new Uint8Array(4)).packet)
    altered[40] = altered[40]! ^ 1
    expect(await codeOfAsync(routers[0]!.peel(altered))).toBe('DECRYPT_FAILED')
    // hops forget circuits after their time: the client has to build a new one
    now += CIRCUIT_TTL_MS + 1
    expect(await codeOfAsync(routers[0]!.peel(circuit.wrap(new Uint8Array(4)).packet))).toBe('UNKNOWN_CIRCUIT')
    // a one-shot request (no keep flag) leaves no circuit behind
    const before = routers[1]!.circuitCount
    await routers[1]!.peel(((await routers[0]!.peel((await buildOnion(hops, new Uint8Array(4))).packet)) as { packet: Uint8Array }).packet)
    expect(routers[1]!.circuitCount).toBe(before)
  })
})
