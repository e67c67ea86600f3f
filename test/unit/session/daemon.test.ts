// Two session daemons (Alice, Bob) on service nodes in one process: sessions by Session ID alone,
// messages both ways, Bob offline then online, a restart on the same store.
import { describe, expect, it } from 'vitest'
import { openMemoryDb, type KVStore } from '../../../common/index.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import {
  decodeRequest,
  encodeResponse,
  generatePrekey,
  identityFromPhrase,
  SessionDaemon,
  SYNC_NAMESPACE,
  type UnlockedIdentity,
} from '../../../session/index.js'
import { alice, bob, PHRASE_A, PHRASE_B, seededRandom } from './helpers.js'
import { network } from './net.js'

const unlocked = (identity: typeof alice, phrase: string): UnlockedIdentity => ({
  identity,
  phrase,
  createdAt: 0,
  prekeys: [generatePrekey(1, Math.floor(Date.now() / 1000))],
})

async function daemon(
  net: Awaited<ReturnType<typeof network>>,
  who: UnlockedIdentity,
  kv?: KVStore,
  extra: { coverTrafficMs?: number; random?: (n: number) => Uint8Array; pollMs?: number; syncDelayMs?: number } = {},
) {
  const d = new SessionDaemon({
    kv: kv ?? (await openMemoryDb()),
    transport: net.client,
    hops: () => net.hops,
    identity: who,
    pollMs: 3_600_000,
    ...extra,
  })
  await d.start()
  return d
}

const texts = (d: SessionDaemon, peer: string) => d.getMessages(peer).map((m) => `${m.direction}:${m.text}`)

describe('the session daemon', () => {
  it('Alice reaches Bob by his Session ID; they talk both ways', async () => {
    const net = await network(7)
    const a = await daemon(net, unlocked(alice, PHRASE_A))
    const b = await daemon(net, unlocked(bob, PHRASE_B))
    await a.createSession(bob.sessionId)
    await a.sendMessage(bob.sessionId, 'hello bob')
    expect(await b.poll()).toBe(1)
    expect(b.getSessions()).toEqual([{ peer: alice.sessionId, messages: 1, unread: 1, lastTimestamp: expect.any(Number) }])
    await b.sendMessage(alice.sessionId, 'hi alice')
    expect(await a.poll()).toBe(1)
    await a.sendMessage(bob.sessionId, 'how are you')
    await b.poll()
    expect(texts(b, alice.sessionId)).toEqual(['in:hello bob', 'out:hi alice', 'in:how are you'])
    expect(texts(a, bob.sessionId)).toEqual(['out:hello bob', 'in:hi alice', 'out:how are you'])
    await b.markRead(alice.sessionId)
    expect(b.getSessions()[0]!.unread).toBe(0)
    expect(b.getStatus()).toMatchObject({ sessionId: bob.sessionId, sessions: 1, serviceNodes: 7 })
    await a.stop()
    await b.stop()
  })

  it('Bob offline while Alice writes three times; online, he gets all three in order; a poll again gets nothing new', async () => {
    const net = await network(7)
    const a = await daemon(net, unlocked(alice, PHRASE_A))
    const bobId = unlocked(bob, PHRASE_B)
    const bKv = await openMemoryDb()
    const b1 = await daemon(net, bobId, bKv)
    await b1.stop() // Bob goes offline (his bundle is published)
    await a.createSession(bob.sessionId)
    for (const t of ['one', 'two', 'three']) await a.sendMessage(bob.sessionId, t)
    // a swarm member goes down meanwhile: the others have the messages
    net.down.add(net.swarms.nodesFor(bob.sessionId)[0]!)
    const b2 = await daemon(net, bobId, bKv)
    expect(await b2.poll()).toBe(3)
    expect(texts(b2, alice.sessionId)).toEqual(['in:one', 'in:two', 'in:three'])
    expect(await b2.poll()).toBe(0)
    // restarted on the same store, Bob's session goes on
    await b2.stop()
    const b3 = await daemon(net, bobId, bKv)
    await b3.sendMessage(alice.sessionId, 'back')
    await a.poll()
    expect(texts(a, bob.sessionId).at(-1)).toBe('in:back')
    await a.stop()
    await b3.stop()
  })

  it('a second device restored from the same phrase sees the whole conversation, and its replies reach the first', async () => {
    const net = await network(7)
    const a = await daemon(net, unlocked(alice, PHRASE_A))
    const b1 = await daemon(net, unlocked(bob, PHRASE_B))
    await a.createSession(bob.sessionId)
    await a.sendMessage(bob.sessionId, 'first')
    await b1.poll()
    await b1.sendMessage(alice.sessionId, 'reply from the phone')
    await b1.poll() // a poll asked for stores the sync records (a running daemon does within a second)
    await a.poll()
    // Bob's second device: same phrase, its own prekey and an empty store
    const b2 = await daemon(net, { ...unlocked(bob, PHRASE_B), prekeys: [generatePrekey(2, Math.floor(Date.now() / 1000))] })
    expect(await b2.poll()).toBe(2)
    expect(texts(b2, alice.sessionId)).toEqual(['in:first', 'out:reply from the phone'])
    expect(b2.getSessions()[0]!.unread).toBe(1)
    // the laptop answers: a new session to Alice; the phone sees it through sync
    await b2.sendMessage(alice.sessionId, 'now from the laptop')
    await b2.poll()
    await a.poll()
    expect(texts(a, bob.sessionId)).toEqual(['out:first', 'in:reply from the phone', 'in:now from the laptop'])
    await b1.poll()
    expect(texts(b1, alice.sessionId)).toEqual(['in:first', 'out:reply from the phone', 'out:now from the laptop'])
    // the phone writes again in its own session: Alice still opens it
    await b1.sendMessage(alice.sessionId, 'phone again')
    await b1.poll()
    await a.poll()
    expect(texts(a, bob.sessionId).at(-1)).toBe('in:phone again')
    // and Alice's answer (in the laptop's session, her newest) reaches the phone through the laptop's sync
    await a.sendMessage(bob.sessionId, 'got both')
    await b2.poll()
    await b1.poll()
    expect(texts(b1, alice.sessionId).slice(-2)).toEqual(['out:phone again', 'in:got both'])
    // nothing is counted twice on the next polls
    expect(await b1.poll()).toBe(0)
    expect(await b2.poll()).toBe(0)
    for (const d of [a, b1, b2]) await d.stop()
  })

  it('paths start at one of two guards; an unreachable guard is replaced and the request still goes through', async () => {
    const net = await network(7)
    const a = await daemon(net, unlocked(alice, PHRASE_A))
    const firstHops = new Set<string>()
    const seen = net.client.request.bind(net.client)
    net.client.request = (peer, protocol, bytes) => {
      firstHops.add(peer)
      return seen(peer, protocol, bytes)
    }
    for (let i = 0; i < 8; i++) await a.poll()
    const guards = a.getStatus().guards
    expect(guards).toHaveLength(2)
    expect([...firstHops].every((p) => guards.includes(p))).toBe(true)
    expect(
      a
        .getPeers()
        .filter((p) => p.guard)
        .map((p) => p.peerId)
        .sort(),
    ).toEqual([...guards].sort())
    // the guard the kept path starts at goes down: the next poll replaces it, and gets through
    const used = [...firstHops][0]!
    net.down.add(used)
    expect(await a.poll()).toBe(0)
    expect(a.getStatus().guards).not.toContain(used)
    expect(a.getStatus().guards).toHaveLength(2)
    await a.stop()
  })

  it('a message event for every message; messagesSince pages by arrival; unknown sessions are refused by code', async () => {
    const net = await network(7)
    const a = await daemon(net, unlocked(alice, PHRASE_A))
    const b = await daemon(net, unlocked(bob, PHRASE_B))
    const events: string[] = []
    b.onMessage((e) => events.push(`${e.session === alice.sessionId ? 'alice' : '?'}:${e.message.direction}:${e.message.text}`))
    await a.createSession(bob.sessionId)
    await a.sendMessage(bob.sessionId, 'one')
    await a.sendMessage(bob.sessionId, 'two')
    await b.poll()
    expect(events).toEqual(['alice:in:one', 'alice:in:two'])
    const all = b.messagesSince(0)
    expect(all.map((e) => e.message.text)).toEqual(['one', 'two'])
    expect(b.messagesSince(all[0]!.message.seq).map((e) => e.message.text)).toEqual(['two'])
    expect(b.lastSeq()).toBe(all[1]!.message.seq)
    await expect(b.sendMessage('05' + 'ab'.repeat(32), 'x')).rejects.toMatchObject({ code: 'UNKNOWN_SESSION' })
    await expect(b.createSession('not an id')).rejects.toMatchObject({ code: 'MALFORMED' })
    await expect(b.createSession(bob.sessionId)).rejects.toMatchObject({ code: 'MALFORMED' })
    await a.stop()
    await b.stop()
  })

  it('cover traffic: dummy onion requests go out on their own when asked for', async () => {
    const net = await network(7)
    const a = await daemon(net, unlocked(alice, PHRASE_A), undefined, { coverTrafficMs: 5 })
    const sent = await new Promise<number>((resolve) => {
      const check = setInterval(() => {
        if (a.getStatus().coverRequests >= 3) {
          clearInterval(check)
          resolve(a.getStatus().coverRequests)
        }
      }, 5)
    })
    expect(sent).toBeGreaterThanOrEqual(3)
    await a.stop()
    const quiet = await daemon(net, unlocked(bob, PHRASE_B))
    expect(quiet.getStatus().coverRequests).toBe(0)
    await quiet.stop()
  })

  it('a poll that fails (every node down) does not stop the next ones; the bundle is published once the network is back', async () => {
    const net = await network(7)
    for (const id of net.ids) net.down.add(id)
    const b = await daemon(net, unlocked(bob, PHRASE_B)) // starts although nothing answers
    await expect(b.poll()).rejects.toMatchObject({ code: 'UNREACHABLE' })
    await expect(b.poll()).rejects.toMatchObject({ code: 'UNREACHABLE' })
    net.down.clear()
    expect(await b.poll()).toBe(0)
    expect(b.getStatus().lastPoll).toBeGreaterThan(0)
    // the bundle went out with that poll: Alice reaches Bob by his ID
    const a = await daemon(net, unlocked(alice, PHRASE_A))
    await a.createSession(bob.sessionId)
    await a.sendMessage(bob.sessionId, 'you are back')
    expect(await b.poll()).toBe(1)
    await a.stop()
    await b.stop()
  })

  it('a swarm member that drops and hides messages cannot lose them: stores go to two members, polls alternate', async () => {
    // two nodes, one swarm: whichever member a single circuit ended at, one of the two runs would lose the messages
    for (const evil of [0, 1]) {
      const net = await network(2)
      net.corrupt(net.ids[evil]!)
      const a = await daemon(net, { ...unlocked(alice, PHRASE_A) }, undefined, { random: seededRandom(5) })
      const b = await daemon(net, { ...unlocked(bob, PHRASE_B) }, undefined, { random: seededRandom(6) })
      await a.createSession(bob.sessionId)
      for (const t of ['one', 'two', 'three']) await a.sendMessage(bob.sessionId, t)
      let got = 0
      for (let i = 0; i < 2; i++) got += await b.poll()
      expect(got).toBe(3)
      expect(texts(b, alice.sessionId)).toEqual(['in:one', 'in:two', 'in:three'])
      await a.stop()
      await b.stop()
    }
  })

  it('once the swarm holds the handshake, messages go without it; one that arrives before its handshake waits for it, across a restart', async () => {
    const net = await network(2)
    const [m0, m1] = net.ids as [string, string]
    // the sizes of the envelopes Alice stores, in order; m0 refuses to keep messages while `refusing`
    const sizes: number[] = []
    const seen = new Set<string>()
    let refusing = false
    for (const [id, node] of net.nodes) {
      const honest = node.handle.bind(node)
      node.handle = async (bytes, from) => {
        const q = decodeRequest(bytes)
        if ((q.type === 'store' || q.type === 'replicate') && q.namespace === 0) {
          if (!seen.has(bytesToHex(q.data))) sizes.push(q.data.length)
          seen.add(bytesToHex(q.data))
          if (refusing && id === m0) return encodeResponse({ type: 'error', code: 'UNREACHABLE', message: 'busy' })
        }
        return honest(bytes, from)
      }
    }
    const bobId = unlocked(bob, PHRASE_B)
    const bKv = await openMemoryDb()
    const b1 = await daemon(net, bobId, bKv)
    const a = await daemon(net, unlocked(alice, PHRASE_A))
    await a.createSession(bob.sessionId)
    // m0 misses the first message (the one with the handshake): only m1 holds it
    refusing = true
    await a.sendMessage(bob.sessionId, 'one')
    refusing = false
    await a.sendMessage(bob.sessionId, 'two')
    await a.sendMessage(bob.sessionId, 'three')
    expect(sizes[0]).toBeGreaterThan(12_000)
    expect(sizes.slice(1).every((n) => n < 2_500)).toBe(true)
    // m1 hides Bob's inbox for now: Bob reads two and three from m0 with nothing to open them
    const honest1 = net.nodes.get(m1)!.handle.bind(net.nodes.get(m1)!)
    net.nodes.get(m1)!.handle = async (bytes, from) => {
      const q = decodeRequest(bytes)
      if (q.type === 'retrieve' && q.namespace === 0) return encodeResponse({ type: 'messages', messages: [], more: false })
      return honest1(bytes, from)
    }
    expect((await b1.poll()) + (await b1.poll())).toBe(0)
    expect(b1.getSessions()).toEqual([])
    await b1.stop()
    // m1 answers again; Bob, restarted on the same store, finds the handshake there, and the two kept messages open.
    // (with one cursor for both members, m1 would be asked for what follows "three" in its order, and "one" precedes it)
    net.nodes.get(m1)!.handle = honest1
    const b2 = await daemon(net, bobId, bKv)
    expect((await b2.poll()) + (await b2.poll())).toBe(3)
    expect(texts(b2, alice.sessionId)).toEqual(['in:one', 'in:two', 'in:three'])
    expect(await b2.poll()).toBe(0)
    await a.stop()
    await b2.stop()
  })

  it('a message goes down one lane when the receipts show two other members hold it; down both when they do not', async () => {
    for (const receipts of [true, false]) {
      const net = await network(7, 0, { receipts })
      // the stores (not replications) that reach a member, per record
      const stores = new Map<string, number>()
      for (const node of net.nodes.values()) {
        const honest = node.handle.bind(node)
        node.handle = async (bytes, from) => {
          const q = decodeRequest(bytes)
          if (q.type === 'store' && q.namespace === 0) stores.set(bytesToHex(q.data), (stores.get(bytesToHex(q.data)) ?? 0) + 1)
          return honest(bytes, from)
        }
      }
      const a = await daemon(net, unlocked(alice, PHRASE_A))
      const b = await daemon(net, unlocked(bob, PHRASE_B))
      await a.createSession(bob.sessionId)
      await a.sendMessage(bob.sessionId, 'one')
      await a.sendMessage(bob.sessionId, 'two')
      expect([...stores.values()]).toEqual(receipts ? [1, 1] : [2, 2])
      expect(await b.poll()).toBe(2)
      await a.stop()
      await b.stop()
    }
  })

  it('the sync records of a moment share one owner-signed store: the periodic polls leave them to the sync timer', async () => {
    const net = await network(7)
    // the distinct sync stores the swarm is asked to keep (both lanes send the same one)
    const syncStores = new Set<string>()
    for (const node of net.nodes.values()) {
      const honest = node.handle.bind(node)
      node.handle = async (bytes, from) => {
        const q = decodeRequest(bytes)
        if (q.type === 'store' && q.namespace === SYNC_NAMESPACE) syncStores.add(bytesToHex(q.data))
        return honest(bytes, from)
      }
    }
    const b = await daemon(net, unlocked(bob, PHRASE_B))
    const a = await daemon(net, unlocked(alice, PHRASE_A), undefined, { pollMs: 5, syncDelayMs: 3_600_000 })
    const polls = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const last = a.getStatus().lastPoll
        await new Promise<void>((resolve) => {
          const check = setInterval(() => {
            if (a.getStatus().lastPoll > last) resolve(clearInterval(check))
          }, 2)
        })
      }
    }
    await a.createSession(bob.sessionId)
    await a.sendMessage(bob.sessionId, 'one')
    await polls(3)
    await a.sendMessage(bob.sessionId, 'two')
    await polls(3)
    // six periodic polls (one of them reads the sync namespace) and nothing stored yet
    expect(a.getStatus().unsynced).toBe(2)
    expect(syncStores.size).toBe(0)
    await a.poll() // a poll asked for stores them: one store for both
    expect(a.getStatus().unsynced).toBe(0)
    expect(syncStores.size).toBe(1)
    await a.stop()
    await b.stop()
  })

  it('device sync carries many messages, and the largest message whole', async () => {
    const net = await network(7)
    const a = await daemon(net, unlocked(alice, PHRASE_A))
    const b1 = await daemon(net, unlocked(bob, PHRASE_B))
    await a.createSession(bob.sessionId)
    const big = 'é'.repeat(30_000) // 60,000 bytes of UTF-8
    await a.sendMessage(bob.sessionId, big)
    for (let i = 0; i < 20; i++) await a.sendMessage(bob.sessionId, `m${i}`)
    expect(await b1.poll()).toBe(21)
    await b1.stop() // stopping stores its sync records
    const b2 = await daemon(net, { ...unlocked(bob, PHRASE_B), prekeys: [generatePrekey(2, Math.floor(Date.now() / 1000))] })
    expect(await b2.poll()).toBe(21)
    const got = b2.getMessages(alice.sessionId)
    expect(got[0]!.text).toBe(big)
    expect(got.slice(1).map((m) => m.text)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`))
    await a.stop()
    await b2.stop()
  })

  it('after a prekey rotation the new bundle goes out; handshakes to the old prekey still open', async () => {
    const net = await network(7)
    const now = Math.floor(Date.now() / 1000)
    const bobU = { ...unlocked(bob, PHRASE_B), prekeys: [generatePrekey(1, now)] }
    const b = await daemon(net, bobU)
    // Alice starts a session on the first bundle, Carol after the rotation
    const a = await daemon(net, unlocked(alice, PHRASE_A))
    await a.createSession(bob.sessionId)
    const second = generatePrekey(2, now + 60)
    b.usePrekeys([second, ...bobU.prekeys])
    await b.poll() // publishes the new bundle
    await a.sendMessage(bob.sessionId, 'from alice, to the old prekey')
    expect(await b.poll()).toBe(1) // the old prekey is kept: her handshake opens
    const carolPhrase = 'zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo vote'
    const carol = identityFromPhrase(carolPhrase)
    const c = await daemon(net, unlocked(carol, carolPhrase))
    await c.createSession(bob.sessionId)
    await c.sendMessage(bob.sessionId, 'from carol, to the new prekey')
    b.usePrekeys([second]) // only the new one left: Carol's handshake must have used it
    expect(await b.poll()).toBe(1)
    expect(texts(b, alice.sessionId)).toEqual(['in:from alice, to the old prekey'])
    expect(texts(b, carol.sessionId)).toEqual(['in:from carol, to the new prekey'])
    for (const d of [a, b, c]) await d.stop()
  })

  it('keeps each message under its own key: a restart has them all, close deletes them, an old one-value conversation is migrated', async () => {
    const net = await network(7)
    const kv = await openMemoryDb()
    const a = await daemon(net, unlocked(alice, PHRASE_A))
    const b = await daemon(net, unlocked(bob, PHRASE_B), kv)
    await a.createSession(bob.sessionId)
    for (const t of ['one', 'two']) await a.sendMessage(bob.sessionId, t)
    await b.poll()
    await b.markRead(alice.sessionId)
    await b.stop()
    const keys = async () => {
      const out: string[] = []
      for await (const k of kv.keys()) out.push(new TextDecoder().decode(k))
      return out
    }
    expect((await keys()).filter((k) => k.startsWith('m:'))).toHaveLength(2)
    const b2 = await daemon(net, unlocked(bob, PHRASE_B), kv)
    expect(b2.getMessages(alice.sessionId).map((m) => [m.text, m.read])).toEqual([
      ['one', true],
      ['two', true],
    ])
    await b2.closeSession(alice.sessionId)
    expect((await keys()).filter((k) => k.includes(alice.sessionId))).toEqual([])
    await b2.stop()
    // a store written before one key per message: read, then rewritten
    const old = await openMemoryDb()
    const legacy = [{ id: 'aa', seq: 1, direction: 'in', text: 'from before', timestamp: 1, read: false }]
    await old.put(new TextEncoder().encode(`c:${alice.sessionId}`), new TextEncoder().encode(JSON.stringify(legacy)))
    const b3 = await daemon(net, unlocked(bob, PHRASE_B), old)
    expect(b3.getMessages(alice.sessionId).map((m) => m.text)).toEqual(['from before'])
    const migrated: string[] = []
    for await (const k of old.keys()) migrated.push(new TextDecoder().decode(k))
    expect(migrated.some((k) => k.startsWith('c:'))).toBe(false)
    expect(migrated.filter((k) => k.startsWith('m:'))).toHaveLength(1)
    await a.stop()
    await b3.stop()
  })
})
