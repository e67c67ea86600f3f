#!/usr/bin/env node
// JSON-RPC benchmark: parsd vs `hardhat node` (Hardhat 2) vs anvil, side by side on this machine.
//
//   npm run bench:rpc                      (builds first; parsd is skipped if dist/ has no parsd)
//   node bench/rpc.mjs [--duration S] [--warmup S] [--concurrency N] [--latency-txs N]
//                      [--transfers N] [--only parsd,hardhat,anvil] [--no-write]
//
// Measures, per server (one server at a time, so they never compete for the CPU):
//   1. reads, req/s: eth_blockNumber, eth_getBalance(dev account, latest), eth_call ERC-20 balanceOf on
//      a ParsToken deployed at start. A load generator in a separate child process (this file with
//      --loadgen) keeps a fixed number of requests in flight over HTTP/1.1 keep-alive connections
//      (one request per connection at a time) for a fixed duration after a warm-up.
//   2. send-to-receipt latency: sequential transfers, each signed beforehand (viem), timed from
//      eth_sendRawTransaction until eth_getTransactionReceipt (polled in a tight loop) returns it.
//   3. sustained transfers/s: N (rounded up to a multiple of 16) pre-signed transfers from 16 dev accounts, sent as fast as the node
//      accepts them (one in-flight request per sender, senders in parallel); time until the last
//      receipt; all N must be included.
// parsd runs twice: `--block-time 0` (a block per tx) for 1 and 2, its default block time for 3.
// hardhat node and anvil automine (a block per tx). Their per-request console logging is switched
// off (`hardhat_setLoggingEnabled false`, `anvil --silent`), so they are measured at their fastest.
//
// Writes the table between <!-- bench:rpc:start --> and <!-- bench:rpc:end --> in docs/performance.md.
import { execFileSync, fork, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { connect, createServer } from 'node:net'
import { cpus, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = resolve(HERE, '..')

if (process.argv.includes('--loadgen')) {
  runLoadgenChild()
} else if (process.argv.includes('--node-http')) {
  runNodeHttp(Number(process.argv[process.argv.indexOf('--node-http') + 1]))
} else if (process.argv.includes('--ethereumjs-floor')) {
  runEthereumjsFloor().then(
    (result) => process.send({ ok: true, result }),
    (err) => process.send({ ok: false, error: String(err && err.stack ? err.stack : err) }),
  )
} else {
  main().catch((err) => {
    console.error(err)
    shutdownAll()
    process.exit(1)
  })
}

// ================================================================================================
// The ceiling (child process): Node's own http module answering every POST with one constant JSON-RPC
// result, no parsing or dispatch. No server written for Node can answer faster on this machine, so
// it shows what the read targets ask of a single Node process.
// ================================================================================================

function runNodeHttp(port) {
  const answer = '{"jsonrpc":"2.0","id":1,"result":"0x1"}'
  http
    .createServer((req, res) => {
      req.resume()
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.length })
        res.end(answer)
      })
    })
    .listen(port, '127.0.0.1')
}

// ================================================================================================
// The floor (child process): what EthereumJS itself takes for the work behind two measures, in
// process, with no RPC, on parsd's own chain modules (dist/evm) over a real LevelDB:
//   - building and committing a block of one transfer (what send→receipt waits for with block time 0);
//   - evm.runCall of ERC-20 balanceOf for holders in turn, on a VM standing on the head state with warm
//     caches (the least an uncached eth_call can cost on this EVM: no transaction object, no runTx).
// No server built on EthereumJS answers these faster than this, whatever its RPC layer does.
// ================================================================================================

async function runEthereumjsFloor() {
  const { openLevelDb, nullLogger, fromHex } = await import(pathToFileURL(join(ROOT, 'dist', 'common', 'index.js')).href)
  const { Chain, devGenesis } = await import(pathToFileURL(join(ROOT, 'dist', 'evm', 'index.js')).href)
  const { createTx } = await import('@ethereumjs/tx')
  const { Address } = await import('@ethereumjs/util')
  const v = await import('viem')
  const { mnemonicToAccount } = await import('viem/accounts')
  const signer = mnemonicToAccount(DEV_MNEMONIC)
  const key = fromHex(v.toHex(signer.getHdKey().privateKey))
  const dir = mkdtempSync(join(tmpdir(), 'pars-bench-floor-'))
  const kv = await openLevelDb(dir)
  try {
    const chain = await Chain.open(
      { kv, logger: nullLogger('bench') },
      devGenesis({ alloc: { [signer.address.toLowerCase()]: { balance: 10n ** 24n } } }),
    )
    let nonce = 0n
    const signed = (fields) =>
      createTx(
        { type: 2, chainId: chain.chainId, nonce: nonce++, maxFeePerGas: 10n ** 11n, maxPriorityFeePerGas: 10n ** 9n, ...fields },
        { common: chain.common },
      ).sign(key)
    const mineOne = (tx) =>
      chain.produce(
        (parent) => chain.buildOn(parent, { timestamp: parent.header.timestamp + 1n, coinbase: new Uint8Array(20), candidates: [tx] }),
        { final: true },
      )
    const artifact = JSON.parse(readFileSync(TOKEN_ARTIFACT, 'utf8'))
    const deploy = v.encodeDeployData({
      abi: artifact.abi,
      bytecode: artifact.bytecode,
      args: ['Pars Token', 'PARS', 1_000_000n * 10n ** 18n],
    })
    const { built } = await mineOne(signed({ data: fromHex(deploy), gasLimit: 3_000_000n }))
    const token = new Address(built.receipts[0].contractAddress)

    // one-transfer blocks, signed beforehand (as the pool holds them: sender already recovered)
    const transfers = Array.from({ length: 30 + 300 }, () => signed({ to: fromHex(`0x${'11'.repeat(20)}`), value: 1n, gasLimit: 21_000n }))
    for (const tx of transfers) tx.getSenderAddress()
    const blockMs = []
    for (const tx of transfers) {
      const t = performance.now()
      await mineOne(tx)
      blockMs.push(performance.now() - t)
    }
    const perBlock = blockMs.slice(30).sort((a, b) => a - b)

    const abi = v.parseAbi(['function balanceOf(address) view returns (uint256)'])
    const datas = Array.from({ length: 65536 }, (_, i) =>
      fromHex(v.encodeFunctionData({ abi, functionName: 'balanceOf', args: [`0x${(i + 1).toString(16).padStart(40, '0')}`] })),
    )
    const caller = new Address(new Uint8Array(20))
    const callsPerS = await chain.execution.calls.run(chain.head, async (vm) => {
      const once = async (i) => {
        const r = await vm.evm.runCall({ to: token, caller, data: datas[i % datas.length], gasLimit: 1_000_000n })
        if (r.execResult.exceptionError !== undefined) throw new Error(`balanceOf failed: ${r.execResult.exceptionError.error}`)
      }
      let i = 0
      for (const end = performance.now() + 1000; performance.now() < end;) await once(i++)
      const t = performance.now()
      let n = 0
      for (const end = t + 3000; performance.now() < end; n++) await once(i++)
      return n / ((performance.now() - t) / 1000)
    })
    return { blockP50: percentile(perBlock, 50), callsPerS }
  } finally {
    await kv.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

// ================================================================================================
// Load generator (child process): minimal HTTP/1.1 keep-alive client on raw sockets, so the client
// side costs as little CPU as possible and never becomes the bottleneck it would be with fetch().
// ================================================================================================

function runLoadgenChild() {
  process.on('message', async (job) => {
    try {
      const result = await loadgen(job)
      process.send({ ok: true, result })
    } catch (err) {
      process.send({ ok: false, error: String(err && err.stack ? err.stack : err) })
    }
  })
}

/**
 * Keeps `concurrency` requests in flight (one per connection) until warm-up + duration have passed;
 * counts the responses that complete inside the measured window. A connection the server closes is
 * reopened (and counted), so the concurrency stays fixed.
 * @param {{ host: string, port: number, body: string, concurrency: number, warmupMs: number, durationMs: number }} job
 */
function loadgen({ host, port, body, concurrency, warmupMs, durationMs }) {
  // `body` is one JSON text, or an array of them sent in turn (distinct requests defeat answer caches)
  const requests = (Array.isArray(body) ? body : [body]).map((text) => {
    const payload = Buffer.from(text)
    return Buffer.concat([
      Buffer.from(
        `POST / HTTP/1.1\r\nHost: ${host}:${port}\r\nContent-Type: application/json\r\n` +
          `Connection: keep-alive\r\nContent-Length: ${payload.length}\r\n\r\n`,
      ),
      payload,
    ])
  })
  let nextRequest = 0
  const request = () => requests[nextRequest++ % requests.length]
  const ERROR_MARK = Buffer.from('"error"')

  return new Promise((resolveRun, rejectRun) => {
    const start = performance.now()
    let cpuAtMeasure
    setTimeout(() => {
      cpuAtMeasure = process.cpuUsage()
    }, warmupMs).unref()
    const measureFrom = start + warmupMs
    const stopAt = measureFrom + durationMs
    let measured = 0
    let errors = 0
    let httpErrors = 0
    let reconnects = 0
    let open = 0
    let settled = false

    const done = (err) => {
      if (settled || (!err && open > 0)) return
      settled = true
      if (err) rejectRun(err)
      else {
        // share of one core the load generator used during the measured window
        const cpu = process.cpuUsage(cpuAtMeasure)
        const clientCpu = (cpu.user + cpu.system) / 1000 / durationMs
        resolveRun({ requests: measured, rps: measured / (durationMs / 1000), errors, httpErrors, reconnects, clientCpu })
      }
    }

    /** Length of the first complete HTTP response in buf and whether its body has "error", or undefined. */
    const parse = (buf) => {
      const headerEnd = buf.indexOf('\r\n\r\n')
      if (headerEnd < 0) return undefined
      const head = buf.subarray(0, headerEnd).toString('latin1')
      const status = Number(head.slice(9, 12))
      const bodyStart = headerEnd + 4
      const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head)
      if (cl) {
        const end = bodyStart + Number(cl[1])
        if (buf.length < end) return undefined
        return { end, status, isError: buf.subarray(bodyStart, end).indexOf(ERROR_MARK) >= 0 }
      }
      if (!/\r\ntransfer-encoding:\s*chunked/i.test(head)) throw new Error(`response without a length: ${head}`)
      let p = bodyStart
      let isError = false
      for (;;) {
        const lineEnd = buf.indexOf('\r\n', p)
        if (lineEnd < 0) return undefined
        const size = parseInt(buf.subarray(p, lineEnd).toString('latin1'), 16)
        if (size === 0) {
          const trailerEnd = buf.indexOf('\r\n\r\n', lineEnd)
          if (trailerEnd < 0) return undefined
          return { end: trailerEnd + 4, status, isError }
        }
        if (buf.length < lineEnd + 2 + size + 2) return undefined
        if (buf.subarray(lineEnd + 2, lineEnd + 2 + size).indexOf(ERROR_MARK) >= 0) isError = true
        p = lineEnd + 2 + size + 2
      }
    }

    const openConnection = () => {
      open++
      const socket = connect({ host, port, noDelay: true })
      let buf = Buffer.alloc(0)
      let closed = false
      const close = () => {
        if (closed) return
        closed = true
        open--
        socket.destroy()
        if (!settled && performance.now() < stopAt) {
          reconnects++
          if (reconnects > 100 * concurrency) done(new Error('the server keeps closing connections'))
          else openConnection()
        } else {
          done()
        }
      }
      socket.on('error', close)
      socket.on('close', close)
      socket.on('connect', () => socket.write(request()))
      socket.on('data', (chunk) => {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk])
        for (;;) {
          let res
          try {
            res = parse(buf)
          } catch (err) {
            done(err)
            close()
            return
          }
          if (!res) return
          if (res.isError) errors++
          if (res.status !== 200) httpErrors++
          buf = buf.subarray(res.end)
          const now = performance.now()
          if (now >= measureFrom && now < stopAt) measured++
          if (now >= stopAt) {
            closed = true
            open--
            socket.destroy()
            done()
            return
          }
          socket.write(request())
        }
      })
    }

    for (let i = 0; i < concurrency; i++) openConnection()
  })
}

// ================================================================================================
// Main process
// ================================================================================================

const DEV_MNEMONIC = 'test test test test test test test test test test test junk'
// PARS_BENCH_PARSD: another parsd entry script (e.g. to try the bench against a stand-in)
const PARSD = process.env.PARS_BENCH_PARSD ? resolve(process.env.PARS_BENCH_PARSD) : join(ROOT, 'dist', 'node', 'cli', 'parsd.js')
const HARDHAT = join(ROOT, 'node_modules', 'hardhat', 'internal', 'cli', 'bootstrap.js')
const HARDHAT_CONFIG = join(ROOT, 'contracts', 'hardhat.config.cjs')
const TOKEN_ARTIFACT = join(ROOT, 'contracts', 'artifacts', 'src', 'ParsToken.sol', 'ParsToken.json')
const PERF_DOC = join(ROOT, 'docs', 'performance.md')
const START_MARK = '<!-- bench:rpc:start -->'
const END_MARK = '<!-- bench:rpc:end -->'

/** @type {Set<import('node:child_process').ChildProcess>} */
const children = new Set()
/** @type {Set<string>} */
const tempDirs = new Set()

function shutdownAll() {
  for (const child of children) {
    try {
      child.kill('SIGKILL')
    } catch {
      // gone
    }
  }
  children.clear()
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true })
  tempDirs.clear()
}
process.on('exit', shutdownAll)
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`\n${sig}: stopping servers`)
    shutdownAll()
    process.exit(130)
  })
}

function parseArgs(argv) {
  const opts = {
    durationS: 5,
    warmupS: 1,
    concurrency: 32,
    latencyTxs: 200,
    transfers: 2000,
    senders: 16,
    only: ['parsd', 'hardhat', 'anvil'],
    write: true,
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const next = () => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${a} needs a value`)
      return v
    }
    if (a === '--duration') opts.durationS = Number(next())
    else if (a === '--warmup') opts.warmupS = Number(next())
    else if (a === '--concurrency') opts.concurrency = Number(next())
    else if (a === '--latency-txs') opts.latencyTxs = Number(next())
    else if (a === '--transfers') opts.transfers = Number(next())
    else if (a === '--only') opts.only = next().split(',')
    else if (a === '--no-write') opts.write = false
    else throw new Error(`unknown argument ${a}`)
  }
  return opts
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolvePort(port))
    })
  })
}

function anvilBinary() {
  const scope = join(ROOT, 'node_modules', '@foundry-rs')
  if (existsSync(scope)) {
    for (const entry of readdirSync(scope)) {
      const candidate = join(scope, entry, 'bin', 'anvil')
      if (entry.startsWith('anvil-') && existsSync(candidate)) return candidate
    }
  }
  return join(ROOT, 'node_modules', '.bin', 'anvil')
}

let rpcId = 0
async function rpc(url, method, params = []) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: ++rpcId, method, params }),
    signal: AbortSignal.timeout(30_000),
  })
  const body = await res.json()
  if (body.error) throw new Error(`${method}: ${body.error.message} ${body.error.data ?? ''}`)
  return body.result
}

/**
 * Start a server process and wait until eth_chainId answers (bounded, and only while it is alive).
 * stdout is discarded; the tail of stderr is kept for error messages.
 */
async function startServer(name, cmd, args, { readyTimeoutMs = 60_000 } = {}) {
  const port = await freePort()
  const fullArgs = args(port)
  const deathSig = process.platform === 'linux' && existsSync('/usr/bin/setpriv')
  const argv = deathSig ? ['/usr/bin/setpriv', '--pdeathsig', 'SIGKILL', '--', cmd, ...fullArgs] : [cmd, ...fullArgs]
  const proc = spawn(argv[0], argv.slice(1), { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] })
  children.add(proc)
  let stderr = ''
  proc.stderr.on('data', (c) => {
    stderr = (stderr + c.toString()).slice(-8000)
  })
  let spawnError
  const exited = new Promise((r) => {
    proc.once('exit', r)
    proc.once('error', (err) => {
      if (proc.pid === undefined) {
        spawnError = err
        r()
      }
    })
  }).then(() => children.delete(proc))
  const alive = () => proc.exitCode === null && proc.signalCode === null && !spawnError
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + readyTimeoutMs
  let chainId
  while (alive() && Date.now() < deadline) {
    try {
      chainId = Number(await rpc(url, 'eth_chainId'))
      break
    } catch {
      await sleep(100)
    }
  }
  const stop = async () => {
    if (alive()) {
      proc.kill('SIGTERM')
      const t = setTimeout(() => alive() && proc.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(t)
    }
    await exited
  }
  if (chainId === undefined) {
    await stop()
    throw new Error(`${name} did not become ready (${spawnError ?? `exit ${proc.exitCode}`}): ${argv.join(' ')}\n${stderr}`)
  }
  return { name, url, port, pid: proc.pid, chainId, stop }
}

// ---------------------------------------------------------------------------- measurements

async function runLoad(server, body, opts) {
  const child = fork(fileURLToPath(import.meta.url), ['--loadgen'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  children.add(child)
  try {
    const answer = await new Promise((resolveAnswer, reject) => {
      child.once('message', resolveAnswer)
      child.once('exit', (code) => reject(new Error(`load generator exited with ${code}`)))
      child.send({
        host: '127.0.0.1',
        port: server.port,
        body: Array.isArray(body) ? body.map((b) => JSON.stringify(b)) : JSON.stringify(body),
        concurrency: opts.concurrency,
        warmupMs: opts.warmupS * 1000,
        durationMs: opts.durationS * 1000,
      })
    })
    if (!answer.ok) throw new Error(answer.error)
    return answer.result
  } finally {
    child.kill('SIGKILL')
    children.delete(child)
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN
  const idx = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  return sorted[Math.max(0, idx)]
}

async function fees(url) {
  const block = await rpc(url, 'eth_getBlockByNumber', ['latest', false])
  const base = BigInt(block.baseFeePerGas ?? (await rpc(url, 'eth_gasPrice')))
  const tip = 1_000_000_000n
  const floor = 50_000_000_000n
  const maxFee = base * 4n + tip > floor ? base * 4n + tip : floor
  return { maxFeePerGas: maxFee, maxPriorityFeePerGas: tip }
}

async function signTransfers(v, { url, chainId, accounts, perAccount, to, fee }) {
  const out = []
  for (const account of accounts) {
    const nonce = Number(await rpc(url, 'eth_getTransactionCount', [account.address, 'pending']))
    const signed = []
    for (let i = 0; i < perAccount; i++) {
      signed.push(
        await account.signTransaction({
          type: 'eip1559',
          chainId,
          nonce: nonce + i,
          to,
          value: 1n,
          gas: 21_000n,
          ...fee,
        }),
      )
    }
    out.push({ account, nonce, signed })
  }
  return out
}

async function deployToken(v, server, deployer) {
  const artifact = JSON.parse(readFileSync(TOKEN_ARTIFACT, 'utf8'))
  const data = v.encodeDeployData({
    abi: artifact.abi,
    bytecode: artifact.bytecode,
    args: ['Pars Token', 'PARS', 1_000_000n * 10n ** 18n],
  })
  const nonce = Number(await rpc(server.url, 'eth_getTransactionCount', [deployer.address, 'pending']))
  const gas = BigInt(await rpc(server.url, 'eth_estimateGas', [{ from: deployer.address, data }]))
  const tx = await deployer.signTransaction({
    type: 'eip1559',
    chainId: server.chainId,
    nonce,
    data,
    gas: (gas * 12n) / 10n,
    ...(await fees(server.url)),
  })
  const hash = await rpc(server.url, 'eth_sendRawTransaction', [tx])
  const receipt = await waitReceipt(server.url, hash, 60_000)
  if (receipt.status !== '0x1') throw new Error(`${server.name}: ParsToken deployment reverted`)
  return receipt.contractAddress
}

async function waitReceipt(url, hash, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const receipt = await rpc(url, 'eth_getTransactionReceipt', [hash])
    if (receipt) return receipt
    if (Date.now() > deadline) throw new Error(`no receipt for ${hash} within ${timeoutMs} ms`)
  }
}

async function measureReads(v, server, token, holder, opts, result) {
  const balanceOf = v.encodeFunctionData({
    abi: v.parseAbi(['function balanceOf(address) view returns (uint256)']),
    functionName: 'balanceOf',
    args: [holder],
  })
  const loads = {
    blockNumber: { jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] },
    getBalance: { jsonrpc: '2.0', id: 1, method: 'eth_getBalance', params: [holder, 'latest'] },
    call: { jsonrpc: '2.0', id: 1, method: 'eth_call', params: [{ to: token, data: balanceOf }, 'latest'] },
    // 65536 different holders in turn (more than a run sends): what a node does when the answer is not already cached
    callDistinct: Array.from({ length: 65536 }, (_, i) => ({
      jsonrpc: '2.0',
      id: 1,
      method: 'eth_call',
      params: [
        {
          to: token,
          data: v.encodeFunctionData({
            abi: v.parseAbi(['function balanceOf(address) view returns (uint256)']),
            functionName: 'balanceOf',
            args: [`0x${(i + 1).toString(16).padStart(40, '0')}`],
          }),
        },
        'latest',
      ],
    })),
  }
  // sanity: every measured request must succeed and mean something
  const bal = BigInt(await rpc(server.url, 'eth_call', loads.call.params))
  if (bal !== 1_000_000n * 10n ** 18n) throw new Error(`${server.name}: balanceOf returned ${bal}`)
  for (const [key, body] of Object.entries(loads)) {
    const r = await runLoad(server, body, opts)
    if (r.errors > 0 || r.httpErrors > 0) {
      console.warn(`  ${server.name} ${key}: ${r.errors} JSON-RPC errors, ${r.httpErrors} HTTP errors`)
    }
    result[key] = r.errors + r.httpErrors > 0 ? { rps: r.rps, errors: r.errors + r.httpErrors } : { rps: r.rps }
    console.log(`  ${server.name} ${key.padEnd(12)} ${fmt(r.rps)} req/s (load generator at ${Math.round(r.clientCpu * 100)}% of a core)`)
  }
}

async function measureLatency(v, server, accounts, opts, result) {
  const [signer] = accounts
  const [{ signed }] = await signTransfers(v, {
    url: server.url,
    chainId: server.chainId,
    accounts: [signer],
    perAccount: opts.latencyTxs,
    to: accounts[1].address,
    fee: await fees(server.url),
  })
  const times = []
  for (const tx of signed) {
    const t0 = performance.now()
    const hash = await rpc(server.url, 'eth_sendRawTransaction', [tx])
    for (;;) {
      const receipt = await rpc(server.url, 'eth_getTransactionReceipt', [hash])
      if (receipt) break
      if (performance.now() - t0 > 30_000) throw new Error(`${server.name}: no receipt for ${hash} after 30 s`)
    }
    times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  result.latency = { p50: percentile(times, 50), p95: percentile(times, 95) }
  console.log(`  ${server.name} send→receipt p50 ${result.latency.p50.toFixed(2)} ms, p95 ${result.latency.p95.toFixed(2)} ms`)
}

async function measureSustained(v, server, accounts, opts, result) {
  const senders = accounts.slice(2, 2 + opts.senders)
  const perAccount = Math.ceil(opts.transfers / senders.length)
  const batches = await signTransfers(v, {
    url: server.url,
    chainId: server.chainId,
    accounts: senders,
    perAccount,
    to: accounts[1].address,
    fee: await fees(server.url),
  })
  const total = perAccount * senders.length
  const t0 = performance.now()
  const lastHashes = await Promise.all(
    batches.map(async ({ signed }) => {
      let hash
      for (const tx of signed) hash = await rpc(server.url, 'eth_sendRawTransaction', [tx])
      return hash
    }),
  )
  const accepted = performance.now() - t0
  // The last nonce of every sender is included => all its earlier transfers are.
  // anvil's automine sometimes stops mining ready transactions under concurrent submission
  // (foundry-rs/foundry#10122); when its chain makes no progress for 250 ms while receipts are
  // missing, flush with evm_mine and count it (reported with the result).
  const receipts = new Map()
  let lastBlock = -1
  let lastProgress = performance.now()
  let flushes = 0
  while (receipts.size < lastHashes.length) {
    for (const h of lastHashes) {
      if (receipts.has(h)) continue
      const r = await rpc(server.url, 'eth_getTransactionReceipt', [h])
      if (r) receipts.set(h, r)
    }
    if (receipts.size === lastHashes.length) break
    const now = performance.now()
    if (now - t0 > 120_000)
      throw new Error(`${server.name}: ${lastHashes.length - receipts.size} senders' last transfers not mined after 120 s`)
    const block = Number(await rpc(server.url, 'eth_blockNumber'))
    if (block !== lastBlock) {
      lastBlock = block
      lastProgress = now
    } else if (server.name === 'anvil' && now - lastProgress > 250) {
      await rpc(server.url, 'evm_mine')
      flushes++
      lastProgress = now
    }
  }
  const elapsed = performance.now() - t0
  for (const [i, { account, nonce }] of batches.entries()) {
    const n = Number(await rpc(server.url, 'eth_getTransactionCount', [account.address, 'latest']))
    if (n !== nonce + perAccount) throw new Error(`${server.name}: ${account.address} nonce ${n}, expected ${nonce + perAccount}`)
    if (receipts.get(lastHashes[i]).status !== '0x1') throw new Error(`${server.name}: transfer failed`)
  }
  result.sustained = { tps: total / (elapsed / 1000), total, seconds: elapsed / 1000, acceptSeconds: accepted / 1000, flushes }
  console.log(
    `  ${server.name} sustained ${fmt(result.sustained.tps)} transfers/s (${total} in ${(elapsed / 1000).toFixed(2)} s; ` +
      `accepted in ${(accepted / 1000).toFixed(2)} s${flushes ? `; ${flushes} evm_mine flush(es) of a stalled automine` : ''})`,
  )
}

// ---------------------------------------------------------------------------- servers

/** Run this file as a child with `args` and return what it sends back ({ ok, result | error }). */
function childResult(args) {
  return new Promise((resolvePromise, reject) => {
    const child = fork(fileURLToPath(import.meta.url), args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    children.add(child)
    let settled = false
    child.once('message', (m) => {
      settled = true
      child.kill()
      if (m.ok) resolvePromise(m.result)
      else reject(new Error(m.error))
    })
    child.once('exit', (code) => {
      children.delete(child)
      if (!settled) reject(new Error(`child ${args.join(' ')} exited with ${code} before answering`))
    })
  })
}

let parsdHelpText
function parsdHelp() {
  if (parsdHelpText === undefined) {
    try {
      parsdHelpText = execFileSync(process.execPath, [PARSD, '--help'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 })
    } catch {
      parsdHelpText = ''
    }
  }
  return parsdHelpText
}

function serverSpecs(opts) {
  const specs = []
  if (opts.only.includes('parsd')) {
    specs.push({
      name: 'parsd',
      available: existsSync(PARSD),
      // measures 1 and 2 with a block per tx; measure 3 with the default block time
      runs: [
        { label: 'block-time 0', measures: ['reads', 'latency'], extra: ['--block-time', '0'] },
        { label: 'default block time', measures: ['sustained'], extra: [] },
      ],
      start: async (run) => {
        const datadir = mkdtempSync(join(tmpdir(), 'pars-bench-'))
        tempDirs.add(datadir)
        // optional flags only once parsd has them (unknown flags are fatal)
        const optional = []
        if (parsdHelp().includes('--p2p-port')) optional.push('--p2p-port', String(await freePort()))
        if (parsdHelp().includes('--log-level')) optional.push('--log-level', 'warn')
        const server = await startServer('parsd', process.execPath, (port) => [
          PARSD,
          '--dev',
          '--rpc-port',
          String(port),
          '--datadir',
          datadir,
          ...optional,
          ...run.extra,
        ])
        const stop = server.stop
        server.stop = async () => {
          await stop()
          rmSync(datadir, { recursive: true, force: true })
          tempDirs.delete(datadir)
        }
        return server
      },
    })
  }
  if (opts.only.includes('hardhat')) {
    specs.push({
      name: 'hardhat',
      available: true,
      runs: [{ label: 'automine', measures: ['reads', 'latency', 'sustained'] }],
      start: async () => {
        const server = await startServer('hardhat', process.execPath, (port) => [
          HARDHAT,
          '--config',
          HARDHAT_CONFIG,
          'node',
          '--hostname',
          '127.0.0.1',
          '--port',
          String(port),
        ])
        await rpc(server.url, 'hardhat_setLoggingEnabled', [false])
        return server
      },
    })
  }
  if (opts.only.includes('anvil')) {
    specs.push({
      name: 'anvil',
      available: true,
      runs: [{ label: 'automine', measures: ['reads', 'latency', 'sustained'] }],
      start: () =>
        startServer('anvil', anvilBinary(), (port) => ['--host', '127.0.0.1', '--port', String(port), '--accounts', '20', '--silent']),
    })
  }
  return specs
}

// ---------------------------------------------------------------------------- report

function fmt(n) {
  if (n === undefined || Number.isNaN(n)) return '—'
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1)
}

function ratio(a, b) {
  if (a === undefined || b === undefined || !b) return '—'
  return `${(a / b).toFixed(2)}x`
}

function buildTable(results, opts, meta) {
  const p = results.parsd
  const h = results.hardhat
  const a = results.anvil
  const pAvail = p && !p.unavailable
  const rows = [
    ['eth_blockNumber (req/s)', (r) => r?.blockNumber?.rps, false],
    ['eth_getBalance (req/s)', (r) => r?.getBalance?.rps, false],
    ['eth_call balanceOf, same request (req/s)', (r) => r?.call?.rps, false],
    ['eth_call balanceOf, 65536 holders in turn (req/s)', (r) => r?.callDistinct?.rps, false],
    ['send→receipt p50 (ms, lower is better)', (r) => r?.latency?.p50, true],
    ['send→receipt p95 (ms, lower is better)', (r) => r?.latency?.p95, true],
    ['sustained transfers/s', (r) => r?.sustained?.tps, false],
  ]
  const cell = (r, get, isMs) => {
    if (!r || r.unavailable) return 'n/a'
    const val = get(r)
    if (val === undefined) return r.error ? 'error' : '—'
    return isMs ? val.toFixed(2) : fmt(val)
  }
  const lines = []
  lines.push(`| measure | parsd | hardhat node | anvil | parsd/hardhat | parsd/anvil |`)
  lines.push(`| --- | ---: | ---: | ---: | ---: | ---: |`)
  for (const [label, get, isMs] of rows) {
    lines.push(
      `| ${label} | ${cell(p, get, isMs)} | ${cell(h, get, isMs)} | ${cell(a, get, isMs)} | ` +
        `${pAvail ? ratio(get(p), get(h)) : '—'} | ${pAvail ? ratio(get(p), get(a)) : '—'} |`,
    )
  }

  const ceiling = results.nodeHttp?.rps
  if (ceiling !== undefined) {
    lines.push(
      `| the ceiling of any Node server: Node's http module answering a constant, in the parsd column (req/s) | ${fmt(ceiling)} | | | ${ratio(ceiling, h?.blockNumber?.rps)} | ${ratio(ceiling, a?.blockNumber?.rps)} |`,
    )
  }
  const floor = results.floor
  if (floor !== undefined) {
    lines.push(
      `| the floor of EthereumJS: a one-transfer block built and committed in process, no RPC, in the parsd column (ms, p50) | ${floor.blockP50.toFixed(2)} | | | ${ratio(floor.blockP50, h?.latency?.p50)} | ${ratio(floor.blockP50, a?.latency?.p50)} |`,
      `| the floor of EthereumJS: evm.runCall of balanceOf, holders in turn, in process, no RPC, in the parsd column (calls/s) | ${fmt(floor.callsPerS)} | | | ${ratio(floor.callsPerS, h?.callDistinct?.rps)} | ${ratio(floor.callsPerS, a?.callDistinct?.rps)} |`,
    )
  }
  const targets = []
  const check = (label, ok) => targets.push(`- ${label}: ${ok === undefined ? 'not measured' : ok ? '**met**' : '**not met**'}`)
  const ge = (x, y, k) => (x === undefined || y === undefined ? undefined : x >= k * y)
  const readsVs = (other, k) => {
    const oks = ['blockNumber', 'getBalance'].map((key) => ge(p?.[key]?.rps, other?.[key]?.rps, k))
    return oks.includes(undefined) ? undefined : oks.every(Boolean)
  }
  if (pAvail) {
    const ceilingVs = (other) =>
      ceiling === undefined ? '' : ` (Node's http module answering a constant: ${ratio(ceiling, other?.blockNumber?.rps)})`
    check(`reads (eth_blockNumber, eth_getBalance) >= 4x hardhat node${ceilingVs(h)}`, readsVs(h, 4))
    check(`reads >= 0.7x anvil${ceilingVs(a)}`, readsVs(a, 0.7))
    check('eth_call (same request) >= 3x hardhat node', ge(p?.call?.rps, h?.call?.rps, 3))
    const floorCalls = floor === undefined ? '' : ` (EthereumJS's evm.runCall alone: ${ratio(floor.callsPerS, h?.callDistinct?.rps)})`
    const floorBlock =
      floor === undefined
        ? ''
        : ` (EthereumJS building and committing the block alone: ${ratio(floor.blockP50, a?.latency?.p50)} of anvil's whole round trip)`
    check(
      `eth_call (65536 holders in turn, no answer cache) >= 3x hardhat node${floorCalls}`,
      ge(p?.callDistinct?.rps, h?.callDistinct?.rps, 3),
    )
    check(
      `send→receipt (block time 0) no slower than anvil (p50)${floorBlock}`,
      p?.latency && a?.latency ? p.latency.p50 <= a.latency.p50 : undefined,
    )
    check('>= 400 transfers/s sustained', p?.sustained ? p.sustained.tps >= 400 : undefined)
  } else {
    targets.push('- parsd: not available (dist/node/cli/parsd.js missing) — targets not evaluated')
  }

  const notes = Object.entries(results)
    .filter(([, r]) => r.error)
    .map(([name, r]) => `- ${name}: ${r.error}`)
  const flushNote = a?.sustained?.flushes
    ? [
        '',
        `anvil's automine stalled with ready transactions during the sustained run (foundry-rs/foundry#10122); ` +
          `the bench flushed it with evm_mine ${a.sustained.flushes} time(s) after 250 ms without a new block, ` +
          `and those waits are included in its time.`,
      ]
    : []

  return [
    `Measured ${meta.date} on ${meta.machine}.`,
    '',
    ...lines,
    '',
    'Targets (parsd):',
    ...targets,
    ...(notes.length ? ['', 'Errors:', ...notes] : []),
    ...flushNote,
    '',
    `Method: one server at a time on 127.0.0.1. Reads: ${opts.concurrency} requests in flight over ` +
      `keep-alive HTTP/1.1 from a separate load-generator process, ${opts.warmupS} s warm-up then ` +
      `${opts.durationS} s measured; "same request" repeats one eth_call (parsd answers repeats within a block from its ` +
      `call cache), "65536 holders in turn" cycles through distinct calls so every answer is computed. Latency: ${opts.latencyTxs} sequential pre-signed transfers, ` +
      `eth_sendRawTransaction then eth_getTransactionReceipt polled in a tight loop. Sustained: ` +
      `${opts.transfers} pre-signed transfers from ${opts.senders} accounts, time until the last receipt. ` +
      `parsd: \`--block-time 0\` for reads and latency, default block time for sustained, \`--log-level warn\`; ` +
      `hardhat node and anvil automine, with request logging off. Run \`npm run bench:rpc\` to reproduce.`,
  ].join('\n')
}

const PERF_DOC_INTRO = `# Performance

Numbers measured by the scripts in \`bench/\`, each against a peer run side by side on the same
machine in the same run, so the ratios matter more than the absolute figures.

## JSON-RPC (\`npm run bench:rpc\`)

\`bench/rpc.mjs\` runs parsd, \`hardhat node\` (Hardhat 2) and anvil one after another on 127.0.0.1 and
measures read throughput (eth_blockNumber, eth_getBalance, eth_call of ERC-20 balanceOf), the latency
from eth_sendRawTransaction to a receipt, and sustained transfers per second into blocks. The table
between the markers below is rewritten by every run.

Targets for parsd: reads >= 4x hardhat node and >= 0.7x anvil; eth_call >= 3x hardhat node;
send-to-receipt (\`--block-time 0\`) no slower than anvil; >= 400 transfers/s sustained.

Reading the numbers: the load generator is one Node process on the same machine; it reports how much
of a core it used, and stays well below one core, so the servers are the limit. On a 2-core machine
the server under test effectively has one core while the generator runs. hardhat node and anvil
have their per-request logging switched off (their fastest setting); anvil's automine is known to
stall under concurrent submissions (foundry-rs/foundry#10122), which the bench works around and
reports. Other processes on a shared machine make single runs noisy: compare ratios, rerun to confirm.
`

function writeDoc(table) {
  let doc
  if (existsSync(PERF_DOC)) {
    doc = readFileSync(PERF_DOC, 'utf8')
  } else {
    doc = `${PERF_DOC_INTRO}\n${START_MARK}\n${END_MARK}\n`
  }
  const block = `${START_MARK}\n${table}\n${END_MARK}`
  const s = doc.indexOf(START_MARK)
  const e = doc.indexOf(END_MARK)
  if (s >= 0 && e > s) doc = doc.slice(0, s) + block + doc.slice(e + END_MARK.length)
  else doc = `${doc.trimEnd()}\n\n## JSON-RPC (\`npm run bench:rpc\`)\n\n${block}\n`
  writeFileSync(PERF_DOC, doc)
}

// ---------------------------------------------------------------------------- main

async function main() {
  const opts = parseArgs(process.argv.slice(2))
  const t0 = Date.now()
  const v = await import('viem')
  const { mnemonicToAccount } = await import('viem/accounts')
  const accounts = Array.from({ length: 2 + opts.senders }, (_, i) => mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i }))

  if (!existsSync(TOKEN_ARTIFACT)) {
    console.log('compiling contracts (artifact missing) ...')
    execFileSync(process.execPath, [HARDHAT, '--config', HARDHAT_CONFIG, 'compile'], { cwd: ROOT, stdio: 'inherit' })
  }

  const results = {}
  if (opts.only.includes('parsd')) {
    console.log('node http (the ceiling: a constant answer) ...')
    const server = await startServer('node-http', process.execPath, (port) => [fileURLToPath(import.meta.url), '--node-http', String(port)])
    try {
      const r = await runLoad(server, { jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }, opts)
      results.nodeHttp = { rps: r.rps }
      console.log(`  node http ${fmt(r.rps)} req/s (load generator at ${Math.round(r.clientCpu * 100)}% of a core)`)
    } finally {
      await server.stop()
    }
  }
  if (opts.only.includes('parsd') && existsSync(PARSD)) {
    console.log('EthereumJS alone, in process (the floor: no RPC) ...')
    try {
      results.floor = await childResult(['--ethereumjs-floor'])
      console.log(
        `  one-transfer block built and committed: p50 ${results.floor.blockP50.toFixed(2)} ms; ` +
          `evm.runCall balanceOf, holders in turn: ${fmt(results.floor.callsPerS)} calls/s`,
      )
    } catch (err) {
      console.error(`  the floor measurement failed: ${err.message}`)
    }
  }
  for (const spec of serverSpecs(opts)) {
    if (!spec.available) {
      console.log(`${spec.name}: not available (${PARSD} missing; run npm run build)`)
      results[spec.name] = { unavailable: true }
      continue
    }
    const result = (results[spec.name] = {})
    for (const run of spec.runs) {
      console.log(`${spec.name} (${run.label}) ...`)
      let server
      try {
        server = await spec.start(run)
        const token = await deployToken(v, server, accounts[0])
        if (run.measures.includes('reads')) await measureReads(v, server, token, accounts[0].address, opts, result)
        if (run.measures.includes('latency')) await measureLatency(v, server, accounts, opts, result)
        if (run.measures.includes('sustained')) await measureSustained(v, server, accounts, opts, result)
      } catch (err) {
        console.error(`  ${spec.name} (${run.label}) failed: ${err.message}`)
        result.error = `${run.label}: ${String(err.message).split('\n')[0]}`
      } finally {
        await server?.stop()
      }
    }
  }

  const meta = {
    date: new Date().toISOString().slice(0, 10),
    machine: `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}, ${process.platform}/${process.arch}`,
  }
  const table = buildTable(results, opts, meta)
  console.log(`\n${table}\n`)
  if (opts.write) {
    writeDoc(table)
    console.log(`updated ${PERF_DOC}`)
  }
  console.log(`bench took ${((Date.now() - t0) / 1000).toFixed(0)} s`)
  shutdownAll()
}
