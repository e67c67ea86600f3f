// npm run bench:session-net — the session network on 5 real parsd service nodes (loopback): latency of
// a store through a 3-hop onion path against the same store sent directly to a swarm member, stores
// per second through onion circuits from concurrent senders, and messages per second end to end
// between session daemons (after PARS_BENCH_WARMUP messages per sender, PARS_BENCH_LOAD in all), with
// the CPU the nodes and the daemons spent per message. Targets (issue 6): onion p50 <= direct p50 +
// 5 ms; >= 100 messages/s through a 5-node network. Writes docs/performance.md.
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
const LOAD = Number(process.env.PARS_BENCH_LOAD ?? 2000)
// messages per sender before the clock starts: sessions made, circuits built, handshakes held
const WARMUP = Number(process.env.PARS_BENCH_WARMUP ?? 5)
// extra node flags for the service nodes, e.g. PARS_BENCH_NODE_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/p' to profile them
const NODE_FLAGS = (process.env.PARS_BENCH_NODE_FLAGS ?? '').split(' ').filter((f) => f.length > 0)
const PAIRS = Number(process.env.PARS_BENCH_PAIRS ?? 10)
const STORES = Number(process.env.PARS_BENCH_STORES ?? 1000)
const { createLogger, fromHex } = await import(join(ROOT, 'dist', 'common', 'index.js'))
const { P2PHost } = await import(join(ROOT, 'dist', 'node', 'p2p', 'host.js'))
const { encodeRequest, decodeResponse, onionRequest, buildCircuit, circuitRequest } = await import(
  join(ROOT, 'dist', 'session', 'index.js')
)

// CPU seconds used so far by the node processes (Linux /proc; undefined elsewhere) and by this process
const TICK = 100
const nodeCpu = () => {
  try {
    return procs.reduce((sum, p) => {
      const f = readFileSync(`/proc/${p.pid}/stat`, 'utf8').split(') ')[1].split(' ')
      return sum + (Number(f[11]) + Number(f[12])) / TICK
    }, 0)
  } catch {
    return undefined
  }
}
const ownCpu = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]

const dir = mkdtempSync(join(tmpdir(), 'pars-bench-sessnet-'))
const base = await freeTestnetBase(N)
execFileSync(process.execPath, [PARSD, 'testnet', 'init', '--validators', String(N), '--out', dir, '--base-port', String(base)])
const procs = Array.from({ length: N }, (_, i) =>
  spawn(process.execPath, [...NODE_FLAGS, PARSD, '--datadir', join(dir, `node-${i}`), '--log-level', 'warn'], { stdio: 'ignore' }),
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
  // the network's capacity: 20 concurrent senders storing on their own circuits
  let next = 0
  const circuitsOf20 = await Promise.all(
    Array.from(
      { length: 20 },
      async (_, j) => (await buildCircuit(transport, [hops[j % N], hops[(j + 2) % N], hops[(j + 4) % N]], storeReq(9_000 + j))).circuit,
    ),
  )
  const s0 = performance.now()
  const sc0 = nodeCpu()
  await Promise.all(
    circuitsOf20.map(async (circuit) => {
      for (;;) {
        const i = next++
        if (i >= STORES) return
        const r = await circuitRequest(transport, circuit, storeReq(100_000 + i))
        if (r.type !== 'stored') throw new Error(`store failed: ${r.type}`)
      }
    }),
  )
  const storeRate = STORES / ((performance.now() - s0) / 1000)
  const sc1 = nodeCpu()
  if (sc0 !== undefined && sc1 !== undefined)
    console.log(`CPU per store on a circuit: nodes ${(((sc1 - sc0) * 1000) / STORES).toFixed(2)} ms (all 5)`)
  // end to end: PAIRS session daemons (as users run them: two lanes per message, device sync, onion
  // circuits, polling) send to PAIRS others; the clock stops when every message has been received
  const { SessionDaemon, identityFromPhrase, generatePhrase, generatePrekey } = await import(join(ROOT, 'dist', 'session', 'index.js'))
  const { openMemoryDb } = await import(join(ROOT, 'dist', 'common', 'index.js'))
  // each user is its own libp2p peer, as on separate devices (a node limits requests per peer)
  const hosts = []
  const user = async () => {
    const host = new P2PHost({
      privateKey: await generateKeyPair('Ed25519'),
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: hops.map((h, i) => `/ip4/127.0.0.1/tcp/${base + 100 + i}/p2p/${h.peerId}`),
      mdns: false,
      topics: [],
      logger: createLogger({ level: 'error', module: 'user' }),
    })
    await host.start()
    hosts.push(host)
    const phrase = generatePhrase()
    const d = new SessionDaemon({
      kv: await openMemoryDb(),
      transport: {
        request: (peer, protocol, bytes) => host.request(peer, protocol === 'onion' ? '/pars/onion/1' : '/pars/session/1', bytes),
      },
      hops: () => hops,
      identity: { identity: identityFromPhrase(phrase), phrase, createdAt: 0, prekeys: [generatePrekey(1, Math.floor(Date.now() / 1000))] },
      pollMs: 1000,
    })
    await d.start()
    return d
  }
  const senders = []
  const receivers = []
  for (let j = 0; j < PAIRS; j++) {
    senders.push(await user())
    receivers.push(await user())
  }
  const per = Math.ceil(LOAD / PAIRS)
  for (let j = 0; j < PAIRS; j++) await senders[j].createSession(receivers[j].getIdentity().sessionId)
  // when each message was sent and received, by its text
  const sentAt = new Map()
  const receivedAt = new Map()
  const waiting = new Set() // { left: Set of texts, resolve }
  for (const r of receivers)
    r.onMessage((e) => {
      if (e.message.direction !== 'in') return
      receivedAt.set(e.message.text, performance.now())
      for (const w of waiting) if (w.left.delete(e.message.text) && w.left.size === 0) w.resolve()
    })
  const allReceived = (texts) =>
    new Promise((resolve) => {
      const w = { left: new Set(texts.filter((t) => !receivedAt.has(t))), resolve }
      if (w.left.size === 0) return resolve()
      waiting.add(w)
    })
  const sendAll = async (from, count) => {
    const texts = []
    const times = []
    await Promise.all(
      senders.map(async (d, j) => {
        for (let i = from; i < from + count; i++) {
          const text = `message ${i} of sender ${j}`
          texts.push(text)
          const t = performance.now()
          sentAt.set(text, t)
          await d.sendMessage(receivers[j].getIdentity().sessionId, text)
          times.push(performance.now() - t)
        }
      }),
    )
    return { texts, times }
  }
  // warm-up (not counted): each sender's first messages make the session (the recipient's bundle
  // fetched, the handshake sent until a swarm holds it) and the circuits every daemon keeps
  const w0 = performance.now()
  const warm = await sendAll(0, WARMUP)
  await allReceived(warm.texts)
  const warmSeconds = (performance.now() - w0) / 1000
  const cpu0 = [nodeCpu(), ownCpu()]
  const t0 = performance.now()
  const measured = await sendAll(WARMUP, per)
  const sent = performance.now()
  await allReceived(measured.texts)
  const rate = (per * PAIRS) / ((performance.now() - t0) / 1000)
  const n1 = nodeCpu()
  const msPerMessage = (a, b) => (a === undefined || b === undefined ? undefined : ((b - a) * 1000) / (per * PAIRS))
  const cpuNodes = msPerMessage(cpu0[0], n1)
  const cpuDaemons = msPerMessage(cpu0[1], ownCpu())
  const sendTimes = measured.times
  const delivery = measured.texts.map((t) => receivedAt.get(t) - sentAt.get(t))
  console.log(
    `warm-up: sessions and ${WARMUP} messages per sender in ${warmSeconds.toFixed(1)} s; CPU per message end to end: nodes ${cpuNodes?.toFixed(2) ?? '?'} ms (all 5), daemons ${cpuDaemons?.toFixed(2)} ms (sender and recipient)`,
  )
  console.log(
    `sendMessage p50 ${pct(sendTimes, 50).toFixed(1)} ms p99 ${pct(sendTimes, 99).toFixed(1)}; delivered (send to recipient's daemon) p50 ${pct(delivery, 50).toFixed(0)} ms p99 ${pct(delivery, 99).toFixed(0)}; all sent after ${((sent - t0) / 1000).toFixed(1)} s, all received after ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  )
  for (const d of [...senders, ...receivers]) await d.stop()
  for (const h of hosts) await h.stop()
  const dp50 = pct(direct, 50)
  const op50 = pct(onion, 50)
  const kp50 = pct(kept, 50)
  console.log(
    `direct p50 ${dp50.toFixed(1)} ms p99 ${pct(direct, 99).toFixed(1)}; onion new path p50 ${op50.toFixed(1)} ms p99 ${pct(onion, 99).toFixed(1)}; onion circuit p50 ${kp50.toFixed(1)} ms p99 ${pct(kept, 99).toFixed(1)}; ${storeRate.toFixed(0)} stores/s; ${rate.toFixed(0)} messages/s end to end`,
  )
  const cpu = cpus()[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU'
  const table = [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpu}, Node ${process.version}; 5 parsd service nodes and the client on one machine, 1 KiB messages.`,
    '',
    '| measure | direct (to a swarm member) | onion, 3 hops, kept circuit (the daemon) | onion, 3 hops, new path per request | target |',
    '| --- | ---: | ---: | ---: | --- |',
    `| store latency p50 | ${dp50.toFixed(1)} ms | ${kp50.toFixed(1)} ms | ${op50.toFixed(1)} ms | onion <= direct + 5 ms: ${kp50 <= dp50 + 5 ? 'met' : 'missed'} (+${(kp50 - dp50).toFixed(1)} ms) |`,
    `| store latency p99 | ${pct(direct, 99).toFixed(1)} ms | ${pct(kept, 99).toFixed(1)} ms | ${pct(onion, 99).toFixed(1)} ms | |`,
    `| stores/s on circuits, 20 concurrent senders (the network's capacity) | | ${storeRate.toFixed(0)} | | |`,
    `| messages/s end to end, ${PAIRS} daemons sending ${per} each to ${PAIRS} others, after ${WARMUP} each to warm up | | ${rate.toFixed(0)} | | >= 100: ${rate >= 100 ? 'met' : 'missed'} |`,
    `| that load: sendMessage p50 / p99 | | ${pct(sendTimes, 50).toFixed(0)} / ${pct(sendTimes, 99).toFixed(0)} ms | | |`,
    `| that load: sent to shown by the recipient's daemon (polls every second), p50 / p99 | | ${pct(delivery, 50).toFixed(0)} / ${pct(delivery, 99).toFixed(0)} ms | | |`,
    `| that load: CPU per message, the 5 nodes / the 20 daemons | | ${cpuNodes?.toFixed(1) ?? '?'} / ${cpuDaemons?.toFixed(1) ?? '?'} ms | | |`,
    `| warm-up: sessions made and ${WARMUP} messages per sender delivered | | ${warmSeconds.toFixed(1)} s | | |`,
  ].join('\n')
  console.log('\n' + table)
  writeDocBlock(
    join(ROOT, 'docs', 'performance.md'),
    'session-net',
    table,
    '## Session network (`npm run bench:session-net`)\n\n`bench/session-net.mjs` starts 5 service nodes and measures stores (direct, onion on kept circuits, onion on a new path each time), the stores/s 20 concurrent senders get through, and messages/s end to end between 20 session daemons after a warm-up (see the script).',
  )
} finally {
  await client.stop()
  for (const p of procs) p.kill('SIGTERM')
  await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r() : p.once('exit', r)))))
  rmSync(dir, { recursive: true, force: true })
}
