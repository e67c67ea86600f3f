// npm run bench:consensus — finality latency and throughput of a real validator network on loopback
// (4 and 10 parsd processes, `parsd testnet init`), and 100 simulated validators (test/sim) for the
// polls each decision takes against k*beta. Targets (issue 5): p50 <= 1 s and p99 <= 2 s from
// submission to finality, >= 200 transfers/s through 4 nodes. Writes the table into
// docs/performance.md.
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, openSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { mnemonicToAccount } from 'viem/accounts'
import { freeTestnetBase, writeDocBlock } from './lib.mjs'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const PARSD = join(ROOT, 'dist', 'node', 'cli', 'parsd.js')
const MNEMONIC = 'test test test test test test test test test test test junk'
const LATENCY_TXS = Number(process.env.PARS_BENCH_LATENCY_TXS ?? 60)
const LOAD_TXS = Number(process.env.PARS_BENCH_LOAD_TXS ?? 1200)
// transfers per latency sender before measuring (see measureNetwork)
const WARMUP_TXS = Number(process.env.PARS_BENCH_WARMUP_TXS ?? 5)
// extra node flags, e.g. PARS_BENCH_NODE_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/p' to profile the validators
const NODE_FLAGS = (process.env.PARS_BENCH_NODE_FLAGS ?? '').split(' ').filter((f) => f.length > 0)
// PARS_BENCH_LOG=debug writes each validator's log to PARS_BENCH_LOG_DIR (default the OS temp dir)/node-i.log
const LOG_LEVEL = process.env.PARS_BENCH_LOG ?? 'warn'
const LOG_DIR = process.env.PARS_BENCH_LOG_DIR ?? tmpdir()

async function rpc(url, method, params = []) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  })
  const body = await res.json()
  if (body.error) throw new Error(`${method}: ${body.error.message}`)
  return body.result
}

async function batch(url, calls) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(calls.map(([method, params], id) => ({ jsonrpc: '2.0', id, method, params }))),
  })
  return res.json()
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]
}

async function waitFor(fn, what, ms = 60_000, every = 100) {
  const end = Date.now() + ms
  for (;;) {
    try {
      if (await fn()) return
    } catch {
      // not yet
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, every))
  }
}

async function network(n) {
  const dir = mkdtempSync(join(tmpdir(), 'pars-bench-net-'))
  const base = await freeTestnetBase(n)
  execFileSync(process.execPath, [PARSD, 'testnet', 'init', '--validators', String(n), '--out', dir, '--base-port', String(base)])
  const procs = Array.from({ length: n }, (_, i) =>
    spawn(process.execPath, [...NODE_FLAGS, PARSD, '--datadir', join(dir, `node-${i}`), '--log-level', LOG_LEVEL], {
      stdio: LOG_LEVEL === 'warn' ? 'ignore' : ['ignore', 'ignore', openSync(join(LOG_DIR, `node-${i}.log`), 'w')],
    }),
  )
  const urls = Array.from({ length: n }, (_, i) => `http://127.0.0.1:${base + i}`)
  await waitFor(
    async () => (await Promise.all(urls.map((u) => rpc(u, 'pars_status')))).every((s) => Number(s.peers) >= n - 1),
    `${n} nodes to connect`,
  )
  return {
    urls,
    async stop() {
      for (const p of procs) p.kill('SIGTERM')
      await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r() : p.once('exit', r)))))
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

async function signTransfers(account, count, startNonce) {
  const out = []
  for (let i = 0; i < count; i++) {
    out.push(
      await account.signTransaction({
        chainId: 6133,
        type: 'eip1559',
        to: '0x000000000000000000000000000000000000dEaD',
        value: 1n,
        gas: 21_000n,
        maxFeePerGas: 100_000_000_000n,
        maxPriorityFeePerGas: 1_000_000_000n,
        nonce: startNonce + i,
      }),
    )
  }
  return out
}

async function receipt(url, hash) {
  for (;;) {
    const r = await rpc(url, 'eth_getTransactionReceipt', [hash])
    if (r !== null) return r
    await new Promise((res) => setTimeout(res, 10))
  }
}

async function measureNetwork(n) {
  const net = await network(n)
  try {
    // latency: 4 senders, each sends, waits for the receipt at the node it used (final there), repeats.
    // The first WARMUP_TXS of each sender are not counted: a freshly started process spends its first
    // blocks compiling (the first cycles take 2-3x the later ones), and a validator runs for months.
    const lat = []
    const cold = []
    const senders = [1, 2, 3, 4].map((i) => mnemonicToAccount(MNEMONIC, { addressIndex: i }))
    await Promise.all(
      senders.map(async (acct, j) => {
        const url = net.urls[j % n]
        const nonce = Number(await rpc(url, 'eth_getTransactionCount', [acct.address, 'pending']))
        const raws = await signTransfers(acct, WARMUP_TXS + LATENCY_TXS / senders.length, nonce)
        for (const [i, raw] of raws.entries()) {
          const t = performance.now()
          const hash = await rpc(url, 'eth_sendRawTransaction', [raw])
          await receipt(url, hash)
          ;(i >= WARMUP_TXS ? lat : cold).push(performance.now() - t)
        }
      }),
    )
    // throughput: many pre-signed transfers from 15 accounts, spread over the nodes, until the last is final
    const loaders = Array.from({ length: 15 }, (_, i) => mnemonicToAccount(MNEMONIC, { addressIndex: 5 + i }))
    const per = Math.floor(LOAD_TXS / loaders.length)
    const starts = await Promise.all(
      loaders.map(async (a) => Number(await rpc(net.urls[0], 'eth_getTransactionCount', [a.address, 'pending']))),
    )
    const signed = await Promise.all(loaders.map((a, j) => signTransfers(a, per, starts[j])))
    const startBlock = Number(await rpc(net.urls[0], 'eth_blockNumber'))
    const t0 = performance.now()
    await Promise.all(
      signed.map(async (raws, j) => {
        const url = net.urls[j % n]
        // at most 60 in flight per sender (the pool holds 64 per account): sustained load, not a burst
        for (let k = 0; k < raws.length; k += 30) {
          await waitFor(
            async () => Number(await rpc(url, 'eth_getTransactionCount', [loaders[j].address, 'latest'])) >= starts[j] + k - 30,
            'the pool to drain',
            300_000,
          )
          const answers = await batch(
            url,
            raws.slice(k, k + 30).map((r) => ['eth_sendRawTransaction', [r]]),
          )
          for (const a of answers) if (a.error) throw new Error(`send: ${a.error.message}`)
        }
      }),
    )
    // until every transfer is final at node 0 (its sender's nonce there has moved past it)
    await waitFor(
      async () => {
        const counts = await batch(
          net.urls[0],
          loaders.map((a) => ['eth_getTransactionCount', [a.address, 'latest']]),
        )
        return counts.every((c) => Number(c.result) >= starts[c.id] + per)
      },
      'every transfer to be final',
      600_000,
    )
    const elapsed = (performance.now() - t0) / 1000
    const endBlock = Number(await rpc(net.urls[0], 'eth_blockNumber'))
    return {
      n,
      p50: pct(lat, 50),
      p99: pct(lat, 99),
      cold: cold.length > 0 ? Math.max(...cold) : NaN,
      tps: (per * loaders.length) / elapsed,
      blocks: endBlock - startBlock,
      txs: per * loaders.length,
    }
  } finally {
    await net.stop()
  }
}

function simulate() {
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'consensus-sim.mts')], { cwd: ROOT, encoding: 'utf8' })
  return JSON.parse(out.trim().split('\n').at(-1))
}

const rows = []
for (const n of (process.env.PARS_BENCH_NODES ?? '4,10').split(',').map(Number)) {
  const r = await measureNetwork(n)
  rows.push(r)
  console.log(
    `${n} nodes: finality p50 ${r.p50.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms (warm-up max ${r.cold.toFixed(0)} ms); ${r.tps.toFixed(0)} transfers/s (${r.txs} in ${r.blocks} blocks)`,
  )
}
const sim = simulate()
console.log(
  `100 simulated: ${sim.msPerBlock.toFixed(0)} virtual ms per block, ${sim.pollsPerDecision.toFixed(1)} polls per decision (${(sim.pollsPerDecision * sim.k).toFixed(0)} queries) vs k*beta = ${sim.k * sim.beta}`,
)

const cpu = cpus()[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU'
const ok = (v, good) => (good ? `${v} (target met)` : `${v} (target missed)`)
const lines = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpu}, Node ${process.version}; all processes on one machine.`,
  '',
  '| network | finality p50 (submit → final receipt) | p99 | warm-up max | transfers/s (to final) | blocks for the load |',
  '| --- | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.n} validators, real parsd processes | ${ok(`${r.p50.toFixed(0)} ms`, r.p50 <= 1000)} | ${ok(`${r.p99.toFixed(0)} ms`, r.p99 <= 2000)} | ${r.cold.toFixed(0)} ms | ${r.n === 4 ? ok(r.tps.toFixed(0), r.tps >= 200) : r.tps.toFixed(0)} | ${r.blocks} for ${r.txs} |`,
  ),
  '',
  `100 simulated validators (k = ${sim.k}, alpha = ${sim.alpha}, beta = ${sim.beta}, 2–30 ms links): ${sim.msPerBlock.toFixed(0)} virtual ms per block (the 400 ms block time plus the polls), ${sim.pollsPerDecision.toFixed(1)} polls per decision = ${(sim.pollsPerDecision * sim.k).toFixed(0)} queries against k*beta = ${sim.k * sim.beta} (a decision needs beta successful polls in a row; failed polls add to it), ${sim.messagesPerBlock.toFixed(0)} messages per block in the whole network.`,
]
const table = lines.join('\n')
console.log('\n' + table)
writeDocBlock(
  join(ROOT, 'docs', 'performance.md'),
  'consensus',
  table,
  `## Consensus (\`npm run bench:consensus\`)\n\n\`bench/consensus.mjs\` starts real validator networks on loopback with \`parsd testnet init\` and measures, per network, the time from \`eth_sendRawTransaction\` to the receipt at the same node (blocks are final when committed, so this is submission to finality) for transfers sent one after another by 4 senders (after ${WARMUP_TXS} each that are not counted, while the fresh processes compile their hot paths: the warm-up column shows the slowest of those), and the rate at which pre-signed transfers from 15 accounts, sent to all nodes (at most 60 in flight per account, as the pool holds 64), become final. \`bench/consensus-sim.mts\` runs 100 validators of test/sim for the polls per decision. Targets: p50 <= 1 s, p99 <= 2 s, >= 200 transfers/s through 4 nodes. On a 2-core machine the processes share two cores, so larger networks measure the machine as much as the protocol.`,
)
