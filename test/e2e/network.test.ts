// A real validator network: `parsd testnet init` for 4 validators, then 4 `parsd --datadir DIR/node-i`
// processes on 127.0.0.1 talking libp2p. Finality, a node killed (the rest still finalize), its
// return (it catches up), the current proposer killed with -9 in the middle of its block, and a
// transaction sent to any node landing once.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPublicClient, createWalletClient, defineChain, http, type Hex, type PublicClient } from 'viem'
import { mnemonicToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { proposerSchedule, ValidatorSet } from '../../consensus/index.js'
import { DEV_MNEMONIC, REPO_ROOT, freeTestnetBase, startNode, type RunningNode } from './helpers/node.js'
import { rpc } from './helpers/rpc.js'

const N = 4
const PARSD = join(REPO_ROOT, 'dist', 'node', 'cli', 'parsd.js')

/** A base port P with P..P+N-1 (RPC) and P+100..P+100+N-1 (p2p) all free right now. */
function chainOf(url: string) {
  return defineChain({
    id: 6133,
    name: 'Pars testnet',
    nativeCurrency: { name: 'Pars', symbol: 'PARS', decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  })
}

describe('a 4-validator network of real parsd processes', () => {
  let dir: string
  let base: number
  const nodes: (RunningNode | undefined)[] = []
  const url = (i: number) => `http://127.0.0.1:${base + i}`

  const start = async (i: number) => {
    nodes[i] = await startNode({ dev: false, datadir: join(dir, `node-${i}`), rpcPort: base + i, p2pPort: false })
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pars-e2e-net-'))
    base = await freeTestnetBase(N)
    const out = execFileSync(
      process.execPath,
      [PARSD, 'testnet', 'init', '--validators', String(N), '--out', dir, '--base-port', String(base)],
      { encoding: 'utf8' },
    )
    expect(out).toContain(`node-${N - 1}`)
    await Promise.all(Array.from({ length: N }, (_, i) => start(i)))
  })

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n?.stop()))
    rmSync(dir, { recursive: true, force: true })
  })

  const head = async (i: number) => rpc<{ number: Hex; hash: Hex }>(url(i), 'eth_getBlockByNumber', ['latest', false])

  /** Send a transfer from dev account `from` through node `via`; wait for its receipt there. */
  async function transfer(via: number, from: number, client?: PublicClient): Promise<{ hash: Hex; block: bigint }> {
    const account = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: from })
    const chain = chainOf(url(via))
    const wallet = createWalletClient({ account, chain, transport: http(url(via)) })
    const pub = client ?? createPublicClient({ chain, transport: http(url(via)) })
    const hash = await wallet.sendTransaction({ to: '0x000000000000000000000000000000000000dEaD', value: 1n })
    const r = await pub.waitForTransactionReceipt({ hash, pollingInterval: 50, timeout: 30_000 })
    expect(r.status).toBe('success')
    return { hash, block: r.blockNumber }
  }

  /** Every listed node has the same block at `height`: polls each (50 ms) until it has one, 30 s at most. */
  async function agreeAt(height: bigint, on: number[]): Promise<Hex> {
    const hashes = await Promise.all(
      on.map(async (i) => {
        const deadline = Date.now() + 30_000
        for (;;) {
          const b = await rpc<{ hash: Hex } | null>(url(i), 'eth_getBlockByNumber', [`0x${height.toString(16)}`, false]).catch(() => null)
          if (b !== null) return b.hash
          if (Date.now() > deadline) throw new Error(`node ${i} has no block ${height} after 30 s:\n${nodes[i]?.output().slice(-3000)}`)
          await new Promise((r) => setTimeout(r, 50))
        }
      }),
    )
    expect(new Set(hashes).size).toBe(1)
    return hashes[0]!
  }

  it('reports itself: pars_status and pars_getValidators on every node', async () => {
    for (let i = 0; i < N; i++) {
      const s = await rpc<{ mode: string; validators: Hex; consensus: { k: number } }>(url(i), 'pars_status', [])
      expect(s.mode).toBe('validator')
      expect(BigInt(s.validators)).toBe(BigInt(N))
      expect(s.consensus.k).toBe(N)
    }
    const vs = await rpc<{ peerId: string; stake: Hex }[]>(url(0), 'pars_getValidators', [])
    expect(vs).toHaveLength(N)
    // and through parsctl, as an operator asks
    const PARSCTL = join(REPO_ROOT, 'dist', 'node', 'cli', 'parsctl.js')
    const status = execFileSync(process.execPath, [PARSCTL, '--rpc', url(0), 'status'], { encoding: 'utf8' })
    expect(status).toMatch(/^mode\s+validator$/m)
    expect(status).toMatch(new RegExp(`^validators\\s+${N}$`, 'm'))
    const listed = execFileSync(process.execPath, [PARSCTL, '--rpc', url(0), 'validators'], { encoding: 'utf8' })
      .trim()
      .split('\n')
    expect(listed).toHaveLength(N)
    expect(listed.every((l) => /^12D3Koo\w+\s+0x[0-9a-fA-F]{40}\s+stake 1000\s+connected/.test(l))).toBe(true)
  })

  it('a transaction sent to any node lands once, and every node finalizes the same block', async () => {
    const { hash, block } = await transfer(2, 1)
    const h = await agreeAt(block, [0, 1, 2, 3])
    const on3 = await rpc<{ blockHash: Hex } | null>(url(3), 'eth_getTransactionReceipt', [hash])
    expect(on3?.blockHash).toBe(h)
    // finalized and safe follow finality: nothing is final that was not decided
    const fin = await rpc<{ number: Hex }>(url(0), 'eth_getBlockByNumber', ['finalized', false])
    expect(BigInt(fin.number)).toBeGreaterThanOrEqual(block)
  })

  it('with one node killed the rest still finalize; restarted, it catches up (by range sync)', async () => {
    await nodes[3]!.kill9()
    const { block } = await transfer(0, 2)
    let later = block
    // more blocks than RANGE_SYNC_GAP while it is down: it comes back by range sync
    for (let k = 0; k < 11; k++) later = (await transfer(k % 3, 2)).block
    expect(later).toBeGreaterThan(block + 8n)
    await agreeAt(later, [0, 1, 2])
    await start(3)
    await agreeAt(later, [0, 1, 2, 3])
    const s = await rpc<{ syncedBlocks: Hex }>(url(3), 'pars_status', [])
    expect(BigInt(s.syncedBlocks)).toBeGreaterThanOrEqual(8n)
    // and it takes part again
    const { block: after } = await transfer(3, 3)
    await agreeAt(after, [0, 1, 2, 3])
  })

  it('a non-validator node follows: it catches up from the validators, serves RPC, and its transactions land', async () => {
    const genesis = join(dir, 'genesis.json')
    const bootstrap = (await Promise.all(Array.from({ length: N }, (_, i) => rpc<{ peerId: string }>(url(i), 'pars_status', []))))
      .map((s, i) => `/ip4/127.0.0.1/tcp/${base + 100 + i}/p2p/${s.peerId}`)
      .join(',')
    const follower = await startNode({
      dev: false,
      datadir: join(dir, 'follower'),
      p2pPort: false,
      args: ['--genesis', genesis, '--bootstrap', bootstrap, '--p2p-addr', '127.0.0.1', '--p2p-port', String(base + 100 + N)],
    })
    nodes.push(follower)
    const furl = follower.url
    const status = await rpc<{ mode: string }>(furl, 'pars_status', [])
    expect(status.mode).toBe('follower')
    const tip = BigInt((await head(0)).number)
    const account = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 6 })
    const chain = chainOf(furl)
    const hash = await createWalletClient({ account, chain, transport: http(furl) }).sendTransaction({
      to: '0x000000000000000000000000000000000000dEaD',
      value: 1n,
    })
    const r = await createPublicClient({ chain, transport: http(furl) }).waitForTransactionReceipt({
      hash,
      pollingInterval: 50,
      timeout: 30_000,
    })
    expect(r.blockNumber).toBeGreaterThan(tip)
    // the follower has every block the validators have, the same
    for (let h = 1n; h <= r.blockNumber; h++) {
      const [a, b] = await Promise.all([
        rpc<{ hash: Hex }>(url(0), 'eth_getBlockByNumber', [`0x${h.toString(16)}`, false]),
        rpc<{ hash: Hex }>(furl, 'eth_getBlockByNumber', [`0x${h.toString(16)}`, false]),
      ])
      expect(b.hash).toBe(a.hash)
    }
  })

  it('the proposer killed with -9 in the middle of its block: the network goes on, the node recovers, no one disagrees', async () => {
    const tip = await head(0)
    const before = BigInt(tip.number)
    // who proposes the next block: the schedule every node computes from the parent and height
    const genesis = JSON.parse(readFileSync(join(dir, 'genesis.json'), 'utf8')) as {
      config: { pars: { validators: { peerId: string; stake: string }[] } }
    }
    const set = new ValidatorSet(genesis.config.pars.validators.map((v) => ({ id: v.peerId, stake: BigInt(v.stake) })))
    const proposer = proposerSchedule(set, tip.hash, Number(before) + 1)[0]!
    const peerIds = await Promise.all(
      Array.from({ length: N }, (_, i) => rpc<{ peerId: string }>(url(i), 'pars_status', []).then((s) => s.peerId)),
    )
    const victim = peerIds.indexOf(proposer)
    expect(victim).toBeGreaterThanOrEqual(0)
    const via = (victim + 1) % N
    // a transaction reaches the proposer by gossip; it is killed while building and proposing
    const account = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 5 })
    const wallet = createWalletClient({ account, chain: chainOf(url(via)), transport: http(url(via)) })
    const hash = await wallet.sendTransaction({ to: '0x000000000000000000000000000000000000dEaD', value: 1n })
    await nodes[victim]!.kill9()
    // the next proposer in the schedule takes over after its window; the transaction lands once
    const pub = createPublicClient({ chain: chainOf(url(via)), transport: http(url(via)) })
    const r = await pub.waitForTransactionReceipt({ hash, pollingInterval: 50, timeout: 30_000 })
    expect(r.status).toBe('success')
    const others = [0, 1, 2, 3].filter((i) => i !== victim)
    await agreeAt(r.blockNumber, others)
    await start(victim)
    const now = BigInt((await head(via)).number)
    for (let h = before; h <= now; h++) await agreeAt(h, [0, 1, 2, 3])
  })
})
