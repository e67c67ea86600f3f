// The service node list as the chain defines it (genesis nodes, then stake registrations applied block
// by block), and what a swarm change does to records: they are handed to the nodes that joined.
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import type { KVStore } from '../../../common/index.js'
import {
  decodeResponse,
  encodeRequest,
  MessageStore,
  onionKeyPair,
  registrationStatement,
  ServiceDirectory,
  signOwner,
  verifyRegisteredNode,
  type OnionHop,
  type RegistryEvent,
} from '../../../session/index.js'
import { bob } from './helpers.js'
import { network } from './net.js'

const CHAIN = 6133n
const REGISTRY = new Uint8Array(20).fill(0x5a)
const OPERATOR = new Uint8Array(20).fill(0x11)

async function candidate(seed: number, opts: { chainId?: bigint; tamper?: boolean } = {}) {
  const key = await generateKeyPair('Ed25519')
  const peer = peerIdFromPrivateKey(key)
  const { publicKey } = await onionKeyPair(new Uint8Array(32).fill(seed))
  const signature = await key.sign(registrationStatement(opts.chainId ?? CHAIN, REGISTRY, OPERATOR, publicKey))
  if (opts.tamper === true) signature[0]! ^= 1
  const event: RegistryEvent = { type: 'registered', peerId: peer.toMultihash().bytes, operator: OPERATOR, onionKey: publicKey, signature }
  return { peerId: peer.toString(), event, onionKey: publicKey }
}

async function genesisHops(n: number): Promise<OnionHop[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => ({
      peerId: peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString(),
      publicKey: (await onionKeyPair(new Uint8Array(32).fill(100 + i))).publicKey,
    })),
  )
}

describe('the service directory', () => {
  it('counts a registration signed by the node key; ignores a forged or wrong-chain one; a deregistration removes it', async () => {
    const genesis = await genesisHops(5)
    const d = new ServiceDirectory(genesis, CHAIN, REGISTRY)
    const good = await candidate(1)
    const forged = await candidate(2, { tamper: true })
    const otherChain = await candidate(3, { chainId: 1n })
    const moved = d.applyBlock([good.event, forged.event, otherChain.event], new Uint8Array(32).fill(1))
    expect(moved).toBeDefined()
    expect(d.hops().map((h) => h.peerId)).toEqual([...genesis.map((h) => h.peerId), good.peerId])
    expect(d.swarms.nodes()).toContain(good.peerId)
    expect(moved!.before.nodes()).not.toContain(good.peerId)
    // what a light client gets from a node checks out; a node cannot hand it a forged entry
    const [listed] = d.registeredNodes()
    expect(verifyRegisteredNode(CHAIN, REGISTRY, listed!)).toBe(true)
    expect(verifyRegisteredNode(CHAIN, REGISTRY, { ...listed!, onionKey: forged.onionKey })).toBe(false)
    expect(verifyRegisteredNode(CHAIN, REGISTRY, { ...listed!, peerId: forged.peerId })).toBe(false)
    // the same registration again changes nothing; a deregistration removes it
    expect(d.applyBlock([good.event], new Uint8Array(32).fill(2))).toBeUndefined()
    expect(
      d.applyBlock(
        [{ type: 'deregistered', peerId: good.event.type === 'registered' ? good.event.peerId : new Uint8Array() }],
        new Uint8Array(32).fill(3),
      ),
    ).toBeDefined()
    expect(d.hops()).toHaveLength(5)
  })

  it('every node replaying the same blocks computes the same swarms', async () => {
    const genesis = await genesisHops(12)
    const joins = await Promise.all(Array.from({ length: 9 }, (_, i) => candidate(10 + i)))
    const a = new ServiceDirectory(genesis, CHAIN, REGISTRY)
    const b = new ServiceDirectory(genesis, CHAIN, REGISTRY)
    for (const [i, chunk] of [joins.slice(0, 4), joins.slice(4)].entries()) {
      a.applyBlock(
        chunk.map((c) => c.event),
        new Uint8Array(32).fill(i + 1),
      )
      b.applyBlock(
        chunk.map((c) => c.event),
        new Uint8Array(32).fill(i + 1),
      )
    }
    a.swarms.check()
    expect(a.swarms.size).toBeGreaterThan(1)
    for (const id of a.swarms.ids()) expect(b.swarms.members(id)).toEqual(a.swarms.members(id))
  })
})

describe('records when the swarms change', () => {
  const store = (data: string) =>
    encodeRequest({
      type: 'store',
      recipient: bob.sessionId,
      namespace: 0,
      timestamp: Date.now(),
      ttl: 60_000,
      data: new TextEncoder().encode(data),
    })
  const held = async (kv: KVStore) =>
    (
      await new MessageStore(kv).retrieve({ recipient: bob.sessionId, namespace: 0, auth: signOwner(bob.mldsa, 'retrieve', 0, Date.now()) })
    ).messages.map((m) => new TextDecoder().decode(m.data))

  it('a node that joins the swarm is handed its records; one that was down gets them once it is back', async () => {
    const net = await network(5, 2)
    const [newcomer, late] = net.spareHops.map((h) => h.peerId)
    const member = net.swarms.nodesFor(bob.sessionId)[0]!
    expect(decodeResponse(await net.client.request(member, 'service', store('for bob, before the join')))).toMatchObject({ stored: true })
    net.down.add(late!)
    expect(await net.join([newcomer!, late!])).toBeGreaterThan(0)
    expect(net.swarms.nodesFor(bob.sessionId)).toEqual(expect.arrayContaining([newcomer, late]))
    expect(await held(net.dbs.get(newcomer!)!)).toEqual(['for bob, before the join'])
    expect(await held(net.dbs.get(late!)!)).toEqual([])
    const owing = [...net.nodes.values()].filter((n) => n.pendingHandoffCount > 0)
    expect(owing.length).toBeGreaterThan(0)
    net.down.delete(late!)
    for (const n of owing) await n.retryHandoffs()
    expect(await held(net.dbs.get(late!)!)).toEqual(['for bob, before the join'])
    expect([...net.nodes.values()].every((n) => n.pendingHandoffCount === 0)).toBe(true)
  })

  it('a newcomer that has not seen the change yet refuses the records; they are handed to it again once it has', async () => {
    const net = await network(5, 1)
    const [newcomer] = net.spareHops.map((h) => h.peerId)
    const member = net.swarms.nodesFor(bob.sessionId)[0]!
    await net.client.request(member, 'service', store('handed over twice'))
    expect(await net.join([newcomer!], { newcomersLag: true })).toBe(0)
    expect(await held(net.dbs.get(newcomer!)!)).toEqual([])
    for (const n of net.nodes.values()) await n.retryHandoffs()
    expect(await held(net.dbs.get(newcomer!)!)).toEqual(['handed over twice'])
  })

  it('a client cannot hand over records; a node lists the registered nodes to whoever asks', async () => {
    const net = await network(5)
    const member = net.swarms.nodesFor(bob.sessionId)[0]!
    const transfer = encodeRequest({
      type: 'transfer',
      recipient: bob.sessionId,
      namespace: 0,
      timestamp: Date.now() - 1000,
      expiry: Date.now() + 60_000,
      data: new Uint8Array(8),
    })
    expect(decodeResponse(await net.client.request(member, 'service', transfer))).toMatchObject({ type: 'error', code: 'BAD_SIGNATURE' })
    expect(decodeResponse(await net.client.request(member, 'service', encodeRequest({ type: 'nodes' })))).toEqual({
      type: 'nodes',
      nodes: [],
    })
  })
})
