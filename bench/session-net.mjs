// npm run bench:session-net — the session network on 5 real parsd service nodes (loopback): latency of
// a store through a 3-hop onion path against the same store sent directly to a swarm member, and
// messages per second stored through onion paths by concurrent senders. Targets (issue 6): onion p50
// <= direct p50 + 5 ms; >= 100 messages/s through a 5-node network. Writes docs/performance.md.
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { freeTestnetBase, writeDocBlock } from './lib.mjs'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const PARSD = join(ROOT, 'dist', 'node', 'cli', 'parsd.js')
const N = 5
const SAMPLES = Number(process.env.PARS_BENCH_SAMPLES ?? 300)
const LOAD = Number(process.env.PARS_BENCH_LOAD ?? 1000)
const { createLogger, fromHex } = await import(join(ROOT, 'dist', 'common', 'index.js'))
const { P2PHost } = await import(join(ROOT, 'dist', 'node', 'p2p', 'host.js'))
const { encodeRequest, decodeResponse, onionRequest, buildCircuit, circuitRequest } = await import(
  join(ROOT, 'dist', 'session', 'index.js')
)

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]

const dir = mkdtempSync(join(tmpdir(), 'pars-bench-sessnet-'))
const base = await freeTestnetBase(N)
execFileSync(process.execPath, [PARSD, 'testnet', 'init', '--validators', String(N), '--out', dir, '--base-port', String(base)])
const procs = Array.from({ length: N }, (_, i) =>
  spawn(process.execPath, [PARSD, '--datadir', join(dir, `node-${i}`), '--log-level', 'warn'], { stdio: 'ignore' }),
)
const genesis = JSON.parse(readFileSync(join(dir, 'genesis.json'), 'utf8'))
const hops = genesis.config.pars.validators.map((v) => ({ peerId: v.peerId, publicKey: fromHex(v.onion) }))
const client = new P2PHost({
  privateKey: await generateKeyPair('Ed25519'),
  listen: ['/ip4/127.0.0.1/tcp/0'],
  bootstrap: hops.map((h, i) => `/ip4/127.0.0.1/tcp/${base + 100 + i}/p2p/${h.peerId}`),
  mdns: false,
  topics: [],
  logger: createLogger({ level: 'error', module: 'bench' }),
})
try {
  await client.start()
  const transport = {
    request: (peer, protocol, bytes) => client.request(peer, protocol === 'onion' ? '/pars/onion/1' : '/pars/session/1', bytes),
  }
  const recipient = (i) => '05' + (BigInt(i) * 7919n).toString(16).padStart(64, '0')
  const storeReq = (i) => ({
    type: 'store',
    recipient: recipient(i),
    namespace: 0,
    timestamp: Date.now(),
    ttl: 60_000,
    data: new Uint8Array(1024).fill(i & 0xff),
  })
  // wait until every node answers (they are up and connected)
  for (let ok = false; !ok;) {
    ok = true
    for (const h of hops) {
      try {
        await onionRequest(transport, [h], { type: 'swarm', recipient: recipient(0) })
      } catch {
        ok = false
        await new Promise((r) => setTimeout(r, 200))
      }
    }
  }
  // warm-up, then interleaved samples: direct to a swarm member; through 3 hops ending at one on a new
  // path each time (an X-Wing layer per hop); and on kept circuits (what the daemon does)
  const direct = []
  const onion = []
  const kept = []
  const circuits = []
  for (let j = 0; j < N; j++) {
    const { circuit } = await buildCircuit(transport, [hops[(j + 1) % N], hops[(j + 2) % N], hops[j]], storeReq(7_000 + j))
    circuits.push(circuit)
  }
  for (let i = 0; i < SAMPLES + 20; i++) {
    const member = hops[i % N]
    const path = [hops[(i + 1) % N], hops[(i + 2) % N], member]
    let t = performance.now()
    const a = decodeResponse(await transport.request(member.peerId, 'service', encodeRequest(storeReq(3 * i))))
    const d = performance.now() - t
    t = performance.now()
    const b = await onionRequest(transport, path, storeReq(3 * i + 1))
    const o = performance.now() - t
    t = performance.now()
    const c = await circuitRequest(transport, circuits[i % N], storeReq(3 * i + 2))
    const k = performance.now() - t
    if (a.type !== 'stored' || b.type !== 'stored' || c.type !== 'stored') throw new Error(`store failed: ${JSON.stringify([a, b, c])}`)
    if (i >= 20) {
      direct.push(d)
      onion.push(o)
      kept.push(k)
    }
  }
  // throughput: 20 concurrent senders, each on its own circuit (as 20 daemons would be)
  let next = 0
  const senders = await Promise.all(
    Array.from(
      { length: 20 },
      async (_, j) => (await buildCircuit(transport, [hops[j % N], hops[(j + 2) % N], hops[(j + 4) % N]], storeReq(9_000 + j))).circuit,
    ),
  )
  const t0 = performance.now()
  await Promise.all(
    senders.map(async (circuit) => {
      for (;;) {
        const i = next++
        if (i >= LOAD) return
        const r = await circuitRequest(transport, circuit, storeReq(100_000 + i))
        if (r.type !== 'stored') throw new Error(`store failed: ${r.type}`)
      }
    }),
  )
  const rate = LOAD / ((performance.now() - t0) / 1000)
  const dp50 = pct(direct, 50)
  const op50 = pct(onion, 50)
  const kp50 = pct(kept, 50)
  console.log(
    `direct p50 ${dp50.toFixed(1)} ms p99 ${pct(direct, 99).toFixed(1)}; onion new path p50 ${op50.toFixed(1)} ms p99 ${pct(onion, 99).toFixed(1)}; onion circuit p50 ${kp50.toFixed(1)} ms p99 ${pct(kept, 99).toFixed(1)}; ${rate.toFixed(0)} onion stores/s`,
  )
  const cpu = cpus()[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU'
  const table = [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpu}, Node ${process.version}; 5 parsd service nodes and the client on one machine, 1 KiB messages.`,
    '',
    '| measure | direct (to a swarm member) | onion, 3 hops, kept circuit (the daemon) | onion, 3 hops, new path per request | target |',
    '| --- | ---: | ---: | ---: | --- |',
    `| store latency p50 | ${dp50.toFixed(1)} ms | ${kp50.toFixed(1)} ms | ${op50.toFixed(1)} ms | onion <= direct + 5 ms: ${kp50 <= dp50 + 5 ? 'met' : 'missed'} (+${(kp50 - dp50).toFixed(1)} ms) |`,
    `| store latency p99 | ${pct(direct, 99).toFixed(1)} ms | ${pct(kept, 99).toFixed(1)} ms | ${pct(onion, 99).toFixed(1)} ms | |`,
    `| messages/s, 20 concurrent senders | | ${rate.toFixed(0)} | | >= 100: ${rate >= 100 ? 'met' : 'missed'} |`,
  ].join('\n')
  console.log('\n' + table)
  writeDocBlock(
    join(ROOT, 'docs', 'performance.md'),
    'session-net',
    table,
    '## Session network (`npm run bench:session-net`)\n\n`bench/session-net.mjs` starts 5 service nodes with `parsd testnet init` and, from a libp2p client in the same process, stores 1 KiB messages directly at a swarm member and through 3-hop onion paths, interleaved: on kept circuits (as the daemon sends: the path’s X-Wing layers once, then symmetric layers) and on a new path per request (an X-Wing HPKE seal and open per hop and request); then 20 senders store concurrently, each on its own circuit. Every store is answered once the other swarm members hold the message (direct and onion alike).',
  )
} finally {
  await client.stop()
  for (const p of procs) p.kill('SIGTERM')
  await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r() : p.once('exit', r)))))
  rmSync(dir, { recursive: true, force: true })
}
