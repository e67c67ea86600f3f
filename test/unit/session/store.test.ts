import { describe, expect, it } from 'vitest'
import { openMemoryDb } from '../../../common/index.js'
import { MessageStore, messageHash, signOwner, type StoreRequest } from '../../../session/index.js'
import { alice, bob, NOW, codeOfAsync } from './helpers.js'

const T = NOW * 1000
const enc = new TextEncoder()

async function store(now = () => T) {
  return new MessageStore(await openMemoryDb(), now)
}

const msg = (data: string, extra: Partial<StoreRequest> = {}): StoreRequest => ({
  recipient: bob.sessionId,
  namespace: 0,
  data: enc.encode(data),
  timestamp: T,
  ttl: 60_000,
  ...extra,
})

describe('the service node message store', () => {
  it('keeps messages for a recipient; only the owner retrieves them, oldest first, paged by last hash', async () => {
    const s = await store()
    const hashes: string[] = []
    for (let i = 0; i < 5; i++) hashes.push((await s.store(msg(`m${i}`, { timestamp: T + i }))).hash)
    const auth = signOwner(bob.mldsa, 'retrieve', 0, T)
    const page1 = await s.retrieve({ recipient: bob.sessionId, namespace: 0, auth, limit: 3 })
    expect(page1.messages.map((m) => new TextDecoder().decode(m.data))).toEqual(['m0', 'm1', 'm2'])
    expect(page1.more).toBe(true)
    const page2 = await s.retrieve({ recipient: bob.sessionId, namespace: 0, auth, lastHash: page1.messages[2]!.hash })
    expect(page2.messages.map((m) => m.hash)).toEqual(hashes.slice(3))
    expect(page2.more).toBe(false)
    // another namespace is another inbox
    expect((await s.retrieve({ recipient: bob.sessionId, namespace: 11, auth: signOwner(bob.mldsa, 'retrieve', 11, T) })).messages).toEqual(
      [],
    )
  })

  it('deduplicates by hash: a retry or a swarm replica is kept once', async () => {
    const s = await store()
    const a = await s.store(msg('same'))
    const b = await s.store(msg('same'))
    expect(b).toEqual({ hash: a.hash, stored: false })
    expect(a.hash).toBe(messageHash(bob.sessionId, 0, T, 60_000, enc.encode('same')))
    const { messages } = await s.retrieve({ recipient: bob.sessionId, namespace: 0, auth: signOwner(bob.mldsa, 'retrieve', 0, T) })
    expect(messages).toHaveLength(1)
  })

  it('refuses retrieval by anyone else, with a stale timestamp, or a forged signature', async () => {
    const s = await store()
    await s.store(msg('secret'))
    const mallory = signOwner(alice.mldsa, 'retrieve', 0, T)
    expect(await codeOfAsync(s.retrieve({ recipient: bob.sessionId, namespace: 0, auth: mallory }))).toBe('BAD_SIGNATURE')
    const stale = signOwner(bob.mldsa, 'retrieve', 0, T - 61_000)
    expect(await codeOfAsync(s.retrieve({ recipient: bob.sessionId, namespace: 0, auth: stale }))).toBe('BAD_SIGNATURE')
    const other = signOwner(bob.mldsa, 'retrieve', 11, T) // signed for another namespace
    expect(await codeOfAsync(s.retrieve({ recipient: bob.sessionId, namespace: 0, auth: other }))).toBe('BAD_SIGNATURE')
    const forged = signOwner(bob.mldsa, 'retrieve', 0, T)
    forged.signature = Uint8Array.from(forged.signature)
    forged.signature[10] ^= 1
    expect(await codeOfAsync(s.retrieve({ recipient: bob.sessionId, namespace: 0, auth: forged }))).toBe('BAD_SIGNATURE')
  })

  it('refuses oversize, empty, out-of-range TTL, unknown namespace and badly timed stores', async () => {
    const s = await store()
    expect(await codeOfAsync(s.store(msg('', {})))).toBe('MALFORMED')
    expect(await codeOfAsync(s.store({ ...msg('x'), data: new Uint8Array(76_801) }))).toBe('MALFORMED')
    expect((await s.store({ ...msg('x'), data: new Uint8Array(76_800) })).stored).toBe(true)
    expect(await codeOfAsync(s.store(msg('x', { ttl: 9_999 })))).toBe('MALFORMED')
    expect(await codeOfAsync(s.store(msg('x', { ttl: 14 * 86_400_000 + 1 })))).toBe('MALFORMED')
    expect(await codeOfAsync(s.store(msg('x', { namespace: 7 })))).toBe('MALFORMED')
    expect(await codeOfAsync(s.store(msg('x', { timestamp: T + 61_000 })))).toBe('MALFORMED')
    expect(await codeOfAsync(s.store(msg('x', { recipient: 'not an id' })))).toBe('MALFORMED')
  })

  it('private namespaces take only the owner s own writes, for up to 30 days; one fresh signature serves several stores', async () => {
    const s = await store()
    const req = msg('my settings', { namespace: 2, ttl: 30 * 86_400_000 })
    expect(await codeOfAsync(s.store(req))).toBe('BAD_SIGNATURE')
    expect(await codeOfAsync(s.store({ ...req, auth: signOwner(alice.mldsa, 'store', 2, T) }))).toBe('BAD_SIGNATURE')
    expect(await codeOfAsync(s.store({ ...req, auth: signOwner(bob.mldsa, 'retrieve', 2, T) }))).toBe('BAD_SIGNATURE')
    expect(await codeOfAsync(s.store({ ...req, auth: signOwner(bob.mldsa, 'store', 3, T) }))).toBe('BAD_SIGNATURE')
    expect(await codeOfAsync(s.store({ ...req, auth: signOwner(bob.mldsa, 'store', 2, T - 61_000) }))).toBe('BAD_SIGNATURE')
    const auth = signOwner(bob.mldsa, 'store', 2, T - 30_000) // made half a minute ago, still within the window
    expect((await s.store({ ...req, auth })).stored).toBe(true)
    expect((await s.store({ ...msg('more settings', { namespace: 2, ttl: 30 * 86_400_000 }), auth })).stored).toBe(true)
    const { messages } = await s.retrieve({ recipient: bob.sessionId, namespace: 2, auth: signOwner(bob.mldsa, 'retrieve', 2, T) })
    expect(messages).toHaveLength(2)
  })

  it('expired messages are never returned and are swept; the owner deletes, no one else can', async () => {
    let now = T
    const s = await store(() => now)
    const short = await s.store(msg('short', { ttl: 10_000 }))
    const long = await s.store(msg('long', { ttl: 100_000 }))
    now = T + 20_000
    const auth = signOwner(bob.mldsa, 'retrieve', 0, now)
    expect((await s.retrieve({ recipient: bob.sessionId, namespace: 0, auth })).messages.map((m) => m.hash)).toEqual([long.hash])
    expect(await s.sweep()).toBe(1)
    expect(await s.sweep()).toBe(0)
    // delete: signed over the hashes
    const hashBytes = Uint8Array.from(Buffer.from(long.hash, 'hex'))
    expect(await codeOfAsync(s.delete(bob.sessionId, 0, [long.hash], signOwner(alice.mldsa, 'delete', 0, now, hashBytes)))).toBe(
      'BAD_SIGNATURE',
    )
    expect(
      await s.delete(
        bob.sessionId,
        0,
        [long.hash, short.hash],
        signOwner(bob.mldsa, 'delete', 0, now, new Uint8Array([...hashBytes, ...Buffer.from(short.hash, 'hex')])),
      ),
    ).toBe(1)
    expect((await s.retrieve({ recipient: bob.sessionId, namespace: 0, auth })).messages).toEqual([])
  })

  it('persists: a store reopened on the same database has the messages and goes on numbering', async () => {
    const kv = await openMemoryDb()
    const a = new MessageStore(kv, () => T)
    await a.store(msg('one'))
    const b = new MessageStore(kv, () => T)
    await b.store(msg('two'))
    const { messages } = await b.retrieve({ recipient: bob.sessionId, namespace: 0, auth: signOwner(bob.mldsa, 'retrieve', 0, T) })
    expect(messages.map((m) => new TextDecoder().decode(m.data))).toEqual(['one', 'two'])
  })

  it('an inbox holds a bounded number of records: the oldest make room, counts stay right through deletes and sweeps', async () => {
    let now = T
    const s = new MessageStore(await openMemoryDb(), () => now, 3)
    const hashes: string[] = []
    for (let i = 0; i < 5; i++) hashes.push((await s.store(msg(`m${i}`, { timestamp: T + i, ttl: 10_000 }))).hash)
    const auth = () => signOwner(bob.mldsa, 'retrieve', 0, now)
    expect((await s.retrieve({ recipient: bob.sessionId, namespace: 0, auth: auth() })).messages.map((m) => m.hash)).toEqual(
      hashes.slice(2),
    )
    // another inbox is not affected
    await s.store(msg('for alice', { recipient: alice.sessionId }))
    // delete one, then two more fit before the oldest goes
    const del = Uint8Array.from(Buffer.from(hashes[3]!, 'hex'))
    expect(await s.delete(bob.sessionId, 0, [hashes[3]!], signOwner(bob.mldsa, 'delete', 0, now, del))).toBe(1)
    const more = [(await s.store(msg('m5', { timestamp: T + 5 }))).hash, (await s.store(msg('m6', { timestamp: T + 6 }))).hash]
    expect((await s.retrieve({ recipient: bob.sessionId, namespace: 0, auth: auth() })).messages.map((m) => m.hash)).toEqual([
      hashes[4],
      ...more,
    ])
    // everything expires; the inbox is empty and takes three again
    now = T + 120_000
    await s.sweep()
    for (let i = 0; i < 3; i++) await s.store(msg(`n${i}`, { timestamp: now + i }))
    expect((await s.retrieve({ recipient: bob.sessionId, namespace: 0, auth: auth() })).messages).toHaveLength(3)
  })
})
