// The bridge on a 4-node testnet, as its users meet it: Alice (a daemon in her validator) registers
// alice.pars; Bob (a light sessiond) reaches her by that name; Alice's signed action increments
// SessionCounter through a relay on another node, and the outcome and the contract's notice arrive in
// her inbox. A hostile client then hands the relay forged, replayed, expired, wrong-chain and
// wrong-key actions through an onion path: each is refused by name and none costs the relay gas.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createPublicClient,
  createWalletClient,
  encodeFunctionData,
  getAddress,
  http,
  type Address,
  type Hex,
  type PublicClient,
} from 'viem'
import { createLogger, fromHex } from '../../common/index.js'
import { P2PHost } from '../../node/p2p/host.js'
import {
  generatePhrase,
  identityFromPhrase,
  onionRequest,
  ParsSession,
  sessionIdBody,
  signTriggerAction,
  type OnionHop,
  type ServiceRequest,
  type ServiceResponse,
  type ServiceTransport,
  type SignedTrigger,
} from '../../session/index.js'
import { freePort, freeTestnetBase, REPO_ROOT, startNode, type RunningNode } from './helpers/node.js'
import { runParsctl } from './helpers/cli.js'
import { nextEvent, startSessiond, type RunningDaemon } from './helpers/sessiond.js'
import { compileProjectContract, devAccount, parsChain } from './helpers/rpc.js'

const N = 4
const PARSD = join(REPO_ROOT, 'dist', 'node', 'cli', 'parsd.js')

/** parsctl's exit code, stdout and stderr (a failing command is an answer here) */
const parsctl = (...args: string[]) => runParsctl(args)
const lastLine = (s: string): string => s.trim().split('\n').at(-1)!
const keyHex = (i: number): string => Buffer.from(devAccount(i).getHdKey().privateKey!).toString('hex')

/** SessionCounter, compiled from contracts/src and deployed by dev account 0 on the node at `url`. */
async function deployCounter(url: string) {
  const chain = parsChain(url)
  const client = createPublicClient({ chain, transport: http(url) })
  const { abi, bytecode } = compileProjectContract('examples/SessionCounter.sol', 'SessionCounter')
  const wallet = createWalletClient({ account: devAccount(0), chain, transport: http(url) })
  const counter = (await client.waitForTransactionReceipt({ hash: await wallet.deployContract({ abi, bytecode }) })).contractAddress!
  return { client, counter, abi }
}

describe('the bridge on a 4-node testnet: names, a relayed SessionCounter action, notices', () => {
  let dir: string
  const nodes: RunningNode[] = []
  let aliceDir: string
  let alice: ParsSession
  let aliceId: string
  let bobDaemon: RunningDaemon
  let bob: ParsSession
  let bobId: string
  let relayPeer: string
  let plainPeer: string
  let hops: OnionHop[]
  let client: PublicClient
  let counter: Address
  let counterAbi: ReturnType<typeof compileProjectContract>['abi']
  const relayAccount = devAccount(7)

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pars-e2e-bridge-'))
    const base = await freeTestnetBase(N)
    execFileSync(process.execPath, [PARSD, 'testnet', 'init', '--validators', String(N), '--out', dir, '--base-port', String(base)])
    const genesis = JSON.parse(readFileSync(join(dir, 'genesis.json'), 'utf8')) as {
      config: { pars: { validators: { peerId: string; onion: string }[] } }
    }
    hops = genesis.config.pars.validators.map((v) => ({ peerId: v.peerId, publicKey: fromHex(v.onion) }))
    relayPeer = hops[2]!.peerId
    plainPeer = hops[3]!.peerId
    aliceDir = join(dir, 'node-0')
    writeFileSync(join(dir, 'alice.pass'), 'alice passphrase\n')
    writeFileSync(join(dir, 'bob.pass'), 'bob passphrase\n')
    writeFileSync(join(dir, 'relay.key'), `0x${keyHex(7)}\n`)
    writeFileSync(join(dir, 'alice-payer.key'), `${keyHex(3)}\n`)
    aliceId = lastLine(
      (await parsctl('session', 'identity', 'create', '--datadir', aliceDir, '--passphrase-file', join(dir, 'alice.pass'))).stdout,
    )
    const sessionPort = await freePort()
    for (let i = 0; i < N; i++) {
      const args =
        i === 0
          ? ['--session', '--session-port', String(sessionPort), '--session-passphrase-file', join(dir, 'alice.pass')]
          : i === 2
            ? ['--relay', '--relay-key', join(dir, 'relay.key')]
            : []
      nodes.push(await startNode({ dev: false, datadir: join(dir, `node-${i}`), rpcPort: base + i, p2pPort: false, args }))
    }
    alice = await ParsSession.connect({ datadir: aliceDir })
    const bootstrap = (JSON.parse(readFileSync(join(dir, 'node-1', 'parsd.json'), 'utf8')) as { bootstrap: string }).bootstrap
    bobDaemon = await startSessiond(
      [
        '--genesis',
        join(dir, 'genesis.json'),
        '--bootstrap',
        bootstrap,
        '--rpc',
        nodes[1]!.url,
        '--session-passphrase-file',
        join(dir, 'bob.pass'),
      ],
      join(dir, 'bob'),
    )
    bob = await ParsSession.connect({ datadir: join(dir, 'bob') })
    bobId = (await bob.getOrCreateIdentity()).sessionId
    // SessionCounter, deployed by a dev account on node-3
    ;({ client, counter, abi: counterAbi } = await deployCounter(nodes[3]!.url))
  })

  afterAll(async () => {
    alice?.close()
    bob?.close()
    await bobDaemon?.stop()
    await Promise.all(nodes.map((n) => n.stop()))
    rmSync(dir, { recursive: true, force: true })
  })

  const number = async (): Promise<bigint> =>
    (await client.readContract({ address: counter, abi: counterAbi, functionName: 'number', blockTag: 'finalized' })) as bigint
  const relayBalance = (): Promise<bigint> => client.getBalance({ address: relayAccount.address })

  it('Alice registers alice.pars; Bob starts a session by that name and she reads his message', async () => {
    const reg = await parsctl(
      'name',
      'register',
      'alice.pars',
      '--datadir',
      aliceDir,
      '--passphrase-file',
      join(dir, 'alice.pass'),
      '--from-key',
      join(dir, 'alice-payer.key'),
      '--rpc',
      nodes[0]!.url,
    )
    expect(reg.stderr).toBe('')
    expect(reg.stdout).toContain('registered alice.pars')
    expect(lastLine((await parsctl('name', 'resolve', 'alice.pars', '--rpc', nodes[3]!.url)).stdout)).toBe(aliceId)
    const arriving = nextEvent(alice, (e) => e.session === bobId, { after: 0 })
    expect(await bob.createSession('alice.pars')).toBe(aliceId)
    await bob.sendMessage('alice.pars', 'hello alice.pars, it is bob')
    expect((await arriving).message).toMatchObject({ direction: 'in', text: 'hello alice.pars, it is bob' })
  })

  it('Alice increments SessionCounter through the relay on node-2; the outcome and the contract notice reach her inbox', async () => {
    const before = await relayBalance()
    const notice = nextEvent(alice, (e) => e.message.notice?.kind === 'chain', { session: 'notices', after: 0 })
    const r = await parsctl(
      'session',
      'trigger',
      '--to',
      counter,
      '--function',
      'increment()',
      '--wait',
      '--relay',
      relayPeer,
      '--datadir',
      aliceDir,
    )
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const [hash, status] = lastLine(r.stdout).split(' ')
    expect(hash).toMatch(/^0x[0-9a-f]{64}$/)
    expect(status).toBe('success')
    expect(r.stdout).toContain(`relay ${relayPeer} took action 0`)
    // on chain: the counter moved, for Alice's Session ID, and the relay's account paid
    const receipt = await client.getTransactionReceipt({ hash: hash as Hex })
    expect(receipt.status).toBe('success')
    expect(receipt.from.toLowerCase()).toBe(relayAccount.address.toLowerCase())
    expect(await number()).toBe(1n)
    expect(
      await client.readContract({ address: counter, abi: counterAbi, functionName: 'incrementsBy', args: [sessionIdBody(aliceId)] }),
    ).toBe(1n)
    expect(await relayBalance()).toBeLessThan(before)
    // the contract's SessionNotice, stored by the swarm members from their own chains
    const chainNotice = (await notice).message
    expect(chainNotice.text).toContain('SessionCounter: number is 1')
    expect(chainNotice.notice).toMatchObject({ kind: 'chain', contract: getAddress(counter), txHash: hash })
    const shown = (await parsctl('session', 'messages', '--session', 'notices', '--datadir', aliceDir)).stdout
    expect(shown).toContain(`${hash} success in block ${receipt.blockNumber}`)
    expect(shown).toContain('SessionCounter: number is 1')
  })

  it('without --relay the daemon finds a relay itself; what the contract or relay would refuse costs nothing', async () => {
    const r = await parsctl('session', 'trigger', '--to', counter, '--function', 'increment()', '--wait', '--datadir', aliceDir)
    expect(r.stderr).toBe('')
    expect(lastLine(r.stdout)).toMatch(/^0x[0-9a-f]{64} success$/)
    expect(r.stdout).toContain(`relay ${relayPeer} took action 1`)
    expect(await number()).toBe(2n)

    const before = await relayBalance()
    // a function SessionCounter does not allow: the relay's simulation sees the contract's refusal
    const notAllowed = await parsctl('session', 'trigger', '--to', counter, '--function', 'number()', '--datadir', aliceDir)
    expect(notAllowed.code).toBe(1)
    expect(notAllowed.stderr).toMatch(/refused: .*NotAllowed\(/)
    // not a SessionTrigger contract
    const notTrigger = await parsctl(
      'session',
      'trigger',
      '--to',
      '0x5A00000000000000000000000000000000000002',
      '--function',
      'increment()',
      '--datadir',
      aliceDir,
    )
    expect(notTrigger.code).toBe(1)
    expect(notTrigger.stderr).toContain('not a SessionTrigger contract')
    // a node that does not relay, named
    const noRelay = await parsctl(
      'session',
      'trigger',
      '--to',
      counter,
      '--function',
      'increment()',
      '--relay',
      plainPeer,
      '--datadir',
      aliceDir,
    )
    expect(noRelay.code).toBe(1)
    expect(noRelay.stderr).toContain('does not relay')
    expect(await relayBalance()).toBe(before)
    expect(await number()).toBe(2n)
  })

  it('forged, replayed, expired, wrong-chain and wrong-key actions sent straight to the relay are refused, at no cost', async () => {
    const host = new P2PHost({
      privateKey: await generateKeyPair('Ed25519'),
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: hops.map((h, i) => `/ip4/127.0.0.1/tcp/${nodes[i]!.rpcPort + 100}/p2p/${h.peerId}`),
      mdns: false,
      topics: [],
      logger: createLogger({ level: 'error', module: 'hostile' }),
    })
    await host.start()
    try {
      const transport: ServiceTransport = {
        request: (peer, protocol, bytes) => host.request(peer, protocol === 'onion' ? '/pars/onion/1' : '/pars/session/1', bytes),
      }
      const path = [hops[3]!, hops[0]!, hops[2]!]
      const send = (q: ServiceRequest): Promise<ServiceResponse> => onionRequest(transport, path, q)
      const carol = identityFromPhrase(generatePhrase())
      const mallory = identityFromPhrase(generatePhrase())
      const now = Math.floor(Date.now() / 1000)
      const callData = encodeFunctionData({ abi: counterAbi, functionName: 'increment' })
      const action = (over: { chainId?: bigint; nonce?: bigint; expiry?: bigint } = {}, who = carol): SignedTrigger =>
        signTriggerAction(who, {
          chainId: over.chainId ?? 6133n,
          target: counter,
          nonce: over.nonce ?? 0n,
          expiry: over.expiry ?? BigInt(now + 600),
          callData,
        })
      const relay = (t: SignedTrigger, recipient = carol.sessionId): Promise<ServiceResponse> =>
        send({
          type: 'relay',
          recipient,
          action: fromHex(t.sessionMessage),
          signature: fromHex(t.mldsaSignature),
          publicKey: fromHex(t.mldsaPublicKey),
        })
      const quote = await send({ type: 'relayQuote', recipient: carol.sessionId, target: counter })
      expect(quote).toMatchObject({ type: 'relayQuote', chainId: 6133n, nonce: 0n, relayer: relayAccount.address.toLowerCase() })

      const before = await relayBalance()
      const good = action()
      const forged = {
        ...good,
        mldsaSignature: `${good.mldsaSignature.slice(0, -2)}${good.mldsaSignature.endsWith('00') ? '01' : '00'}` as Hex,
      }
      expect(await relay(forged)).toMatchObject({
        type: 'error',
        code: 'BAD_SIGNATURE',
        message: expect.stringContaining('does not verify'),
      })
      // Mallory signs an action in Carol's name with her own key
      const inCarolsName = signTriggerAction(mallory, { chainId: 6133n, target: counter, nonce: 0n, expiry: BigInt(now + 600), callData })
      const stolen = { ...inCarolsName, sessionMessage: good.sessionMessage }
      expect(await relay(stolen)).toMatchObject({
        type: 'error',
        code: 'BAD_SIGNATURE',
        message: expect.stringContaining('not the key of'),
      })
      expect(await relay(action({ expiry: BigInt(now - 1) }))).toMatchObject({
        type: 'error',
        code: 'RELAY_REFUSED',
        message: expect.stringContaining('expired'),
      })
      expect(await relay(action({ chainId: 1n }))).toMatchObject({
        type: 'error',
        code: 'RELAY_REFUSED',
        message: expect.stringContaining('for chain 1'),
      })
      expect(await relay(action({ nonce: 5n }))).toMatchObject({
        type: 'error',
        code: 'RELAY_REFUSED',
        message: expect.stringContaining('BadNonce(0, 5)'),
      })
      expect(await relayBalance()).toBe(before)

      // the good one runs once; the same bytes again are a replay the relay refuses before spending gas
      const ok = await relay(good)
      expect(ok.type).toBe('relayed')
      const txHash = (ok as { txHash: Hex }).txHash
      expect((await client.waitForTransactionReceipt({ hash: txHash })).status).toBe('success')
      // the block may be final on node-3 a moment before node-2 has it: wait for the relay's node to see the nonce move
      const relayClient = createPublicClient({ chain: parsChain(nodes[2]!.url), transport: http(nodes[2]!.url) })
      await relayClient.waitForTransactionReceipt({ hash: txHash })
      const spent = await relayBalance()
      expect(await relay(good)).toMatchObject({ type: 'error', code: 'RELAY_REFUSED', message: expect.stringContaining('BadNonce(1, 0)') })
      expect(await relayBalance()).toBe(spent)
      expect(await number()).toBe(3n)
    } finally {
      await host.stop()
    }
  })
})

describe('the bridge on parsd --dev --session: the dev node is the service node and the relay; Bob is a sessiond --rpc', () => {
  let dir: string
  let node: RunningNode
  let alice: ParsSession
  let aliceId: string
  let bobDaemon: RunningDaemon
  let bobDir: string
  let bobId: string
  let client: PublicClient
  let counter: Address
  let counterAbi: ReturnType<typeof compileProjectContract>['abi']

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pars-e2e-bridge-dev-'))
    writeFileSync(join(dir, 'pass'), 'a passphrase\n')
    writeFileSync(join(dir, 'owner.key'), `${keyHex(4)}\n`)
    const aliceDir = join(dir, 'alice')
    bobDir = join(dir, 'bob')
    aliceId = lastLine(
      (await parsctl('session', 'identity', 'create', '--datadir', aliceDir, '--passphrase-file', join(dir, 'pass'))).stdout,
    )
    bobId = lastLine((await parsctl('session', 'identity', 'create', '--datadir', bobDir, '--passphrase-file', join(dir, 'pass'))).stdout)
    node = await startNode({
      datadir: aliceDir,
      args: ['--session', '--session-port', String(await freePort()), '--session-passphrase-file', join(dir, 'pass')],
    })
    alice = await ParsSession.connect({ datadir: aliceDir })
    // Bob's light daemon needs only the node's RPC: the service nodes, their addresses and the chain come from it
    bobDaemon = await startSessiond(['--rpc', node.url, '--session-passphrase-file', join(dir, 'pass')], bobDir)
    ;({ client, counter, abi: counterAbi } = await deployCounter(node.url))
  })

  afterAll(async () => {
    alice?.close()
    await bobDaemon?.stop()
    await node?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('alice.pars is registered, Bob reaches her by the name, and her action increments SessionCounter through the dev relay', async () => {
    const reg = await parsctl(
      'name',
      'register',
      'alice.pars',
      '--datadir',
      join(dir, 'alice'),
      '--passphrase-file',
      join(dir, 'pass'),
      '--from-key',
      join(dir, 'owner.key'),
      '--rpc',
      node.url,
    )
    expect(reg.stdout).toContain('registered alice.pars')
    const arriving = nextEvent(alice, (e) => e.session === bobId, { after: 0 })
    expect(lastLine((await parsctl('session', 'create', '--recipient', 'alice.pars', '--datadir', bobDir, '--rpc', node.url)).stdout)).toBe(
      aliceId,
    )
    await parsctl('session', 'send', '--session', 'alice.pars', '--message', 'hi alice', '--datadir', bobDir, '--rpc', node.url)
    expect((await arriving).message.text).toBe('hi alice')

    // the relay is on by default with --dev --session, paying from the last dev account
    const relayer = devAccount(19).address
    const before = await client.getBalance({ address: relayer })
    const r = await parsctl('session', 'trigger', '--to', counter, '--function', 'increment()', '--wait', '--datadir', join(dir, 'alice'))
    expect(r.stderr).toBe('')
    const [hash, status] = lastLine(r.stdout).split(' ')
    expect(status).toBe('success')
    expect((await client.getTransactionReceipt({ hash: hash as Hex })).from.toLowerCase()).toBe(relayer.toLowerCase())
    expect(await client.getBalance({ address: relayer })).toBeLessThan(before)
    expect(await client.readContract({ address: counter, abi: counterAbi, functionName: 'number' })).toBe(1n)
    const notices = await alice.getMessages('notices')
    expect(notices.find((m) => m.notice?.kind === 'relay')?.notice).toMatchObject({ txHash: hash, status: 'success', nonce: '0' })

    // Bob, from his light daemon, too: his own nonce, his own notices
    const bobs = await parsctl('session', 'trigger', '--to', counter, '--function', 'increment()', '--wait', '--datadir', bobDir)
    expect(lastLine(bobs.stdout)).toMatch(/^0x[0-9a-f]{64} success$/)
    expect(await client.readContract({ address: counter, abi: counterAbi, functionName: 'number' })).toBe(2n)
    expect(
      await client.readContract({ address: counter, abi: counterAbi, functionName: 'incrementsBy', args: [sessionIdBody(bobId)] }),
    ).toBe(1n)
    // the notices conversation takes no messages
    const send = await parsctl('session', 'send', '--session', 'notices', '--message', 'hello?', '--datadir', bobDir)
    expect(send.code).toBe(1)
    expect(send.stderr).toContain('read-only')
  })
})
