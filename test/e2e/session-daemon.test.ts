// Two users on a 5-node network, as they meet it: Alice's daemon runs in her validator
// (`parsd --session`), Bob's is a light `sessiond`. Each knows only the other's Session ID; they talk
// through onion paths with parsctl and the ParsSession client, Bob goes offline while a swarm member
// dies, his second device (the same phrase) syncs, the control API refuses what it must, and no
// service node's database holds a plaintext or Alice's ID beside Bob's messages.
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ParsSession, readControlFile, type ConversationMessage } from '../../session/index.js'
import { freePort, freeTestnetBase, REPO_ROOT, startNode, type RunningNode } from './helpers/node.js'
import { parsctl, PARSCTL } from './helpers/cli.js'
import { nextMessages, serviceRecords, startSessiond, type RunningDaemon } from './helpers/sessiond.js'
import { devAccount } from './helpers/rpc.js'

const N = 5
const PARSD = join(REPO_ROOT, 'dist', 'node', 'cli', 'parsd.js')

const texts = (ms: ConversationMessage[]): string[] => ms.map((m) => `${m.direction === 'in' ? '<' : '>'} ${m.text}`)

describe('Alice (parsd --session) and Bob (sessiond) on 5 service nodes', () => {
  let dir: string
  let genesis: string
  let bootstrap: string
  const nodes: RunningNode[] = []
  let aliceDir: string
  let alice: ParsSession
  let aliceId: string
  let bobDir: string
  let bobDaemon: RunningDaemon
  let bob: ParsSession
  let bobId: string
  let bobPhrase: string

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pars-e2e-sessiond-'))
    const base = await freeTestnetBase(N)
    execFileSync(process.execPath, [PARSD, 'testnet', 'init', '--validators', String(N), '--out', dir, '--base-port', String(base)])
    genesis = join(dir, 'genesis.json')
    aliceDir = join(dir, 'node-0')
    writeFileSync(join(dir, 'alice.pass'), 'alice passphrase\n')
    writeFileSync(join(dir, 'bob.pass'), 'bob passphrase\n')
    // Alice makes her identity offline, then runs her validator with the daemon
    aliceId = (await parsctl('session', 'identity', 'create', '--datadir', aliceDir, '--passphrase-file', join(dir, 'alice.pass')))
      .trim()
      .split('\n')
      .at(-1)!
    const sessionPort = await freePort()
    for (let i = 0; i < N; i++) {
      const args = i === 0 ? ['--session', '--session-port', String(sessionPort), '--session-passphrase-file', join(dir, 'alice.pass')] : []
      nodes.push(await startNode({ dev: false, datadir: join(dir, `node-${i}`), rpcPort: base + i, p2pPort: false, args }))
    }
    bootstrap = (JSON.parse(readFileSync(join(dir, 'node-1', 'parsd.json'), 'utf8')) as { bootstrap: string }).bootstrap
    alice = await ParsSession.connect({ datadir: aliceDir })
    expect((await alice.getOrCreateIdentity()).sessionId).toBe(aliceId)
    // Bob's light daemon starts without an identity; the client makes one
    bobDir = join(dir, 'bob')
    bobDaemon = await startSessiond(
      ['--genesis', genesis, '--bootstrap', bootstrap, '--session-passphrase-file', join(dir, 'bob.pass')],
      bobDir,
    )
    bob = await ParsSession.connect({ datadir: bobDir })
    const made = await bob.getOrCreateIdentity()
    expect(made.created).toBe(true)
    bobId = made.sessionId
    bobPhrase = made.phrase!
    expect(bobPhrase.split(' ')).toHaveLength(24)
  })

  afterAll(async () => {
    alice?.close()
    bob?.close()
    await bobDaemon?.stop()
    await Promise.all(nodes.map((n) => n.stop()))
    rmSync(dir, { recursive: true, force: true })
  })

  it('Alice writes to Bob by his Session ID alone (parsctl); Bob is told at once (onMessage) and answers', async () => {
    const arriving = nextMessages(bob, 1, { after: 0 })
    expect((await parsctl('session', 'create', '--recipient', bobId, '--datadir', aliceDir)).trim().split('\n').at(-1)).toBe(bobId)
    await parsctl('session', 'send', '--session', bobId, '--message', 'hello bob, it is alice', '--datadir', aliceDir)
    const [e] = await arriving
    expect(e!.session).toBe(aliceId)
    expect(e!.message).toMatchObject({ direction: 'in', text: 'hello bob, it is alice', read: false })
    const back = nextMessages(alice, 1, { session: bobId, after: (await alice.getMessages(bobId)).at(-1)!.seq })
    await bob.sendMessage(aliceId, 'hi alice')
    expect((await back)[0]!.message.text).toBe('hi alice')
    expect(await parsctl('session', 'messages', '--session', bobId, '--datadir', aliceDir)).toMatch(
      /> hello bob, it is alice\n.*< hi alice\n$/,
    )
    const list = await parsctl('session', 'list', '--datadir', bobDir)
    expect(list).toContain(`${aliceId}  2 messages  1 unread`)
    expect(await parsctl('session', 'status', '--datadir', bobDir)).toContain(`session id   ${bobId}`)
    expect((await parsctl('peers', '--datadir', bobDir)).trim().split('\n')).toHaveLength(N)
  })

  it('Bob registers bob.pars; Alice’s daemon resolves it at the finalized block; a daemon without a chain says it cannot', async () => {
    writeFileSync(join(dir, 'payer.key'), Buffer.from(devAccount(2).getHdKey().privateKey!).toString('hex') + '\n')
    const reg = await parsctl(
      'name',
      'register',
      'bob.pars',
      '--datadir',
      bobDir,
      '--passphrase-file',
      join(dir, 'bob.pass'),
      '--from-key',
      join(dir, 'payer.key'),
      '--rpc',
      nodes[0]!.url,
    )
    expect(reg).toContain('registered bob.pars')
    // registered in a block the network has finalized: every node's daemon can resolve it now
    expect(await alice.createSession('bob.pars')).toBe(bobId)
    expect((await parsctl('name', 'resolve', 'bob', '--rpc', nodes[3]!.url)).trim().split('\n').at(-1)).toBe(bobId)
    await expect(alice.createSession('nobody.pars')).rejects.toMatchObject({ code: 'UNKNOWN_NAME' })
    // Bob's sessiond was started without --rpc: it has no chain to ask
    await expect(bob.createSession('alice.pars')).rejects.toMatchObject({ code: 'UNKNOWN_NAME' })
  })

  it('Bob offline: Alice writes twice and a swarm member dies; Bob back online gets both, in order', async () => {
    const seen = Math.max(...(await bob.getMessages(aliceId)).map((m) => m.seq))
    await bobDaemon.stop()
    const sent = [`while you were away ${Date.now()}`, 'and again']
    for (const text of sent) await alice.sendMessage(bobId, text)
    await nodes[4]!.kill9() // every node is in the one swarm of a 5-node network
    bobDaemon = await startSessiond(
      ['--genesis', genesis, '--bootstrap', bootstrap, '--session-passphrase-file', join(dir, 'bob.pass')],
      bobDir,
    )
    bob.close()
    bob = await ParsSession.connect({ datadir: bobDir })
    const got = await nextMessages(bob, 2, { session: aliceId, after: seen })
    expect(got.map((e) => e.message.text)).toEqual(sent)
    expect(texts(await bob.getMessages(aliceId)).slice(-2)).toEqual(sent.map((t) => `< ${t}`))
  })

  it("Bob's second device, restored from his phrase, sees the whole conversation", async () => {
    const phone = join(dir, 'bob-phone')
    writeFileSync(join(dir, 'bob.phrase'), bobPhrase + '\n')
    await parsctl(
      'session',
      'identity',
      'restore',
      '--phrase-file',
      join(dir, 'bob.phrase'),
      '--datadir',
      phone,
      '--passphrase-file',
      join(dir, 'bob.pass'),
    )
    const expected = texts(await bob.getMessages(aliceId))
    const daemon = await startSessiond(
      ['--genesis', genesis, '--bootstrap', bootstrap, '--session-passphrase-file', join(dir, 'bob.pass')],
      phone,
    )
    const client = await ParsSession.connect({ datadir: phone })
    try {
      expect((await client.getOrCreateIdentity()).sessionId).toBe(bobId)
      const got = await nextMessages(client, expected.length, { after: 0 })
      expect(got.map((e) => e.session)).toEqual(expected.map(() => aliceId))
      expect(texts(await client.getMessages(aliceId))).toEqual(expected)
    } finally {
      client.close()
      await daemon.stop()
    }
  })

  it('parsctl session messages --follow prints a message as it arrives', async () => {
    const follow = spawn(process.execPath, [PARSCTL, 'session', 'messages', '--session', aliceId, '--follow', '--datadir', bobDir], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    const printed = new Promise<void>((resolve) => {
      follow.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d
        if (out.includes('< followed in real time')) resolve()
      })
    })
    // the history first: then the new message
    await new Promise<void>((resolve) => follow.stdout.once('data', () => resolve()))
    await alice.sendMessage(bobId, 'followed in real time')
    await printed
    const exited = new Promise<number | null>((resolve) => follow.once('exit', (code) => resolve(code)))
    follow.kill('SIGINT')
    expect(await exited).toBe(0)
    expect(out).toContain('< hello bob, it is alice')
  })

  it('the control API: a token is needed, loopback host names only, unknown methods and bad parameters refused by code', async () => {
    const { url, token } = await readControlFile(bobDir)
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const call = async (method: string, body: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`${url}/v1/${method}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
        body,
      })
      return { status: res.status, body: (await res.json()) as { result?: unknown; error?: { code: string; message: string } } }
    }
    expect(await call('GetIdentity', '{}', { authorization: 'Bearer ' + '0'.repeat(64) })).toMatchObject({
      status: 401,
      body: { error: { code: 'UNAUTHORIZED' } },
    })
    expect((await call('GetIdentity', '{}', { authorization: '' })).status).toBe(401)
    // a page on another name that resolves to 127.0.0.1 (DNS rebinding) is refused by its Host header
    const rebound = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${url}/v1/GetIdentity`,
        { method: 'POST', headers: { host: 'evil.example', authorization: `Bearer ${token}` } },
        (res) => {
          res.resume()
          resolve(res.statusCode!)
        },
      )
      req.once('error', reject)
      req.end('{}')
    })
    expect(rebound).toBe(401)
    expect(await call('DropTables', '{}')).toMatchObject({ status: 404, body: { error: { code: 'UNKNOWN_METHOD' } } })
    expect(await call('SendMessage', '{"session":"not an id!","text":"x"}')).toMatchObject({
      status: 400,
      body: { error: { code: 'BAD_PARAMS' } },
    })
    expect(await call('SendMessage', `{"session":"${aliceId}","text":""}`)).toMatchObject({ status: 400 })
    expect(await call('SendMessage', '{not json')).toMatchObject({ status: 400, body: { error: { code: 'BAD_PARAMS' } } })
    expect(await call('SendMessage', `{"session":"05${'ab'.repeat(32)}","text":"x"}`)).toMatchObject({
      status: 404,
      body: { error: { code: 'UNKNOWN_SESSION' } },
    })
    expect(await call('CreateIdentity', '{"passphrase":"x"}')).toMatchObject({ status: 409, body: { error: { code: 'IDENTITY_EXISTS' } } })
    expect(await call('WaitMessages', '{"after":0,"timeoutMs":600000}')).toMatchObject({ status: 400 })
    // and the daemon still serves
    expect((await call('GetIdentity', '{}')).body.result).toMatchObject({ sessionId: bobId })
  })

  it("no service node's database holds a plaintext, nor Alice's ID or key beside Bob's messages", async () => {
    await bobDaemon.stop()
    await Promise.all(nodes.map((n) => n.stop()))
    const bobKey = Buffer.from(bobId, 'hex')
    const aliceIdBytes = Buffer.from(aliceId, 'hex')
    let bobRecords = 0
    const datadirs = Array.from({ length: N }, (_, i) => join(dir, `node-${i}`))
    for await (const [k, v] of serviceRecords(datadirs)) {
      const both = Buffer.concat([Buffer.from(k), Buffer.from(v)])
      for (const text of ['hello bob', 'hi alice', 'while you were away', 'and again', 'followed in real time'])
        expect(both.includes(Buffer.from(text))).toBe(false)
      // records kept for Bob (key 0x01 ‖ recipient ‖ ...) never carry Alice's ID
      if (k[0] === 0x01 && Buffer.from(k.subarray(1, 34)).equals(bobKey)) {
        bobRecords++
        expect(Buffer.from(v).includes(aliceIdBytes)).toBe(false)
        expect(Buffer.from(v).includes(Buffer.from(aliceId))).toBe(false)
      }
    }
    expect(bobRecords).toBeGreaterThan(0)
  })
})
