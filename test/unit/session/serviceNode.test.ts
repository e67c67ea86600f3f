// Service nodes in one process (memory-level stores, an in-memory transport): onion-routed stores and
// retrievals, swarm replication, wrong-swarm redirects, and what a node's database holds.
import { describe, expect, it } from 'vitest'
import {
  decodeResponse,
  encodeResponse,
  fetchBundle,
  generatePrekey,
  messageHash,
  onionRequest,
  publishBundle,
  Session,
  signOwner,
  verifiedHolders,
  type HeldReceipt,
} from '../../../session/index.js'
import { alice, bob, establish, guard } from './helpers.js'
import { network } from './net.js'

const settle = () => new Promise((r) => setImmediate(r))

describe('service nodes', () => {
  it('a message stored through a 3-hop onion path lands in the recipient swarm, replicated; the owner retrieves it even with 2 members down', async () => {
    const net = await network(7)
    const path = [net.hops[0]!, net.hops[3]!, net.hops[5]!]
    const data = new TextEncoder().encode('ciphertext for bob')
    const r = await onionRequest(net.client, path, {
      type: 'store',
      recipient: bob.sessionId,
      namespace: 0,
      timestamp: Date.now(),
      ttl: 60_000,
      data,
    })
    expect(r).toMatchObject({ type: 'stored', stored: true })
    await settle()
    const members = net.swarms.nodesFor(bob.sessionId)
    net.down.add(members[0]!)
    net.down.add(members[1]!)
    const alive = net.hops.filter((h) => !net.down.has(h.peerId))
    const got = await onionRequest(net.client, [alive[0]!, alive[1]!, alive.find((h) => members.includes(h.peerId))!], {
      type: 'retrieve',
      recipient: bob.sessionId,
      namespace: 0,
      limit: 10,
      auth: signOwner(bob.mldsa, 'retrieve', 0, Date.now()),
    })
    expect(got.type).toBe('messages')
    expect((got as { messages: { data: Uint8Array }[] }).messages.map((m) => new TextDecoder().decode(m.data))).toEqual([
      'ciphertext for bob',
    ])
  })

  it('a store is answered with the receipts of the members that hold it; a forged, foreign or other-record receipt counts for nothing', async () => {
    const net = await network(7)
    const members = net.swarms.nodesFor(bob.sessionId)
    const end = net.hops.find((h) => h.peerId === members[0])!
    const others = net.hops.filter((h) => h !== end)
    const timestamp = Date.now()
    const q = { type: 'store' as const, recipient: bob.sessionId, namespace: 0, timestamp, ttl: 60_000, data: new Uint8Array([1, 2, 3]) }
    const r = await onionRequest(net.client, [others[0]!, others[1]!, end], q)
    if (r.type !== 'stored') throw new Error(`stored expected, got ${r.type}`)
    const hash = messageHash(bob.sessionId, 0, timestamp, 60_000, q.data)
    expect(r.hash).toBe(hash)
    // every member: the one the store reached, and each one it passed the record to
    expect([...verifiedHolders(r.held, hash, members)].sort()).toEqual([...members].sort())
    expect(verifiedHolders(r.held, hash, members, end.peerId).has(end.peerId)).toBe(false)
    // a receipt for another record, a tampered signature, a node outside the list: none of them count
    expect(verifiedHolders(r.held, messageHash(bob.sessionId, 0, timestamp, 60_000, new Uint8Array([9])), members).size).toBe(0)
    const tampered = r.held!.map((h) => ({ ...h, signature: Uint8Array.from(h.signature, (b, i) => (i === 0 ? b ^ 1 : b)) }))
    expect(verifiedHolders(tampered, hash, members).size).toBe(0)
    expect(verifiedHolders(r.held, hash, members.slice(1)).size).toBe(members.length - 1)
    // a store the member already holds is answered with its own receipt only
    const again = await onionRequest(net.client, [others[0]!, others[1]!, end], q)
    expect(again).toMatchObject({ type: 'stored', stored: false })
    expect([...verifiedHolders((again as { held?: HeldReceipt[] }).held, hash, members)]).toEqual([end.peerId])
    // on the wire: an answer without receipts (an older node's) and one with them; a malformed receipt is refused
    const bare = { type: 'stored' as const, hash, stored: true }
    expect(decodeResponse(encodeResponse(bare))).toEqual(bare)
    expect(decodeResponse(encodeResponse(r))).toEqual(r)
    expect(() => encodeResponse({ ...bare, held: [{ peer: end.peerId, signature: new Uint8Array(63) }] })).toThrow(/64-byte/)
    const wire = encodeResponse(r)
    expect(() => decodeResponse(wire.subarray(0, wire.length - 1))).toThrow()
    // nodes without a key give no receipts
    const plain = await network(7, 0, { receipts: false })
    const p = await onionRequest(plain.client, [plain.hops[1]!, plain.hops[2]!, plain.hops.find((h) => h.peerId === members[0])!], q)
    expect(p).toEqual({ type: 'stored', hash, stored: true })
  })

  it('a node outside the swarm answers with the swarm to ask; a node refuses replication from outside its swarm', async () => {
    const net = await network(14)
    expect(net.swarms.size).toBe(2)
    const members = net.swarms.nodesFor(bob.sessionId)
    const outsider = net.hops.find((h) => !members.includes(h.peerId))!
    const r = await onionRequest(net.client, [net.hops[0]!, net.hops[1]!, outsider], {
      type: 'store',
      recipient: bob.sessionId,
      namespace: 0,
      timestamp: Date.now(),
      ttl: 60_000,
      data: new Uint8Array(5),
    })
    expect(r).toEqual({ type: 'wrongSwarm', nodes: members })
    const member = net.nodes.get(members[0]!)!
    const { encodeRequest, decodeResponse } = await import('../../../session/index.js')
    const forged = encodeRequest({
      type: 'replicate',
      recipient: bob.sessionId,
      namespace: 0,
      timestamp: Date.now(),
      ttl: 60_000,
      data: new Uint8Array(5),
    })
    expect(decodeResponse(await member.handle(forged, outsider.peerId))).toMatchObject({ type: 'error', code: 'BAD_SIGNATURE' })
  })

  it('bad requests get typed errors; a broken path makes the answer fail to open, and nothing crashes', async () => {
    const net = await network(5)
    const r = await onionRequest(net.client, net.hops.slice(0, 3), {
      type: 'retrieve',
      recipient: bob.sessionId,
      namespace: 0,
      limit: 10,
      auth: signOwner(alice.mldsa, 'retrieve', 0, Date.now()),
    })
    expect(r).toMatchObject({ type: 'error', code: 'BAD_SIGNATURE' })
    const node = net.nodes.get(net.ids[0]!)!
    const { decodeResponse } = await import('../../../session/index.js')
    expect(decodeResponse(await node.handle(new Uint8Array([1, 99, 0]), 'x'))).toMatchObject({ type: 'error', code: 'MALFORMED' })
    net.down.add(net.ids[2]!)
    await expect(
      onionRequest(net.client, [net.hops[0]!, net.hops[1]!, net.hops[2]!], { type: 'swarm', recipient: bob.sessionId }),
    ).rejects.toThrow(/does not open/)
  })

  it("no service node's database holds the plaintext, the sender's Session ID or the sender's keys (sealed sender)", async () => {
    const net = await network(7)
    const { a, b } = establish()
    a.decrypt(b.encrypt('hi')) // past the handshake: Alice's envelopes no longer carry her keys
    const secret = 'meet at noon'
    const data = a.encrypt(secret)
    await onionRequest(net.client, net.hops.slice(4, 7), {
      type: 'store',
      recipient: bob.sessionId,
      namespace: 0,
      timestamp: Date.now(),
      ttl: 60_000,
      data,
    })
    await settle()
    const needles = [
      Buffer.from(secret),
      Buffer.from(alice.sessionId, 'hex'),
      Buffer.from(alice.mldsa.publicKey.subarray(0, 64)),
      Buffer.from(alice.x25519.publicKey),
    ]
    let records = 0
    for (const [, kv] of net.dbs) {
      for await (const [k, v] of kv.iterator()) {
        const both = Buffer.concat([Buffer.from(k), Buffer.from(v)])
        for (const n of needles) expect(both.includes(n)).toBe(false)
        records++
      }
    }
    expect(records).toBeGreaterThan(0)
  })

  it("knowing only Bob's Session ID, Alice fetches his published bundle, and her message reaches him", async () => {
    const net = await network(7)
    const prekey = generatePrekey(1, Math.floor(Date.now() / 1000))
    expect(await publishBundle((q) => onionRequest(net.client, net.hops.slice(0, 3), q), bob, prekey)).toMatchObject({
      type: 'stored',
      stored: true,
    })
    // only Bob writes his bundle namespace
    const evil = await onionRequest(net.client, net.hops.slice(0, 3), {
      type: 'store',
      recipient: bob.sessionId,
      namespace: 1,
      timestamp: Date.now(),
      ttl: 60_000,
      data: new Uint8Array(10),
    })
    expect(evil).toMatchObject({ type: 'error', code: 'BAD_SIGNATURE' })
    // Alice: the ID, the bundle from the network (checked against the ID), a session, a message
    const bundle = await fetchBundle((q) => onionRequest(net.client, net.hops.slice(3, 6), q), bob.sessionId)
    const session = Session.initiate(alice, bob.sessionId, bundle)
    await onionRequest(net.client, net.hops.slice(1, 4), {
      type: 'store',
      recipient: bob.sessionId,
      namespace: 0,
      timestamp: Date.now(),
      ttl: 60_000,
      data: session.encrypt('found you by your ID'),
    })
    const inbox = await onionRequest(net.client, net.hops.slice(4, 7), {
      type: 'retrieve',
      recipient: bob.sessionId,
      namespace: 0,
      limit: 10,
      auth: signOwner(bob.mldsa, 'retrieve', 0, Date.now()),
    })
    const [envelope] = (inbox as { messages: { data: Uint8Array }[] }).messages
    const { message } = Session.accept(bob, () => prekey, envelope!.data, guard())
    expect(new TextDecoder().decode(message.content)).toBe('found you by your ID')
    await expect(fetchBundle((q) => onionRequest(net.client, net.hops.slice(0, 3), q), alice.sessionId)).rejects.toThrow(
      /published no key bundle/,
    )
  })
})
