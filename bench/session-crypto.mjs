// npm run bench:session-crypto — the session protocol's cryptography (session/) on this machine, side by side
// with Signal's libsignal (@signalapp/libsignal-client, bench/peers/libsignal.mjs) in one run:
//
//   1. handshakes/s: Bob's and Alice's identities are made once; per iteration Bob makes a fresh signed prekey
//      (X25519 + ML-KEM-1024) and its bundle (hybrid ML-DSA-87 + Ed25519 signature, encoded to bytes), Alice
//      checks the bundle, runs Session.initiate and encrypts a first 1 KiB message, Bob runs Session.accept on
//      it. libsignalFigures counts the same work (fresh prekeys and their signatures, processPreKeyBundle,
//      the first PreKeySignalMessage, its decryption).
//   2. encrypt+decrypt pairs/s of 1 KiB messages with the direction alternating every message (the DH ratchet
//      turns on every message, as in the libsignal loop), with the default KEM cadence and with
//      kemInterval: Infinity (ML-KEM steps only at each side's first chain); and with the direction changing
//      every 10 messages. Each message loop first exchanges 2 × PARS_BENCH_AGE (default 4,096) messages, so both
//      sides' lists of envelopes already opened (the replay check, capped at 4,096) are full as in a long-lived
//      session; the three loops then run interleaved in slices, each slice starting with the next loop.
//   3. overhead bytes per message (envelope length minus the 1,024 content bytes): min / mean / max over the
//      timed loop, and the first (handshake) envelope's.
//   4. where the time goes: the primitives the session code imports (ML-KEM-1024, ML-DSA-87, X25519,
//      Ed25519) are wrapped, for dist/session/ only, by a module-resolution hook that counts each call and
//      adds up its time, so every loop reports how many of each it ran and what share of its time they took;
//      plus ML-KEM-1024 keygen/encapsulate/decapsulate timed standalone, and from them the handshake's
//      ML-KEM share computed from its operation counts.
//   5. libsignal's figures with the same minimum duration and message size, and the ratios Pars/libsignal.
//      Target: message throughput >= 0.1x libsignal's.
// Each loop runs for at least PARS_BENCH_MS (default 1500) ms after a warm-up. Writes the table between
// <!-- bench:session-crypto:start --> and <!-- bench:session-crypto:end --> in docs/performance.md.
import { realpathSync } from 'node:fs'
import { register } from 'node:module'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { ml_kem1024 } from '@noble/post-quantum/ml-kem.js'
import { opsPerSecond, writeDocBlock } from './lib.mjs'
import { libsignalFigures } from './peers/libsignal.mjs'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const MIN_MS = Number(process.env.PARS_BENCH_MS ?? 1500)
const WARMUP_MS = Math.min(200, MIN_MS / 5)
const MESSAGE_BYTES = 1024

// ------------------------------------------------------------------ primitive counters (module hook)

// The primitives dist/session/ imports, by module and export: each listed method is replaced, for importers
// under dist/session/ only, by one that counts its calls and adds up their time. The bench's own imports
// (the standalone timings below) and libsignal are untouched.
const WRAPPED = {
  '@noble/post-quantum/ml-kem.js': { ml_kem1024: ['keygen', 'encapsulate', 'decapsulate'] },
  '@noble/post-quantum/ml-dsa.js': { ml_dsa87: ['keygen', 'sign', 'verify'] },
  '@noble/curves/ed25519.js': { x25519: ['getSharedSecret', 'getPublicKey'], ed25519: ['getPublicKey', 'sign', 'verify'] },
}
const FAMILY = { ml_kem1024: 'ML-KEM-1024', ml_dsa87: 'ML-DSA-87', x25519: 'X25519', ed25519: 'Ed25519' }
const FAMILIES = Object.values(FAMILY)

/** name ("ml_kem1024.encapsulate") -> { calls, ms } */
const counters = new Map()
const COUNTERS_KEY = Symbol.for('pars.bench.session-crypto')
globalThis[COUNTERS_KEY] = {
  wrap(exportName, impl, methods) {
    const out = { ...impl }
    for (const m of methods) {
      const fn = impl[m]
      const c = { calls: 0, ms: 0 }
      counters.set(`${exportName}.${m}`, c)
      out[m] = function (...args) {
        const t = performance.now()
        try {
          return fn.apply(impl, args)
        } finally {
          c.ms += performance.now() - t
          c.calls++
        }
      }
    }
    return Object.freeze(out)
  },
}

const HOOKS = `
let cfg
export function initialize(data) {
  cfg = data
}
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context)
  const exports = cfg.wrapped[specifier]
  if (exports === undefined || !(context.parentURL ?? '').startsWith(cfg.under)) return resolved
  const real = JSON.stringify(resolved.url)
  const key = JSON.stringify(cfg.key)
  const lines = ['import * as real from ' + real, 'export * from ' + real, 'const c = globalThis[Symbol.for(' + key + ')]']
  for (const [name, methods] of Object.entries(exports)) {
    lines.push('export const ' + name + ' = c.wrap(' + JSON.stringify(name) + ', real.' + name + ', ' + JSON.stringify(methods) + ')')
  }
  return { url: 'data:text/javascript,' + encodeURIComponent(lines.join('\\n')), shortCircuit: true }
}
`
register('data:text/javascript,' + encodeURIComponent(HOOKS), import.meta.url, {
  data: { under: pathToFileURL(realpathSync(join(ROOT, 'dist', 'session'))).href + '/', wrapped: WRAPPED, key: COUNTERS_KEY.description },
})

const S = await import(join(ROOT, 'dist', 'session', 'index.js'))
if (counters.size === 0) throw new Error('the primitive counters did not attach to dist/session (module hook)')

const snapshot = () => new Map([...counters].map(([k, c]) => [k, { calls: c.calls, ms: c.ms }]))
/** Calls and time per wrapped method, and time per family, since `before`. */
function countersSince(before) {
  const ops = new Map()
  const families = new Map(FAMILIES.map((f) => [f, 0]))
  for (const [k, c] of counters) {
    const b = before.get(k)
    const calls = c.calls - b.calls
    const ms = c.ms - b.ms
    ops.set(k, { calls, ms })
    const fam = FAMILY[k.split('.')[0]]
    families.set(fam, families.get(fam) + ms)
  }
  return { ops, families }
}

// ------------------------------------------------------------------ timing

/** Runs step(false) for the warm-up, then step(true) for at least MIN_MS; iterations/s and the counters of the timed part. */
function timed(step) {
  const warmEnd = performance.now() + WARMUP_MS
  for (let i = 0; i < 3 || performance.now() < warmEnd; i++) step(false)
  const before = snapshot()
  let n = 0
  const t0 = performance.now()
  let t = t0
  while (t - t0 < MIN_MS) {
    step(true)
    n++
    t = performance.now()
  }
  return { n, ms: t - t0, perSec: (n * 1000) / (t - t0), ...countersSince(before) }
}

/** Mean microseconds per call of fn, run for at least MIN_MS after a short warm-up. */
const microseconds = (fn) => 1e6 / opsPerSecond(fn, MIN_MS, 5)

// ------------------------------------------------------------------ the session protocol

const now = Math.floor(Date.now() / 1000)
const bob = S.identityFromPhrase(S.generatePhrase())
const alice = S.identityFromPhrase(S.generatePhrase())
const content = new Uint8Array(MESSAGE_BYTES).fill(0x61)
const guard = new Set()
let prekeyId = 0

function opened(message) {
  if (message.content.length !== MESSAGE_BYTES) throw new Error('a message did not round-trip')
}

/** One full handshake as the handshake loop counts it; returns both sessions and the first envelope. */
function handshake(options) {
  const prekey = S.generatePrekey(++prekeyId, now)
  const bundle = S.encodeBundle(S.makeBundle(bob, prekey))
  const a = S.Session.initiate(alice, bob.sessionId, bundle, options)
  const first = a.encrypt(content)
  const { session: b, message } = S.Session.accept(bob, (id) => (id === prekey.id ? prekey : undefined), first, guard, options)
  opened(message)
  return { a, b, first }
}

let firstOverhead = 0
const hs = timed(() => {
  firstOverhead = handshake().first.length - MESSAGE_BYTES
  if (guard.size > 10_000) guard.clear()
})
console.log(`handshakes: ${hs.perSec.toFixed(1)}/s; the first envelope carries ${firstOverhead} bytes over the 1 KiB content`)

const AGE_PER_SIDE = Number(process.env.PARS_BENCH_AGE ?? 4096)

/**
 * A message loop: encrypt+decrypt pairs with the direction changing every `run` messages, after a handshake and
 * one reply. Returns step(measured) and the envelope overheads seen while measured.
 */
function messageLoop(run, ratchet) {
  const options = ratchet === undefined ? {} : { ratchet }
  const { a, b } = handshake(options)
  opened(a.decrypt(b.encrypt(content))) // Bob answers: Alice's envelopes stop carrying the handshake
  const ends = [
    [a, b],
    [b, a],
  ]
  // age the session first: each side opens AGE_PER_SIDE messages (sent in runs of 64), so its list of envelopes
  // already opened (the replay check: ratchet.ts keeps the last 4,096) is full, as in any long-lived session
  for (let i = 0; i < 2 * AGE_PER_SIDE; i++) {
    const [from, to] = ends[Math.floor(i / 64) % 2]
    opened(to.decrypt(from.encrypt(content)))
  }
  let k = 0
  const sizes = []
  const step = (measured) => {
    const [from, to] = ends[Math.floor(k++ / run) % 2]
    const envelope = from.encrypt(content)
    opened(to.decrypt(envelope))
    if (measured) sizes.push(envelope.length - MESSAGE_BYTES)
  }
  return { step, sizes }
}

/**
 * The message loops, measured interleaved: SLICES turns of MIN_MS / SLICES each, so load from other processes on
 * the machine falls on all of them alike and their ratios hold.
 */
const SLICES = 6
function interleaved(loopsToRun) {
  for (const l of loopsToRun) {
    const warmEnd = performance.now() + WARMUP_MS
    for (let i = 0; i < 3 || performance.now() < warmEnd; i++) l.step(false)
    l.n = 0
    l.ms = 0
    l.calls = new Map([...counters.keys()].map((k) => [k, { calls: 0, ms: 0 }]))
  }
  for (let slice = 0; slice < SLICES; slice++) {
    // each slice starts with the next loop, so none always pays for the garbage the one before it left
    for (const l of [...loopsToRun.slice(slice % loopsToRun.length), ...loopsToRun.slice(0, slice % loopsToRun.length)]) {
      const before = snapshot()
      const t0 = performance.now()
      let t = t0
      while (t - t0 < MIN_MS / SLICES) {
        l.step(true)
        l.n++
        t = performance.now()
      }
      l.ms += t - t0
      for (const [k, v] of countersSince(before).ops) {
        const c = l.calls.get(k)
        c.calls += v.calls
        c.ms += v.ms
      }
    }
  }
  return loopsToRun.map((l) => {
    const families = new Map(FAMILIES.map((f) => [f, 0]))
    for (const [k, v] of l.calls) families.set(FAMILY[k.split('.')[0]], families.get(FAMILY[k.split('.')[0]]) + v.ms)
    const { sizes } = l
    const min = Math.min(...sizes)
    const mean = sizes.reduce((x, y) => x + y, 0) / sizes.length
    // a chain that began with an ML-KEM step repeats its ciphertext and new key in every header (~3.1 KB)
    const withKem = sizes.filter((s) => s > min + 3000).length / sizes.length
    return {
      n: l.n,
      ms: l.ms,
      perSec: (l.n * 1000) / l.ms,
      ops: l.calls,
      families,
      overhead: { min, mean, max: Math.max(...sizes), withKem },
    }
  })
}

const [alternating, alternatingNoKem, runsOf10] = interleaved([messageLoop(1), messageLoop(1, { kemInterval: Infinity }), messageLoop(10)])
for (const [name, r] of [
  ['alternating', alternating],
  ['alternating, kemInterval ∞', alternatingNoKem],
  ['direction every 10', runsOf10],
]) {
  const o = r.overhead
  console.log(`messages, ${name}: ${r.perSec.toFixed(0)} pairs/s; overhead min/mean/max ${o.min}/${o.mean.toFixed(0)}/${o.max} bytes`)
}

// ML-KEM-1024 standalone (the bench's own import, not counted)
const kemKeys = ml_kem1024.keygen()
const kemCt = ml_kem1024.encapsulate(kemKeys.publicKey).cipherText
const kemUs = {
  keygen: microseconds(() => ml_kem1024.keygen()),
  encapsulate: microseconds(() => ml_kem1024.encapsulate(kemKeys.publicKey)),
  decapsulate: microseconds(() => ml_kem1024.decapsulate(kemCt, kemKeys.secretKey)),
}
console.log(
  `ML-KEM-1024 standalone: keygen ${kemUs.keygen.toFixed(0)} µs, encapsulate ${kemUs.encapsulate.toFixed(0)} µs, ` +
    `decapsulate ${kemUs.decapsulate.toFixed(0)} µs`,
)

// ------------------------------------------------------------------ libsignal

const signal = await libsignalFigures({ minMs: MIN_MS, messageBytes: MESSAGE_BYTES })
if (signal === undefined)
  console.log('libsignal unavailable (@signalapp/libsignal-client does not load): no side-by-side figures, no ratios')
else
  console.log(
    `libsignal ${signal.version}: ${signal.handshakesPerSec.toFixed(1)} handshakes/s, ${signal.messagesPerSec.toFixed(0)} messages/s`,
  )

// ------------------------------------------------------------------ report

const fmt = (n, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
const pct = (x) => `${(100 * x).toFixed(1)}%`
const ratio = (ours, theirs) => (signal === undefined ? '—' : `${(ours / theirs).toFixed(ours / theirs < 0.1 ? 3 : 2)}x`)
const perIter = (r, name) => r.ops.get(name).calls / r.n
const OP_LABEL = { 'x25519.getSharedSecret': 'DH', 'x25519.getPublicKey': 'public key', 'ed25519.getPublicKey': 'public key' }
/** "3 keygen, 1 encapsulate" per iteration for one family */
function opsPerIteration(r, exportName) {
  const parts = []
  for (const [k, v] of r.ops) {
    if (!k.startsWith(exportName + '.') || v.calls === 0) continue
    const x = v.calls / r.n
    parts.push(`${Number.isInteger(x) ? x : x.toFixed(x < 0.1 ? 3 : 2)} ${OP_LABEL[k] ?? k.split('.')[1]}`)
  }
  return parts.length === 0 ? 'none' : parts.join(', ')
}

const loops = [
  ['handshake', hs],
  ['messages, alternating', alternating],
  ['messages, alternating, kemInterval ∞', alternatingNoKem],
  ['messages, direction every 10', runsOf10],
]

const hsKemUs =
  perIter(hs, 'ml_kem1024.keygen') * kemUs.keygen +
  perIter(hs, 'ml_kem1024.encapsulate') * kemUs.encapsulate +
  perIter(hs, 'ml_kem1024.decapsulate') * kemUs.decapsulate
const hsKemShareComputed = (hsKemUs * hs.perSec) / 1e6

const cpu = cpus()[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU'
const sig = (f) => (signal === undefined ? '—' : f(signal))
const overheadCell = (o) => `${fmt(o.min)} / ${fmt(o.mean)} / ${fmt(o.max)}`
const messageRatio = signal === undefined ? undefined : alternating.perSec / signal.messagesPerSec
const row = (...cells) => `| ${cells.join(' | ')} |`
const lines = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpu}, Node ${process.version}, ` +
    `${process.platform}/${process.arch}; each loop ${MIN_MS} ms after a ${WARMUP_MS} ms warm-up, 1 KiB messages.`,
  '',
  row('measure', 'Pars', signal === undefined ? 'libsignal (unavailable)' : `libsignal ${signal.version}`, 'Pars/libsignal'),
  row('---', '---:', '---:', '---:'),
  row(
    'handshakes/s (prekeys + signed bundle, initiate + first message, accept)',
    fmt(hs.perSec, 1),
    sig((s) => fmt(s.handshakesPerSec, 1)),
    ratio(hs.perSec, signal?.handshakesPerSec),
  ),
  row(
    'messages/s, direction alternating (default KEM cadence, 50)',
    fmt(alternating.perSec),
    sig((s) => fmt(s.messagesPerSec)),
    ratio(alternating.perSec, signal?.messagesPerSec),
  ),
  row(
    'messages/s, direction alternating, kemInterval ∞',
    fmt(alternatingNoKem.perSec),
    '',
    ratio(alternatingNoKem.perSec, signal?.messagesPerSec),
  ),
  row('messages/s, direction changing every 10 messages', fmt(runsOf10.perSec), '', ''),
  row(
    'overhead bytes/message, alternating: min / mean / max',
    overheadCell(alternating.overhead),
    sig((s) => `mean ${fmt(s.overheadBytes)}`),
    sig((s) => `${ratio(alternating.overhead.mean, s.overheadBytes)} (mean)`),
  ),
  row('overhead bytes/message, every 10: min / mean / max', overheadCell(runsOf10.overhead), '', ''),
  row(
    'first (handshake) message overhead, bytes',
    fmt(firstOverhead),
    sig((s) => fmt(s.handshakeBytes)),
    ratio(firstOverhead, signal?.handshakeBytes),
  ),
  '',
  `Messages carrying ML-KEM fields (a ciphertext and a new key, ~3.1 KB): ${pct(alternating.overhead.withKem)} alternating, ` +
    `${pct(runsOf10.overhead.withKem)} with runs of 10.`,
  '',
  "Share of each loop's time spent in the primitives, and their calls per iteration (handshake, or message):",
  '',
  row('loop', 'ML-KEM-1024', 'ML-DSA-87', 'X25519', 'Ed25519', 'the rest (hashes, AEAD, encoding, state)', 'calls per iteration'),
  row('---', '---:', '---:', '---:', '---:', '---:', '---'),
  ...loops.map(([name, r]) => {
    const shares = FAMILIES.map((f) => r.families.get(f) / r.ms)
    const rest = 1 - shares.reduce((x, y) => x + y, 0)
    const calls = Object.entries(FAMILY)
      .map(([exportName, family]) => [family, opsPerIteration(r, exportName)])
      .filter(([, ops]) => ops !== 'none')
      .map(([family, ops]) => `${family}: ${ops}`)
      .join('; ')
    return row(name, ...shares.map(pct), pct(rest), calls)
  }),
  '',
  `ML-KEM-1024 standalone: keygen ${fmt(kemUs.keygen)} µs, encapsulate ${fmt(kemUs.encapsulate)} µs, ` +
    `decapsulate ${fmt(kemUs.decapsulate)} µs. A handshake runs ${opsPerIteration(hs, 'ml_kem1024')}: ${fmt(hsKemUs)} µs ` +
    `of its ${fmt(1e6 / hs.perSec)} µs (${pct(hsKemShareComputed)}) at these timings.`,
  '',
  messageRatio === undefined
    ? 'Target (message throughput >= 0.1x libsignal): not checked, libsignal unavailable.'
    : `Target: message throughput >= 0.1x libsignal's: **${messageRatio >= 0.1 ? 'met' : 'not met'}** (${messageRatio.toFixed(2)}x).`,
  '',
  `Method: one process, two identities made once. Handshake: per iteration Bob makes a fresh signed prekey and its ` +
    `bundle (encoded), Alice checks it, initiates and encrypts a first 1 KiB message, Bob accepts it; libsignal's ` +
    `loop likewise makes and signs fresh prekeys, processes the bundle, encrypts and decrypts the PreKeySignalMessage. ` +
    `Messages: encrypt+decrypt pairs of 1 KiB, the direction alternating every message (the DH ratchet turns every ` +
    `message, as in libsignal's loop) or every 10 messages. Each session is first aged by ${fmt(2 * AGE_PER_SIDE)} ` +
    `messages (the replay check keeps the last 4,096 envelopes a side opened; from 8,192 on the lists are full, as ` +
    `in a long-lived session), then the three message loops run interleaved in ${SLICES} slices, each slice ` +
    `starting with the next loop, so background load and garbage collection fall on all alike. Overhead: envelope ` +
    `length minus the content (it includes the padding to 256-byte buckets). Shares: the ML-KEM-1024, ML-DSA-87, ` +
    `X25519 and Ed25519 calls dist/session makes are counted and timed where they happen (a module-resolution hook ` +
    `wraps them for dist/session only; X25519 agreements run on Node's OpenSSL and fall in "the rest"). kemInterval ∞ (ML-KEM steps only in each side's first chains) cross-checks ` +
    `the ML-KEM share on the whole loop; its gain can exceed the timed share by the garbage collection the ML-KEM ` +
    `steps leave behind, and by noise. Run \`npm run bench:session-crypto\` to reproduce; PARS_BENCH_MS sets the ` +
    `duration of each loop.`,
]
const table = lines.join('\n')
console.log('\n' + table)

writeDocBlock(
  join(ROOT, 'docs', 'performance.md'),
  'session-crypto',
  table,
  `## Session cryptography (\`npm run bench:session-crypto\`)

\`bench/session-crypto.mjs\` measures the session protocol (\`session/\`: the PQXDH-style handshake and the
post-quantum double ratchet) in process, next to libsignal (\`@signalapp/libsignal-client\`, measured by
\`bench/peers/libsignal.mjs\`) in the same run: handshakes per second, encrypt+decrypt pairs per second of
1 KiB messages, the bytes an envelope adds to its content, and the share of the time each primitive
(ML-KEM-1024, ML-DSA-87, X25519, Ed25519) takes. The table between the markers below is rewritten by
every run.

Target: message throughput (direction alternating, so the DH ratchet turns on every message as in
libsignal's loop) >= 0.1x libsignal's.`,
)
