// A sixth node joins the session network by staking (parsctl service register): every node lists it
// once the block is final, the records of the swarm it joins are handed to it, a light client can
// fetch and check the list, and a deregistration takes it out again.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger, fromHex } from '../../common/index.js'
import { REGISTRY_ADDRESS } from '../../node/serviceRegistry.js'
import { P2PHost } from '../../node/p2p/host.js'
import {
  decodeResponse,
  encodeRequest,
  identityFromPhrase,
  onionRequest,
  signOwner,
  verifyRegisteredNode,
  type OnionHop,
  type ServiceResponse,
  type ServiceTransport,
} from '../../session/index.js'
import { freePort, freeTestnetBase, REPO_ROOT, startNode, type RunningNode } from './helpers/node.js'
import { devAccount, rpc } from './helpers/rpc.js'
import { parsctl } from './helpers/cli.js'

const N = 5
const PARSD = join(REPO_ROOT, 'dist', 'node', 'cli', 'parsd.js')
const BOB = identityFromPhrase(
  'legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth title',
)

/** Ask again until `ok` holds (each ask is a real request; the state converges as blocks finalize). */
async function until<T>(ask: () => Promise<T>, ok: (t: T) => boolean): Promise<T> {
  for (;;) {
    const t = await ask().catch(() => undefined)
    if (t !== undefined && ok(t)) return t
    await new Promise((r) => setTimeout(r, 250))
  }
}

describe('a service node that joins with stake', () => {
  let dir: string
  const nodes: RunningNode[] = []
  let joiner: RunningNode
  let joinerId: string
  let client: P2PHost
  let hops: OnionHop[]
  let transport: ServiceTransport
  let rpcUrl: string

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pars-e2e-registry-'))
    const base = await freeTestnetBase(N)
    execFileSync(process.execPath, [PARSD, 'testnet', 'init', '--validators', String(N), '--out', dir, '--base-port', String(base)])
    for (let i = 0; i < N; i++)
      nodes.push(await startNode({ dev: false, datadir: join(dir, `node-${i}`), rpcPort: base + i, p2pPort: false }))
    rpcUrl = nodes[0]!.url
    const genesis = JSON.parse(readFileSync(join(dir, 'genesis.json'), 'utf8')) as {
      config: { pars: { validators: { peerId: string; onion: string }[] } }
    }
    hops = genesis.config.pars.validators.map((v) => ({ peerId: v.peerId, publicKey: fromHex(v.onion) }))
    const bootstrap = hops.map((h, i) => `/ip4/127.0.0.1/tcp/${base + 100 + i}/p2p/${h.peerId}`)
    // the sixth node: a follower on the same genesis, up before it registers (as an operator would run it)
    const joinerDir = join(dir, 'node-5')
    execFileSync(process.execPath, [PARSD, 'init', '--genesis', join(dir, 'genesis.json'), '--datadir', joinerDir])
    const p2p = await freePort()
    joiner = await startNode({
      dev: false,
      datadir: joinerDir,
      p2pPort: false,
      args: ['--p2p-addr', '127.0.0.1', '--p2p-port', String(p2p), '--bootstrap', bootstrap.join(',')],
    })
    joinerId = ((await rpc(joiner.url, 'pars_status', [])) as { peerId: string }).peerId
    client = new P2PHost({
      privateKey: await generateKeyPair('Ed25519'),
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: [...bootstrap, `/ip4/127.0.0.1/tcp/${p2p}/p2p/${joinerId}`],
      mdns: false,
      topics: [],
      logger: createLogger({ level: 'error', module: 'client' }),
    })
    await client.start()
    transport = {
      request: (peer, protocol, bytes) => client.request(peer, protocol === 'onion' ? '/pars/onion/1' : '/pars/session/1', bytes),
    }
  })

  afterAll(async () => {
    await client?.stop()
    await Promise.all([...nodes, joiner].filter((n) => n !== undefined).map((n) => n.stop()))
    rmSync(dir, { recursive: true, force: true })
  })

  const listed = async (from: string) => {
    const r = decodeResponse(await transport.request(from, 'service', encodeRequest({ type: 'nodes' })))
    return r.type === 'nodes' ? r.nodes : []
  }

  it('registers, is listed by every node, and is handed the records of its swarm', async () => {
    // a message for Bob, stored before the sixth node exists in any swarm
    const stored = await until(
      () =>
        onionRequest(transport, hops.slice(0, 3), {
          type: 'store',
          recipient: BOB.sessionId,
          namespace: 0,
          timestamp: Date.now(),
          ttl: 600_000,
          data: new TextEncoder().encode('sealed for bob'),
        }),
      (r) => r.type === 'stored',
    )
    expect(stored).toMatchObject({ stored: true })
    writeFileSync(join(dir, 'operator.key'), Buffer.from(devAccount(1).getHdKey().privateKey!).toString('hex') + '\n')
    const out = await parsctl(
      'service',
      'register',
      '--datadir',
      join(dir, 'node-5'),
      '--from-key',
      join(dir, 'operator.key'),
      '--rpc',
      rpcUrl,
    )
    expect(out).toContain(`registered ${joinerId}`)
    expect(out.trim().split('\n').at(-1)).toMatch(/^0x[0-9a-f]{64} success$/)
    // every genesis node lists it, with a registration a light client can check
    for (const h of hops) {
      const nodesListed = await until(
        () => listed(h.peerId),
        (l) => l.some((n) => n.peerId === joinerId),
      )
      expect(
        verifyRegisteredNode(
          6133n,
          REGISTRY_ADDRESS,
          nodesListed.find((n) => n.peerId === joinerId)!,
        ),
      ).toBe(true)
    }
    expect(await parsctl('service', 'list', '--rpc', rpcUrl)).toContain(joinerId)
    // in a 6-node network there is one swarm: the newcomer holds Bob's message without anyone storing it there again
    const onionKey = (await listed(hops[0]!.peerId)).find((n) => n.peerId === joinerId)!.onionKey
    const retrieve = () =>
      onionRequest(transport, [hops[1]!, hops[2]!, { peerId: joinerId, publicKey: onionKey }], {
        type: 'retrieve',
        recipient: BOB.sessionId,
        namespace: 0,
        limit: 10,
        auth: signOwner(BOB.mldsa, 'retrieve', 0, Date.now()),
      })
    const got = await until<ServiceResponse>(retrieve, (r) => r.type === 'messages' && r.messages.length > 0)
    expect((got as { messages: { data: Uint8Array }[] }).messages.map((m) => new TextDecoder().decode(m.data))).toEqual(['sealed for bob'])
  })

  it('a deregistered node leaves the list', async () => {
    const out = await parsctl(
      'service',
      'deregister',
      '--datadir',
      join(dir, 'node-5'),
      '--from-key',
      join(dir, 'operator.key'),
      '--rpc',
      rpcUrl,
    )
    expect(out).toContain(`deregistered ${joinerId}`)
    await until(
      () => listed(hops[0]!.peerId),
      (l) => !l.some((n) => n.peerId === joinerId),
    )
    expect(await parsctl('service', 'list', '--rpc', rpcUrl)).not.toContain(joinerId)
  })
})
