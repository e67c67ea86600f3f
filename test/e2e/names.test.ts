// The Session Name Service on `parsd --dev`, as a user meets it through parsctl: a Session identity
// registers alice.pars (its key consents, the fee is burned), anyone resolves it to her Session ID,
// taken and malformed names and forged consents are refused, and renew / transfer / release follow
// the owner.
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createPublicClient, createWalletClient, defineChain, http, parseEther, type Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NameRegistry } from '../../evm/index.js'
import { identityFromPhrase, sessionIdBody, signNameProof } from '../../session/index.js'
import { DEV_CHAIN_ID, REPO_ROOT, startNode, type RunningNode } from './helpers/node.js'
import { devAccount } from './helpers/rpc.js'

const PARSCTL = join(REPO_ROOT, 'dist', 'node', 'cli', 'parsctl.js')
const run = promisify(execFile)

describe('names (NameRegistry) through parsctl on a dev node', () => {
  let node: RunningNode
  let dir: string
  let aliceId: string
  let bobId: string
  const keyFile = (i: number) => join(dir, `key-${i}`)
  const ctl = async (...args: string[]) => {
    try {
      const r = await run(process.execPath, [PARSCTL, ...args, '--rpc', node.url], { cwd: REPO_ROOT, timeout: 60_000 })
      return { code: 0, out: r.stdout, err: r.stderr }
    } catch (e) {
      const x = e as { code: number; stdout: string; stderr: string }
      return { code: x.code, out: x.stdout, err: x.stderr }
    }
  }

  beforeAll(async () => {
    node = await startNode({ blockTime: 0 })
    dir = mkdtempSync(join(tmpdir(), 'pars-e2e-names-'))
    writeFileSync(join(dir, 'pass'), 'a passphrase\n')
    for (const i of [1, 2]) writeFileSync(keyFile(i), Buffer.from(devAccount(i).getHdKey().privateKey!).toString('hex') + '\n')
    const create = async (who: string) =>
      (
        await run(
          process.execPath,
          [PARSCTL, 'session', 'identity', 'create', '--datadir', join(dir, who), '--passphrase-file', join(dir, 'pass')],
          {
            cwd: REPO_ROOT,
          },
        )
      ).stdout
        .trim()
        .split('\n')
        .at(-1)!
    aliceId = await create('alice')
    bobId = await create('bob')
  })

  afterAll(async () => {
    await node?.dispose()
    rmSync(dir, { recursive: true, force: true })
  })

  it('alice.pars is registered with her key’s consent, the fee burned, and resolves to her Session ID', async () => {
    const balance = async () =>
      createPublicClient({ transport: http(node.url) }).getBalance({ address: '0x0000000000000000000000000000000000000000' })
    const burnedBefore = await balance()
    const r = await ctl(
      'name',
      'register',
      'Alice.pars',
      '--from-key',
      keyFile(1),
      '--datadir',
      join(dir, 'alice'),
      '--passphrase-file',
      join(dir, 'pass'),
    )
    expect(r.err).toBe('')
    expect(r.out).toContain('registered alice.pars')
    expect(r.out.trim().split('\n').at(-1)).toMatch(/^0x[0-9a-f]{64} success$/)
    // the fee went to the zero address (which, on --dev, also takes the block's fees)
    expect((await balance()) - burnedBefore >= parseEther('1')).toBe(true)
    expect(await createPublicClient({ transport: http(node.url) }).getBalance({ address: NameRegistry.address })).toBe(0n)
    const resolved = await ctl('name', 'resolve', 'alice.pars')
    expect(resolved.out.trim().split('\n').at(-1)).toBe(aliceId)
    expect((await ctl('name', 'resolve', 'ALICE')).out.trim().split('\n').at(-1)).toBe(aliceId)
  })

  it('a taken name, a malformed one, an unknown one and a forged consent are refused with clear errors', async () => {
    const taken = await ctl(
      'name',
      'register',
      'alice',
      '--from-key',
      keyFile(2),
      '--datadir',
      join(dir, 'bob'),
      '--passphrase-file',
      join(dir, 'pass'),
    )
    expect(taken.code).toBe(1)
    expect(taken.err).toMatch(/NameTaken/)
    const bad = await ctl(
      'name',
      'register',
      'no spaces!',
      '--from-key',
      keyFile(2),
      '--datadir',
      join(dir, 'bob'),
      '--passphrase-file',
      join(dir, 'pass'),
    )
    expect(bad.code).toBe(1)
    expect(bad.err).toMatch(/not a name/)
    expect((await ctl('name', 'resolve', 'nobody.pars')).err).toMatch(/nobody\.pars is not registered/)
    // Mallory registers "bobby" for Bob's Session ID with her own key's signature: the contract refuses
    const bob = identityFromPhrase(
      'legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth title',
    )
    const mallory = identityFromPhrase(
      'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art',
    )
    const account = devAccount(2)
    const chain = defineChain({
      id: DEV_CHAIN_ID,
      name: 'dev',
      nativeCurrency: { name: 'PARS', symbol: 'PARS', decimals: 18 },
      rpcUrls: { default: { http: [node.url] } },
    })
    const wallet = createWalletClient({ account, chain, transport: http(node.url) })
    const attempt = (id: string, key: Uint8Array, proof: Hex) =>
      wallet
        .writeContract({
          address: NameRegistry.address,
          abi: NameRegistry.abi,
          functionName: 'register',
          args: ['bobby', sessionIdBody(id), `0x${Buffer.from(key).toString('hex')}`, proof],
          value: parseEther('1'),
        })
        .then(
          () => 'registered',
          (e: unknown) => String(e),
        )
    const malloryProof = signNameProof(mallory, 'bobby', account.address, BigInt(DEV_CHAIN_ID))
    expect(await attempt(bob.sessionId, mallory.mldsa.publicKey, malloryProof)).toMatch(/KeyNotForSession/)
    // Bob's key, but consent given to another owner: the proof does not verify for this sender
    const elsewhere = signNameProof(bob, 'bobby', devAccount(1).address, BigInt(DEV_CHAIN_ID))
    expect(await attempt(bob.sessionId, bob.mldsa.publicKey, elsewhere)).toMatch(/BadProof/)
    expect((await ctl('name', 'resolve', 'bobby')).code).toBe(1)
    void bobId
  })

  it('renew, transfer and release follow the owner', async () => {
    expect((await ctl('name', 'renew', 'alice', '--from-key', keyFile(2))).err).toMatch(/NotOwner/)
    expect((await ctl('name', 'renew', 'alice', '--from-key', keyFile(1))).out).toContain('renewed alice.pars')
    const to = devAccount(2).address
    expect((await ctl('name', 'transfer', 'alice', '--to', to, '--from-key', keyFile(1))).out).toContain('transferred alice.pars')
    expect((await ctl('name', 'release', 'alice', '--from-key', keyFile(1))).err).toMatch(/NotOwner/)
    expect((await ctl('name', 'release', 'alice', '--from-key', keyFile(2))).out).toContain('released alice.pars')
    expect((await ctl('name', 'resolve', 'alice')).err).toMatch(/not registered/)
  })
})
