// npm run bench:precompiles — each Pars precompile's gas per second against ecrecover's (3,000 gas)
// on this machine, in one run, and ML-DSA verification by noble (the node's library) side by side
// with liboqs compiled to WASM (@oqs/liboqs-js). Writes the table into docs/precompiles.md.
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { opsPerSecond as timeOps, writeDocBlock } from './lib.mjs'
import { ml_dsa44, ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js'
import { slh_dsa_sha2_128f } from '@noble/post-quantum/slh-dsa.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { encodeFunctionData, toHex } from 'viem'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const {
  IMLDSA_ABI,
  ISLHDSA_ABI,
  ISHA3_ABI,
  IECIES_ABI,
  IMLKEM_ABI,
  IHPKE_ABI,
  hpkePrecompile,
  hpkeSuites,
  executeAsync,
  ML_KEM_LEVELS,
  mlkemPrecompile,
  SLH_DSA_SETS,
  mldsaPrecompile,
  slhdsaPrecompile,
  sha3Precompile,
  eciesPrecompile,
  IRING_ABI,
  ringPrecompile,
  ringSign,
  execute,
} = await import(join(ROOT, 'dist', 'precompiles', 'index.js'))
const { ecrecover } = await import(join(ROOT, 'dist', 'evm', 'crypto.js'))

const MIN_MS = Number(process.env.PARS_BENCH_MS ?? 1500)

/** Operations per second of fn, run for at least MIN_MS after a short warm-up. */
const opsPerSecond = (fn) => timeOps(fn, MIN_MS)

const bytes = (hex) => Buffer.from(hex.slice(2), 'hex')

// ecrecover as the EVM's 0x01 runs it here (the node's recovery: libsecp256k1, noble as reference)
const priv = keccak_256(Uint8Array.of(1))
const msgHash = keccak_256(Uint8Array.of(2))
const rec = secp256k1.sign(msgHash, priv, { prehash: false, format: 'recovered' })
const ecOps = opsPerSecond(() => ecrecover(msgHash, BigInt(rec[0]) + 27n, rec.subarray(1, 33), rec.subarray(33, 65)))
const ecGasPerSec = 3000 * ecOps

const rows = []
function measure(name, precompile, input) {
  const gas = precompile.gas(input)
  const r = execute(precompile, input, 1_000_000_000n)
  if (r.exceptionError !== undefined) throw new Error(`${name}: the benchmark input reverted`)
  const ops = opsPerSecond(() => execute(precompile, input, 1_000_000_000n))
  const ratio = (Number(gas) * ops) / ecGasPerSec
  // the gas that would make this precompile's gas/s equal to ecrecover's
  const suggested = Math.round(ecGasPerSec / ops / 1000) * 1000
  rows.push({ name, gas, ops, ratio, suggested })
  console.log(
    `${name.padEnd(28)} gas ${String(gas).padStart(9)}  ${ops.toFixed(1).padStart(9)} ops/s  gas/s vs ecrecover ${ratio.toFixed(2)}x  (1.0x at ${suggested})`,
  )
}

const msg = new Uint8Array(32).fill(7)
for (const [name, impl] of [
  ['ML-DSA-44 verify', ml_dsa44],
  ['ML-DSA-65 verify', ml_dsa65],
  ['ML-DSA-87 verify', ml_dsa87],
]) {
  const { publicKey, secretKey } = impl.keygen(new Uint8Array(32).fill(1))
  const sig = impl.sign(msg, secretKey)
  measure(
    name,
    mldsaPrecompile,
    bytes(encodeFunctionData({ abi: IMLDSA_ABI, functionName: 'verify', args: [toHex(publicKey), toHex(msg), toHex(sig)] })),
  )
}
for (const level of ML_KEM_LEVELS) {
  const { publicKey } = level.impl.keygen(new Uint8Array(64).fill(1))
  measure(
    `${level.name} encapsulate`,
    mlkemPrecompile,
    bytes(encodeFunctionData({ abi: IMLKEM_ABI, functionName: 'encapsulate', args: [toHex(publicKey)] })),
  )
}
// SLH-DSA: a valid SHA2-128f signature, and for every set a well-formed signature of its size (the
// verifier walks the whole hypertree either way)
{
  const { publicKey, secretKey } = slh_dsa_sha2_128f.keygen(new Uint8Array(48).fill(1))
  const sig = slh_dsa_sha2_128f.sign(msg, secretKey)
  measure(
    'SLH-DSA-SHA2-128f (valid)',
    slhdsaPrecompile,
    bytes(encodeFunctionData({ abi: ISLHDSA_ABI, functionName: 'verify', args: [2, toHex(publicKey), toHex(msg), toHex(sig)] })),
  )
}
SLH_DSA_SETS.forEach((set, id) => {
  const input = encodeFunctionData({
    abi: ISLHDSA_ABI,
    functionName: 'verify',
    args: [
      id,
      toHex(new Uint8Array(set.impl.lengths.publicKey).fill(3)),
      toHex(msg),
      toHex(new Uint8Array(set.impl.lengths.signature).fill(5)),
    ],
  })
  measure(set.name, slhdsaPrecompile, bytes(input))
})
measure(
  'ECIES encrypt 256 B',
  eciesPrecompile,
  bytes(
    encodeFunctionData({
      abi: IECIES_ABI,
      functionName: 'encrypt',
      args: [toHex(secp256k1.getPublicKey(priv, true)), toHex(new Uint8Array(256)), toHex(new Uint8Array(32).fill(9))],
    }),
  ),
)
// ring signatures: the price is per member, so a small and the largest ring
for (const size of [2, 16, 64]) {
  const keys = Array.from({ length: size }, (_, i) => keccak_256(Uint8Array.of(100, i)))
  const ring = keys.map((k) => secp256k1.getPublicKey(k, true))
  const sig = ringSign(msg, ring, keys[size - 1])
  measure(
    `Ring signature, ${size} keys`,
    ringPrecompile,
    bytes(encodeFunctionData({ abi: IRING_ABI, functionName: 'verify', args: [toHex(Buffer.concat(ring)), toHex(msg), toHex(sig)] })),
  )
}
measure(
  'SHA3-256 of 1 KiB',
  sha3Precompile,
  bytes(encodeFunctionData({ abi: ISHA3_ABI, functionName: 'sha3_256', args: [toHex(new Uint8Array(1024))] })),
)

// HPKE runs asynchronously (WebCrypto): timed over sequential awaited calls
async function measureAsync(name, precompile, input) {
  const gas = precompile.gas(input)
  const first = await executeAsync(precompile, input, 1_000_000_000n)
  if (first.exceptionError !== undefined) throw new Error(`${name}: the benchmark input reverted`)
  for (let i = 0; i < 3; i++) await executeAsync(precompile, input, 1_000_000_000n)
  let n = 0
  const t0 = performance.now()
  let t = t0
  while (t - t0 < MIN_MS) {
    await executeAsync(precompile, input, 1_000_000_000n)
    n++
    t = performance.now()
  }
  const ops = (n * 1000) / (t - t0)
  const ratio = (Number(gas) * ops) / ecGasPerSec
  const suggested = Math.round(ecGasPerSec / ops / 1000) * 1000
  rows.push({ name, gas, ops, ratio, suggested })
  console.log(
    `${name.padEnd(28)} gas ${String(gas).padStart(9)}  ${ops.toFixed(1).padStart(9)} ops/s  gas/s vs ecrecover ${ratio.toFixed(2)}x  (1.0x at ${suggested})`,
  )
}
{
  const hpke = hpkePrecompile()
  for (const [id, s] of hpkeSuites().entries()) {
    const kp = await s.suite.kem.deriveKeyPair(new Uint8Array(32).fill(1).buffer)
    const pk = new Uint8Array(await s.suite.kem.serializePublicKey(kp.publicKey))
    const input = encodeFunctionData({
      abi: IHPKE_ABI,
      functionName: 'seal',
      args: [id, toHex(pk), '0x01', '0x02', toHex(new Uint8Array(256)), toHex(new Uint8Array(s.randomness).fill(3))],
    })
    await measureAsync(`HPKE seal 256 B, suite ${id}`, hpke, bytes(input))
  }
}

// noble vs liboqs (WASM) for ML-DSA verification
const oqs = await import('@oqs/liboqs-js')
const libRows = []
for (const [name, impl, make] of [
  ['ML-DSA-44', ml_dsa44, oqs.createMLDSA44],
  ['ML-DSA-65', ml_dsa65, oqs.createMLDSA65],
  ['ML-DSA-87', ml_dsa87, oqs.createMLDSA87],
]) {
  const { publicKey, secretKey } = impl.keygen(new Uint8Array(32).fill(1))
  const sig = impl.sign(msg, secretKey)
  const o = await make()
  if (o.verify(msg, sig, publicKey) !== true) throw new Error(`liboqs does not accept noble's ${name} signature`)
  const nobleOps = opsPerSecond(() => impl.verify(sig, msg, publicKey))
  const oqsOps = opsPerSecond(() => o.verify(msg, sig, publicKey))
  o.destroy?.()
  libRows.push({ name, nobleOps, oqsOps })
  console.log(
    `${name} verify: noble ${nobleOps.toFixed(0)}/s, liboqs (WASM) ${oqsOps.toFixed(0)}/s, liboqs/noble ${(oqsOps / nobleOps).toFixed(1)}x`,
  )
}

const cpu = cpus()[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU'
const fmt = (n) => Math.round(n).toLocaleString('en-US')
const lines = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpu}, Node ${process.version}.`,
  '',
  `ecrecover (0x01, 3,000 gas): ${fmt(ecOps)} ops/s = ${fmt(ecGasPerSec)} gas/s (the node's libsecp256k1 recovery).`,
  '',
  '| precompile call | gas | ops/s | gas/s vs ecrecover | gas for 1.0x |',
  '| --- | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.name} | ${fmt(Number(r.gas))} | ${r.ops.toFixed(1)} | ${r.ratio.toFixed(2)}x${r.ratio < 0.5 || r.ratio > 2 ? ' (outside 0.5x–2x)' : ''} | ${fmt(r.suggested)} |`,
  ),
  '',
  '| ML-DSA verify | noble (node) ops/s | liboqs WASM ops/s | liboqs / noble |',
  '| --- | ---: | ---: | ---: |',
  ...libRows.map((r) => `| ${r.name} | ${fmt(r.nobleOps)} | ${fmt(r.oqsOps)} | ${(r.oqsOps / r.nobleOps).toFixed(1)}x |`),
]
const table = lines.join('\n')
console.log('\n' + table)
writeDocBlock(join(ROOT, 'docs', 'precompiles.md'), 'precompiles', table, '## Measured (`npm run bench:precompiles`)')
