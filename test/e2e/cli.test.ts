// The `parsd` command line as an operator meets it: --help, one clear line on stderr and exit status
// 1 for every startup problem, `parsd init` with a custom geth genesis and a follower on it, and
// `parsd export` / `parsd import` reproducing a chain in another datadir.
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { concatHex, keccak256, type Address, type Hash, type Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO_ROOT, freePort, startNode, type RunningNode } from './helpers/node.js'
import { RawWs, devAccount, rpc, rpcError } from './helpers/rpc.js'

const PARSD = [process.execPath, join(REPO_ROOT, 'dist', 'node', 'cli', 'parsd.js')]
const GWEI = 1_000_000_000n

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** Run parsd to completion (a one-shot command, or a start that must fail). */
function parsd(args: string[], timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(PARSD[0]!, [...PARSD.slice(1), ...args], { cwd: REPO_ROOT, timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null
      resolve({ code, stdout, stderr })
    })
  })
}

/** stderr lines that are not log records (parsd's own error line). */
function errorLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.trim() !== '')
    .filter((l) => !/^\d{4}-\d\d-\d\dT[\d:.]+Z (TRACE|DEBUG|INFO|WARN) /.test(l))
}

/** parsd must exit 1 with exactly one error line on stderr matching `why`. */
function expectOneLineFailure(r: Run, why: RegExp): void {
  const lines = errorLines(r.stderr)
  expect(r.code, `exit status; stderr:\n${r.stderr}`).toBe(1)
  expect(lines, r.stderr).toHaveLength(1)
  expect(lines[0]).toMatch(/^parsd: /)
  expect(lines[0]).toMatch(why)
}

let work: string
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'pars-e2e-cli-'))
})
afterAll(() => {
  rmSync(work, { recursive: true, force: true })
})

// A geth genesis of a London-era chain (no merge, no Shanghai: no PUSH0).
const LONDON_GENESIS = {
  config: {
    chainId: 1337,
    homesteadBlock: 0,
    eip150Block: 0,
    eip155Block: 0,
    eip158Block: 0,
    byzantiumBlock: 0,
    constantinopleBlock: 0,
    petersburgBlock: 0,
    istanbulBlock: 0,
    berlinBlock: 0,
    londonBlock: 0,
  },
  difficulty: '0x1',
  gasLimit: '0x1c9c380',
  extraData: '0x',
  alloc: {
    // decimal balances, as geth accepts
    [devAccount(0).address.slice(2).toLowerCase()]: { balance: '1000000000000000000000' },
    '0x00000000000000000000000000000000000000aa': {
      balance: '0x0',
      code: '0x5f5f5260205ff3',
      storage: { [`0x${'00'.repeat(31)}01`]: `0x${'00'.repeat(31)}2a` },
    },
  },
}

describe('parsd --help and startup failures', () => {
  it('--help lists every flag with its default, and exits 0', async () => {
    const r = await parsd(['--help'])
    expect(r.code).toBe(0)
    const flags: [string, string][] = [
      ['--dev', 'false'],
      ['--datadir', '~/.pars'],
      ['--genesis', ''],
      ['--rpc-addr', '127.0.0.1'],
      ['--rpc-port', '8545'],
      ['--rpc-cors', ''],
      ['--rpc-body-limit', '5242880'],
      ['--rpc-batch-limit', '1000'],
      ['--rpc-gas-cap', '50000000'],
      ['--rpc-logs-range', '10000'],
      ['--block-time', '400'],
      ['--coinbase', '0x0000000000000000000000000000000000000000'],
      ['--log-level', 'info'],
    ]
    for (const [flag, def] of flags) {
      const line = r.stdout.split('\n').find((l) => l.trimStart().startsWith(flag + ' '))
      expect(line, `${flag} in:\n${r.stdout}`).toBeDefined()
      expect(line).toMatch(/\(default: .+\)/)
      if (def !== '') expect(line).toContain(`(default: ${def}`)
    }
    for (const sub of ['init', 'import', 'export']) expect(r.stdout).toContain(`parsd ${sub}`)
    expect((await parsd(['--version'])).stdout).toMatch(/^parsd \d+\.\d+\.\d+/)
  })

  it('an unknown flag or a bad flag value: one line naming it, exit 1', async () => {
    expectOneLineFailure(await parsd(['--dev', '--frobnicate']), /frobnicate/)
    expectOneLineFailure(await parsd(['--dev', '--rpc-port', 'eighty']), /--rpc-port: expected a whole number/)
    expectOneLineFailure(await parsd(['--dev', '--coinbase', '0x1234']), /--coinbase/)
    expectOneLineFailure(await parsd(['frobnicate']), /unknown command "frobnicate"/)
  })

  it('the RPC port in use: one line, exit 1', async () => {
    const port = await freePort()
    const blocker: Server = createServer()
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r))
    try {
      const r = await parsd(['--dev', '--datadir', join(work, 'port-in-use'), '--rpc-port', String(port)])
      expectOneLineFailure(r, new RegExp(`port ${port} .*already in use`))
    } finally {
      await new Promise((r) => blocker.close(r))
    }
  })

  it('an unusable datadir (a path under a regular file): one line, exit 1', async () => {
    const file = join(work, 'a-file')
    writeFileSync(file, 'not a directory')
    expectOneLineFailure(await parsd(['--dev', '--datadir', join(file, 'sub'), '--rpc-port', '0']), /datadir .*a-file\/sub.* not usable/)
  })

  it('a datadir in use by another parsd: one line, exit 1; the running node is unharmed', async () => {
    const node = await startNode({ blockTime: 0 })
    try {
      const r = await parsd(['--dev', '--datadir', node.datadir, '--rpc-port', '0'])
      expectOneLineFailure(r, /in use by another parsd/)
      expect(await rpc(node.url, 'eth_chainId')).toBe('0x17f5')
    } finally {
      await node.dispose()
    }
  })

  it('parsd init with a bad genesis file: one line saying what is wrong, exit 1, nothing initialised', async () => {
    const datadir = join(work, 'bad-genesis')
    const bad = join(work, 'bad.json')
    writeFileSync(bad, '{"config": {"chainId": 1337,')
    expectOneLineFailure(await parsd(['init', '--genesis', bad, '--datadir', datadir]), /not valid JSON/)
    expectOneLineFailure(await parsd(['init', '--genesis', join(work, 'missing.json'), '--datadir', datadir]), /cannot be read/)
    const wrong = join(work, 'wrong.json')
    writeFileSync(wrong, JSON.stringify({ ...LONDON_GENESIS, config: { ...LONDON_GENESIS.config, chainId: 'one' } }))
    expectOneLineFailure(await parsd(['init', '--genesis', wrong, '--datadir', datadir]), /config\.chainId/)
    expectOneLineFailure(await parsd(['init', '--datadir', datadir]), /--genesis/)
    // none of it left a chain behind: a good genesis still initialises the datadir
    const good = join(work, 'good.json')
    writeFileSync(good, JSON.stringify(LONDON_GENESIS))
    const ok = await parsd(['init', '--genesis', good, '--datadir', datadir])
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toMatch(/chain id 1337/)
  })
})

it('parsd init accepts alloc storage keys and values shorter than 32 bytes, left-padded (as geth)', async () => {
  // geth reads genesis storage as storageJSON: "allows less than 256 bits when unmarshaling from hex"
  const file = join(work, 'short-storage.json')
  const g = structuredClone(LONDON_GENESIS) as { alloc: Record<string, { storage?: Record<string, string> }> }
  g.alloc['0x00000000000000000000000000000000000000aa']!.storage = { '0x01': '0x2a' }
  writeFileSync(file, JSON.stringify(g))
  const r = await parsd(['init', '--genesis', file, '--datadir', join(work, 'short-storage')])
  expect(r.code, r.stderr).toBe(0)
  // the same chain as with full-length keys
  const full = join(work, 'full-storage.json')
  writeFileSync(full, JSON.stringify(LONDON_GENESIS))
  const f = await parsd(['init', '--genesis', full, '--datadir', join(work, 'full-storage')])
  expect(r.stdout.replace(/^.*genesis /s, '')).toBe(f.stdout.replace(/^.*genesis /s, ''))
})

describe('parsd init with a custom geth genesis, then a follower on it', () => {
  let node: RunningNode | undefined
  let datadir: string
  let genesisHash: string

  beforeAll(async () => {
    datadir = join(work, 'london')
    const file = join(work, 'london.json')
    writeFileSync(file, JSON.stringify(LONDON_GENESIS))
    const r = await parsd(['init', '--genesis', file, '--datadir', datadir])
    expect(r.code, r.stderr).toBe(0)
    const m = /chain id 1337, genesis ([0-9a-f]{64})/.exec(r.stdout)
    expect(m, r.stdout).not.toBeNull()
    genesisHash = `0x${m![1]}`
    // initialising again with the same genesis is harmless; another genesis is refused
    const again = await parsd(['init', '--genesis', file, '--datadir', datadir])
    expect(again.code, again.stderr).toBe(0)
    const other = join(work, 'london-other.json')
    writeFileSync(other, JSON.stringify({ ...LONDON_GENESIS, config: { ...LONDON_GENESIS.config, chainId: 1338 } }))
    expectOneLineFailure(await parsd(['init', '--genesis', other, '--datadir', datadir]), /different genesis/)
    node = await startNode({ dev: false, datadir })
  })
  afterAll(async () => {
    await node?.stop()
  })

  it('serves chain id 1337 from the genesis it was initialised with', async () => {
    expect(node!.chainId).toBe(1337)
    expect(await rpc(node!.url, 'net_version')).toBe('1337')
    expect(await rpc(node!.url, 'eth_blockNumber')).toBe('0x0')
    const g = await rpc<{
      hash: string
      number: string
      gasLimit: string
      difficulty: string
      baseFeePerGas?: string
      withdrawalsRoot?: string
    }>(node!.url, 'eth_getBlockByNumber', ['0x0', false])
    expect(g.hash).toBe(genesisHash)
    expect(g.gasLimit).toBe('0x1c9c380')
    expect(g.difficulty).toBe('0x1')
    expect(g.baseFeePerGas).toBe('0x3b9aca00') // London's initial base fee
    expect(g.withdrawalsRoot).toBeUndefined() // no Shanghai
    expect(BigInt(await rpc<Hex>(node!.url, 'eth_getBalance', [devAccount(0).address, 'latest']))).toBe(1000n * 10n ** 18n)
    expect(await rpc(node!.url, 'eth_getCode', ['0x00000000000000000000000000000000000000aa', 'latest'])).toBe('0x5f5f5260205ff3')
    expect(await rpc(node!.url, 'eth_getStorageAt', ['0x00000000000000000000000000000000000000aa', '0x1', 'latest'])).toBe(
      `0x${'00'.repeat(31)}2a`,
    )
    // no dev accounts on a follower
    expect(await rpc(node!.url, 'eth_accounts')).toEqual([])
  })

  it('runs London rules: PUSH0 (Shanghai) is an invalid opcode there', async () => {
    // 0x5f5f5260205ff3: PUSH0 PUSH0 MSTORE PUSH1 32 PUSH0 RETURN
    const err = await rpcError(node!.url, 'eth_call', [{ to: '0x00000000000000000000000000000000000000aa' }, 'latest'])
    expect(err.code).toBe(-32000)
    expect(err.message).toMatch(/invalid opcode|opcode/i)
  })

  it('makes no blocks: it logs that it follows, and a transaction waits in the pool', async () => {
    expect(node!.output()).toMatch(/following the chain, making no blocks/)
    const account = devAccount(0)
    const raw = await account.signTransaction({
      chainId: 1337,
      type: 'eip1559',
      nonce: 0,
      to: devAccount(1).address,
      value: 1n,
      gas: 21_000n,
      maxFeePerGas: 10n * GWEI,
      maxPriorityFeePerGas: GWEI,
    })
    expect(await rpc(node!.url, 'eth_sendRawTransaction', [raw])).toBe(keccak256(raw))
    expect(await rpc(node!.url, 'txpool_status')).toEqual({ pending: '0x1', queued: '0x0' })
    expect(await rpc(node!.url, 'eth_blockNumber')).toBe('0x0')
    // the node signs only with --dev (README): elsewhere eth_sendTransaction is not available
    const send = await rpcError(node!.url, 'eth_sendTransaction', [{ from: account.address, to: devAccount(1).address, value: '0x1' }])
    expect(send.code).toBe(-32601)
  })
})

describe('parsd export / parsd import', () => {
  const LOGGER_INIT = concatHex(['0x6007600c60003960076000f3', '0x3360206000a100'])
  let genesisFile: string
  let source: string
  let exported: string
  let head: { number: Hex; hash: Hash }
  let hashes: Hash[] = []
  let receipts: unknown[] = []
  let logs: unknown
  const recipient = privateKeyToAccount(generatePrivateKey()).address

  beforeAll(async () => {
    source = join(work, 'export-source')
    mkdirSync(source)
    // a plain `parsd --dev` chain
    const node = await startNode({ datadir: source, blockTime: 0 })
    try {
      expect(node.chainId).toBe(6133)
      const ws = await RawWs.open(node.wsUrl)
      const a = devAccount(1)
      const b = devAccount(2)
      const fee = { maxFeePerGas: 20n * GWEI, maxPriorityFeePerGas: GWEI }
      const raws: Hex[] = [await b.signTransaction({ chainId: 6133, type: 'eip1559', nonce: 0, gas: 100_000n, data: LOGGER_INIT, ...fee })]
      for (let i = 0; i < 5; i++)
        raws.push(
          await a.signTransaction({ chainId: 6133, type: 'eip1559', nonce: i, to: recipient, value: BigInt(i + 1), gas: 21_000n, ...fee }),
        )
      for (const raw of raws) hashes.push(await ws.call<Hash>('eth_sendRawTransaction', [raw]))
      const logger = (await rpc<{ contractAddress: Address }>(node.url, 'eth_getTransactionReceipt', [hashes[0]])).contractAddress
      for (let i = 1; i <= 3; i++) {
        hashes.push(
          await ws.call<Hash>('eth_sendRawTransaction', [
            await b.signTransaction({ chainId: 6133, type: 'eip1559', nonce: i, to: logger, gas: 60_000n, ...fee }),
          ]),
        )
      }
      await ws.close()
      // block time 0: each send was answered once its block existed
      receipts = await Promise.all(hashes.map((h) => rpc(node.url, 'eth_getTransactionReceipt', [h])))
      expect(receipts.every((r) => r !== null)).toBe(true)
      head = await rpc(node.url, 'eth_getBlockByNumber', ['latest', false])
      logs = await rpc(node.url, 'eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest' }])
    } finally {
      await node.stop()
    }
    exported = join(work, 'chain.rlp')
    const r = await parsd(['export', exported, '--datadir', source])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain(`exported ${Number(head.number) + 1} blocks`)
    // the dev genesis is stamped with its creation time: take the one this datadir stored
    const dump = await parsd(['dumpgenesis', '--datadir', source])
    expect(dump.code, dump.stderr).toBe(0)
    const genesis = JSON.parse(dump.stdout) as { config: { chainId: number } }
    expect(genesis.config.chainId).toBe(6133)
    genesisFile = join(work, 'dev-genesis.json')
    writeFileSync(genesisFile, dump.stdout)
  })

  it('a --dev chain exported, then imported into a datadir initialised with its dumped genesis: same head hash, receipts and logs', async () => {
    const target = join(work, 'import-target')
    const init = await parsd(['init', '--genesis', genesisFile, '--datadir', target])
    expect(init.code, init.stderr).toBe(0)
    const imp = await parsd(['import', exported, '--datadir', target])
    expect(imp.code, imp.stderr).toBe(0)
    expect(imp.stdout).toContain(`imported ${Number(head.number)} blocks (1 already present)`)
    // importing again adds nothing
    const again = await parsd(['import', exported, '--datadir', target])
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toContain(`imported 0 blocks (${Number(head.number) + 1} already present)`)

    const node = await startNode({ dev: false, datadir: target })
    try {
      const h = await rpc<{ number: Hex; hash: Hash }>(node.url, 'eth_getBlockByNumber', ['latest', false])
      expect(h.hash).toBe(head.hash)
      expect(h.number).toBe(head.number)
      expect(await Promise.all(hashes.map((x) => rpc(node.url, 'eth_getTransactionReceipt', [x])))).toEqual(receipts)
      expect(await rpc(node.url, 'eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest' }])).toEqual(logs)
      expect(BigInt(await rpc<Hex>(node.url, 'eth_getBalance', [recipient, 'latest']))).toBe(15n)
      // imported blocks are final
      expect((await rpc<{ hash: Hash }>(node.url, 'eth_getBlockByNumber', ['finalized', false])).hash).toBe(head.hash)
    } finally {
      await node.dispose()
    }
  })

  it('import into a datadir of another chain, or of a broken file, fails with one line', async () => {
    const other = join(work, 'import-other')
    const london = join(work, 'london2.json')
    writeFileSync(london, JSON.stringify(LONDON_GENESIS))
    expect((await parsd(['init', '--genesis', london, '--datadir', other])).code).toBe(0)
    expectOneLineFailure(await parsd(['import', exported, '--datadir', other]), /chain\.rlp/)
    const broken = join(work, 'broken.rlp')
    writeFileSync(broken, readFileSync(exported).subarray(0, 100))
    const target = join(work, 'import-broken')
    expect((await parsd(['init', '--genesis', genesisFile, '--datadir', target])).code).toBe(0)
    expectOneLineFailure(await parsd(['import', broken, '--datadir', target]), /broken\.rlp/)
    writeFileSync(broken, 'hello, not rlp')
    expectOneLineFailure(await parsd(['import', broken, '--datadir', target]), /broken\.rlp/)
  })

  it('import into (or dumpgenesis of) an uninitialised datadir says so in one line', async () => {
    expectOneLineFailure(await parsd(['import', exported, '--datadir', join(work, 'import-nothing')]), /parsd init --genesis/)
    expectOneLineFailure(await parsd(['dumpgenesis', '--datadir', join(work, 'dump-nothing')]), /no chain/)
  })
})
