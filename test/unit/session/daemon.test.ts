// Two session daemons (Alice, Bob) on service nodes in one process: sessions by Session ID alone,
// messages both ways, Bob offline then online, a restart on the same store.
import { describe, expect, it } from 'vitest'
import { openMemoryDb, type KVStore } from '../../../common/index.js'
import { generatePrekey, SessionDaemon, type UnlockedIdentity } from '../../../session/index.js'
import { alice, bob, PHRASE_A, PHRASE_B } from './helpers.js'
import { network } from './net.js'

const unlocked = (identity: typeof alice, phrase: string): UnlockedIdentity => ({
  identity,
  phrase,
  createdAt: 0,
  prekeys: [generatePrekey(1, Math.floor(Date.now() / 1000))],
})

async function daemon(net: Awaited<ReturnType<typeof network>>, who: UnlockedIdentity, kv?: KVStore) {
  const d = new SessionDaemon({
    kv: kv ?? (await openMemoryDb()),
    transport: net.client,
    hops: () => net.hops,
    identity: who,
    pollMs: 3_600_000,
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
})
