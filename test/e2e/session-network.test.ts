// The session network on real parsd processes: 5 validators that are also service nodes (their onion
// keys in the genesis), and a client in this process speaking libp2p to them. Messages stored for Bob
// through 3-hop onion paths land in his swarm, survive the loss of swarm members, come back only to
// Bob, and no node's database holds the plaintext or the sender.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger, fromHex } from '../../common/index.js'
import { P2PHost } from '../../node/p2p/host.js'
import {
  generatePrekey,
  identityFromPhrase,
  makeBundle,
  messageHash,
  onionRequest,
  Session,
  signOwner,
  verifiedHolders,
  type HeldReceipt,
  type OnionHop,
  type ServiceTransport,
} from '../../session/index.js'
import { REPO_ROOT, freeTestnetBase, startNode, type RunningNode } from './helpers/node.js'
import { serviceRecords } from './helpers/sessiond.js'
import { rpc } from './helpers/rpc.js'

const N = 5
const PARSD = join(REPO_ROOT, 'dist', 'node', 'cli', 'parsd.js')
const BOB = identityFromPhrase(
  'legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth title',
)
const ALICE = identityFromPhrase(
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art',
)

describe('the session network on 5 parsd service nodes', () => {
  let dir: string
  let base: number
  const nodes: RunningNode[] = []
  let client: P2PHost
  let hops: OnionHop[]
  let transport: ServiceTransport

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pars-e2e-sessnet-'))
    base = await freeTestnetBase(N)
    execFileSync(process.execPath, [PARSD, 'testnet', 'init', '--validators', String(N), '--out', dir, '--base-port', String(base)])
    for (let i = 0; i < N; i++)
      nodes.push(await startNode({ dev: false, datadir: join(dir, `node-${i}`), rpcPort: base + i, p2pPort: false }))
    const genesis = JSON.parse(readFileSync(join(dir, 'genesis.json'), 'utf8')) as {
      config: { pars: { validators: { peerId: string; onion: string }[] } }
    }
    hops = genesis.config.pars.validators.map((v) => ({ peerId: v.peerId, publicKey: fromHex(v.onion) }))
    const bootstrap = hops.map((h, i) => `/ip4/127.0.0.1/tcp/${base + 100 + i}/p2p/${h.peerId}`)
    client = new P2PHost({
      privateKey: await generateKeyPair('Ed25519'),
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap,
      mdns: false,
      topics: [],
      logger: createLogger({ level: 'error', module: 'client' }),
    })
    await client.start()
    transport = {
      request: (peer, protocol, bytes) => client.request(peer, protocol === 'onion' ? '/pars/onion/1' : '/pars/session/1', bytes),
    }
    for (const n of nodes) await rpc(n.url, 'pars_status', [])
  })

  afterAll(async () => {
    await client?.stop()
    await Promise.all(nodes.map((n) => n.stop()))
    rmSync(dir, { recursive: true, force: true })
  })

  it('stores for Bob through an onion path; Bob retrieves through another; nobody else can', async () => {
    // what Alice really sends: her first (sealed) session message to Bob, made from Bob's bundle
    const prekey = generatePrekey(1, Math.floor(Date.now() / 1000))
    const alice = Session.initiate(ALICE, BOB.sessionId, makeBundle(BOB, prekey))
    const data = alice.encrypt('meet at noon')
    const timestamp = Date.now()
    const stored = await onionRequest(transport, [hops[0]!, hops[1]!, hops[2]!], {
      type: 'store',
      recipient: BOB.sessionId,
      namespace: 0,
      timestamp,
      ttl: 60_000,
      data,
    })
    expect(stored).toMatchObject({ type: 'stored', stored: true })
    // the answer carries every member's storage receipt, signed with the key inside its peer id
    const hash = messageHash(BOB.sessionId, 0, timestamp, 60_000, data)
    const members = hops.map((h) => h.peerId)
    expect([...verifiedHolders((stored as { held?: HeldReceipt[] }).held, hash, members)].sort()).toEqual([...members].sort())
    const got = await onionRequest(transport, [hops[4]!, hops[3]!, hops[1]!], {
      type: 'retrieve',
      recipient: BOB.sessionId,
      namespace: 0,
      limit: 10,
      auth: signOwner(BOB.mldsa, 'retrieve', 0, Date.now()),
    })
    expect(got.type).toBe('messages')
    const messages = (got as { messages: { data: Uint8Array }[] }).messages
    expect(messages).toHaveLength(1)
    // Bob opens it: the network carried his message, sealed, without learning who sent it
    const { session, message } = Session.accept(BOB, () => prekey, messages[0]!.data, { has: () => false, add: () => undefined })
    expect(new TextDecoder().decode(message.content)).toBe('meet at noon')
    expect(session.peer.sessionId).toBe(ALICE.sessionId)
    const eve = await onionRequest(transport, [hops[0]!, hops[3]!, hops[2]!], {
      type: 'retrieve',
      recipient: BOB.sessionId,
      namespace: 0,
      limit: 10,
      auth: signOwner(ALICE.mldsa, 'retrieve', 0, Date.now()),
    })
    expect(eve).toMatchObject({ type: 'error', code: 'BAD_SIGNATURE' })
  })

  it('a message survives two swarm members going down', async () => {
    const data = new TextEncoder().encode('second message')
    await onionRequest(transport, [hops[1]!, hops[2]!, hops[3]!], {
      type: 'store',
      recipient: BOB.sessionId,
      namespace: 0,
      timestamp: Date.now(),
      ttl: 60_000,
      data,
    })
    // replication is asynchronous: wait until the member we keep has it
    const ask = (path: OnionHop[]) =>
      onionRequest(transport, path, {
        type: 'retrieve',
        recipient: BOB.sessionId,
        namespace: 0,
        limit: 10,
        auth: signOwner(BOB.mldsa, 'retrieve', 0, Date.now()),
      })
    for (let k = 0; ; k++) {
      const r = (await ask([hops[0]!, hops[1]!, hops[4]!])) as { messages?: { data: Uint8Array }[] }
      if ((r.messages ?? []).some((m) => new TextDecoder().decode(m.data) === 'second message')) break
      if (k > 100) throw new Error('not replicated to node 4')
      await new Promise((r) => setTimeout(r, 50))
    }
    await nodes[2]!.kill9()
    await nodes[3]!.kill9()
    const r = (await ask([hops[0]!, hops[1]!, hops[4]!])) as { messages: { data: Uint8Array }[] }
    expect(r.messages.map((m) => new TextDecoder().decode(m.data))).toContain('second message')
  })

  it('no service node database holds the plaintext or the sender', async () => {
    await Promise.all(nodes.map((n) => n.stop()))
    let records = 0
    const datadirs = Array.from({ length: N }, (_, i) => join(dir, `node-${i}`))
    for await (const [k, v] of serviceRecords(datadirs)) {
      const both = Buffer.concat([Buffer.from(k), Buffer.from(v)])
      expect(both.includes(Buffer.from(ALICE.sessionId, 'hex'))).toBe(false)
      expect(both.includes(Buffer.from(ALICE.mldsa.publicKey.subarray(0, 64)))).toBe(false)
      expect(both.includes(Buffer.from(ALICE.x25519.publicKey))).toBe(false)
      expect(both.includes(Buffer.from('meet at noon'))).toBe(false)
      records++
    }
    expect(records).toBeGreaterThan(0)
  })
})
