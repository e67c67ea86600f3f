// Starts a real JSON-RPC node on 127.0.0.1 for e2e tests: `parsd --dev` by default, or anvil as a
// stand-in (PARS_E2E_NODE=anvil) while parsd is being written.
//
//   const node = await startNode({ blockTime: 0 })
//   ... node.url / node.wsUrl ...
//   await node.dispose()   // SIGTERM, await exit, remove the temp datadir
//
// Environment:
//   PARS_E2E_NODE      'parsd' (default) | 'anvil'
//   PARS_E2E_NODE_CMD  command prefix for parsd, split on whitespace; the parsd flags are appended.
//                      Default: `<this node binary> <repo>/dist/node/cli/parsd.js`.
//   PARS_E2E_NODE_LOG  '1' to copy the node's stdout/stderr to this process's stderr.
//
// Processes never outlive the test run: every started process is registered, killed (SIGKILL) on
// this process's exit, and on Linux also spawned under `setpriv --pdeathsig SIGKILL` so the kernel
// kills it if the test worker dies without running exit handlers.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
export const DEV_MNEMONIC = 'test test test test test test test test test test test junk'
export const DEV_CHAIN_ID = 6133

export type NodeKind = 'parsd' | 'anvil'

export interface StartNodeOptions {
  /** Which node to run; default from PARS_E2E_NODE, else 'parsd'. */
  kind?: NodeKind
  /** Block time in ms; 0 = one block per transaction. Omitted = the node's default. */
  blockTime?: number
  /** parsd only: pass --dev (default true); false starts a follower on an initialised datadir. */
  dev?: boolean
  /** Use this datadir (e.g. to restart on the same state). Default: a fresh temp dir. */
  datadir?: string
  /** RPC port; default: a free port. */
  rpcPort?: number
  /**
   * parsd only: pass `--p2p-port <free port>` so parallel nodes do not collide. Default: when
   * `parsd --help` lists the flag. A number: always pass that port. false: never.
   */
  p2pPort?: boolean | number
  /** Extra command-line arguments appended after the generated ones. */
  args?: string[]
  /** Extra environment for the child. */
  env?: NodeJS.ProcessEnv
  /** Give up waiting for eth_chainId after this long (default 30 s). */
  readyTimeoutMs?: number
}

export interface RunningNode {
  kind: NodeKind
  /** http://127.0.0.1:PORT */
  url: string
  /** ws://127.0.0.1:PORT (same port as HTTP) */
  wsUrl: string
  rpcPort: number
  pid: number
  datadir: string
  proc: ChildProcess
  /** The chain id the node answered on eth_chainId. */
  chainId: number
  /** SIGTERM, then await exit (SIGKILL after `timeoutMs`, default 15 s). Keeps the datadir. */
  stop(timeoutMs?: number): Promise<void>
  /** SIGKILL (a crash), await exit. Keeps the datadir, e.g. to test recovery. */
  kill9(): Promise<void>
  /** stop(), then remove the datadir if this helper created it. */
  dispose(): Promise<void>
  /** The last ~64 KiB of the node's stdout+stderr, for failure messages. */
  output(): string
  /** True until the process has exited. */
  readonly alive: boolean
}

// --- process registry: nothing outlives the test worker ---------------------------------------

const live = new Set<ChildProcess>()
const ownedDirs = new Set<string>()
let exitHookInstalled = false

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const proc of live) {
      try {
        proc.kill('SIGKILL')
      } catch {
        // already gone
      }
    }
    for (const dir of ownedDirs) rmSync(dir, { recursive: true, force: true })
  })
}

// --- helpers ----------------------------------------------------------------------------------

/**
 * The lowest port the kernel hands out on its own (to outgoing connections and port-0 listeners).
 * A testnet's ports stay below it: nodes start one after another, seconds apart, and a port in the
 * ephemeral range that was free when the base was chosen can meanwhile be the local end of any
 * connection a test makes (it happened: "RPC port ... is already in use" for the fifth node).
 */
function ephemeralPortsStart(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0])
    if (Number.isInteger(low) && low >= 12_000) return low
  } catch {
    // not Linux: the IANA range starts at 49152, Linux's default at 32768; take the lower
  }
  return 32_768
}

/**
 * A base port P with P..P+n-1 (RPC) and P+100..P+100+n-1 (p2p) all free right now, all below the
 * ephemeral range: the layout `parsd testnet init --base-port P` writes.
 */
export async function freeTestnetBase(n: number): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = createServer()
      s.once('error', () => resolve(false))
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)))
    })
  const span = ephemeralPortsStart() - 10_000 - 100 - n
  for (;;) {
    const base = 10_000 + Math.floor(Math.random() * span)
    const ports = Array.from({ length: n }, (_, i) => [base + i, base + 100 + i]).flat()
    if ((await Promise.all(ports.map(free))).every(Boolean)) return base
  }
}

/** A port that was free a moment ago on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      if (address === null || typeof address === 'string') {
        server.close()
        reject(new Error('could not read the port of a listening socket'))
        return
      }
      server.close(() => resolvePort(address.port))
    })
  })
}

/** Absolute path of the native anvil binary (the .bin/anvil wrapper does not survive SIGKILL cleanly). */
export function anvilBinary(): string {
  const scope = join(REPO_ROOT, 'node_modules', '@foundry-rs')
  if (existsSync(scope)) {
    for (const entry of readdirSync(scope)) {
      const candidate = join(scope, entry, 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil')
      if (entry.startsWith('anvil-') && existsSync(candidate)) return candidate
    }
  }
  return join(REPO_ROOT, 'node_modules', '.bin', 'anvil')
}

function parsdCommand(): string[] {
  const fromEnv = process.env.PARS_E2E_NODE_CMD?.trim()
  if (fromEnv) return fromEnv.split(/\s+/)
  return [process.execPath, join(REPO_ROOT, 'dist', 'node', 'cli', 'parsd.js')]
}

const helpCache = new Map<string, string>()

/** Whether `parsd --help` lists `flag` (flags arrive while parsd is written; unknown flags are fatal). */
export function parsdSupports(flag: string, cmd: string[] = parsdCommand()): boolean {
  const key = cmd.join(' ')
  let help = helpCache.get(key)
  if (help === undefined) {
    try {
      help = execFileSync(cmd[0]!, [...cmd.slice(1), '--help'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 })
    } catch {
      help = ''
    }
    helpCache.set(key, help)
  }
  return new RegExp(`(^|\\s)${flag.replace(/[-]/g, '\\-')}(\\s|=|$)`, 'm').test(help)
}

/** Prefix that makes the kernel SIGKILL the child when its parent dies (Linux, util-linux setpriv). */
export function deathSignalPrefix(): string[] {
  if (process.platform === 'linux' && existsSync('/usr/bin/setpriv')) {
    return ['/usr/bin/setpriv', '--pdeathsig', 'SIGKILL', '--']
  }
  return []
}

async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(2_000),
  })
  const body = (await res.json()) as { result?: unknown; error?: { message?: string } }
  if (body.error) throw new Error(`${method}: ${body.error.message ?? JSON.stringify(body.error)}`)
  return body.result
}

function waitForExit(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve()
  return new Promise((resolveExit) => proc.once('exit', () => resolveExit()))
}

// --- startNode --------------------------------------------------------------------------------

export async function startNode(opts: StartNodeOptions = {}): Promise<RunningNode> {
  installExitHook()
  const kindEnv = process.env.PARS_E2E_NODE
  const kind: NodeKind = opts.kind ?? (kindEnv === 'anvil' ? 'anvil' : 'parsd')
  if (kindEnv !== undefined && kindEnv !== '' && kindEnv !== 'anvil' && kindEnv !== 'parsd') {
    throw new Error(`PARS_E2E_NODE must be 'parsd' or 'anvil', got '${kindEnv}'`)
  }

  const ownsDatadir = opts.datadir === undefined
  const datadir = opts.datadir ?? mkdtempSync(join(tmpdir(), `pars-e2e-${kind}-`))
  if (ownsDatadir) ownedDirs.add(datadir)
  const rpcPort = opts.rpcPort ?? (await freePort())

  let argv: string[]
  if (kind === 'parsd') {
    const cmd = parsdCommand()
    argv = [...cmd, ...(opts.dev === false ? [] : ['--dev']), '--rpc-port', String(rpcPort), '--datadir', datadir]
    // --p2p-port only once parsd has it (explicit number: always)
    if (typeof opts.p2pPort === 'number' || (opts.p2pPort !== false && parsdSupports('--p2p-port', cmd))) {
      const p2p = typeof opts.p2pPort === 'number' ? opts.p2pPort : await freePort()
      argv.push('--p2p-port', String(p2p))
    }
    if (opts.blockTime !== undefined) argv.push('--block-time', String(opts.blockTime))
  } else {
    // anvil: automine (one block per tx) unless a block time is given; its block time is in seconds.
    // 20 funded accounts like `parsd --dev` (anvil's default is 10).
    argv = [anvilBinary(), '--host', '127.0.0.1', '--port', String(rpcPort), '--chain-id', String(DEV_CHAIN_ID)]
    argv.push('--accounts', '20')
    if (opts.blockTime !== undefined && opts.blockTime > 0) argv.push('--block-time', String(opts.blockTime / 1000))
  }
  argv.push(...(opts.args ?? []))

  const full = [...deathSignalPrefix(), ...argv]
  const proc = spawn(full[0]!, full.slice(1), {
    cwd: REPO_ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  live.add(proc)

  let captured = ''
  const capture = (chunk: Buffer): void => {
    captured += chunk.toString('utf8')
    if (captured.length > 128 * 1024) captured = captured.slice(-64 * 1024)
    if (process.env.PARS_E2E_NODE_LOG === '1') process.stderr.write(chunk)
  }
  proc.stdout?.on('data', capture)
  proc.stderr?.on('data', capture)
  const output = (): string => (captured.length > 64 * 1024 ? captured.slice(-64 * 1024) : captured)

  let spawnError: Error | undefined
  const exited = new Promise<void>((resolveExit) => {
    // 'exit' may not follow an 'error' when the spawn itself failed (no pid), so settle on either.
    proc.once('error', (err) => {
      if (proc.pid === undefined) {
        spawnError = err
        resolveExit()
      }
    })
    void waitForExit(proc).then(resolveExit)
  }).then(() => {
    live.delete(proc)
  })

  const isAlive = (): boolean => proc.exitCode === null && proc.signalCode === null && spawnError === undefined

  const kill9 = async (): Promise<void> => {
    if (isAlive()) proc.kill('SIGKILL')
    await exited
  }
  const stop = async (timeoutMs = 15_000): Promise<void> => {
    if (isAlive()) {
      proc.kill('SIGTERM')
      const timer = setTimeout(() => {
        if (isAlive()) proc.kill('SIGKILL')
      }, timeoutMs)
      try {
        await exited
      } finally {
        clearTimeout(timer)
      }
    }
    await exited
  }
  const dispose = async (): Promise<void> => {
    await stop()
    if (ownsDatadir) {
      rmSync(datadir, { recursive: true, force: true })
      ownedDirs.delete(datadir)
    }
  }

  const url = `http://127.0.0.1:${rpcPort}`
  const readyTimeoutMs = opts.readyTimeoutMs ?? 30_000
  const pollMs = 100
  const maxAttempts = Math.max(1, Math.ceil(readyTimeoutMs / pollMs))
  let chainId: number | undefined
  let lastError: unknown
  for (let attempt = 0; attempt < maxAttempts && chainId === undefined; attempt++) {
    if (!isAlive()) break
    try {
      chainId = Number(await rpc(url, 'eth_chainId'))
    } catch (err) {
      lastError = err
      await new Promise((r) => setTimeout(r, pollMs))
    }
  }
  if (chainId === undefined) {
    const why = !isAlive()
      ? spawnError
        ? `could not be spawned (${spawnError.message})`
        : `exited early (code ${proc.exitCode}, signal ${proc.signalCode})`
      : `did not answer eth_chainId within ${readyTimeoutMs} ms (last error: ${String(lastError)})`
    await dispose()
    throw new Error(`${kind} ${why}\ncommand: ${full.join(' ')}\n--- output ---\n${output()}`)
  }

  return {
    kind,
    url,
    wsUrl: `ws://127.0.0.1:${rpcPort}`,
    rpcPort,
    pid: proc.pid!,
    datadir,
    proc,
    chainId,
    stop,
    kill9,
    dispose,
    output,
    get alive() {
      return isAlive()
    },
  }
}
