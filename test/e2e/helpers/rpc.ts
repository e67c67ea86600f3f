// Small helpers shared by the e2e tests: the viem chain for a test node, dev accounts, raw JSON-RPC
// over HTTP (fetch) and over a raw WebSocket (`ws`), and inline Solidity compilation with solcjs.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import solc from 'solc'
import { WebSocket } from 'ws'
import { defineChain, type Abi, type Chain, type Hex } from 'viem'
import { mnemonicToAccount, type HDAccount } from 'viem/accounts'
import { DEV_CHAIN_ID, DEV_MNEMONIC, REPO_ROOT } from './node.js'

/** viem chain for a node at `url` (chain id 6133 unless told otherwise). */
export function parsChain(url: string, id: number = DEV_CHAIN_ID): Chain {
  return defineChain({
    id,
    name: 'Pars e2e',
    nativeCurrency: { name: 'Pars', symbol: 'PARS', decimals: 18 },
    rpcUrls: { default: { http: [url], webSocket: [url.replace(/^http/, 'ws')] } },
  })
}

/** Dev account i of the test mnemonic (funded with 10,000 PARS by `parsd --dev`). */
export function devAccount(i: number): HDAccount {
  return mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i })
}

export const DEV_BALANCE = 10_000n * 10n ** 18n

export interface JsonRpcError {
  code: number
  message: string
  data?: unknown
}

export interface JsonRpcResponse {
  jsonrpc?: string
  id?: unknown
  result?: unknown
  error?: JsonRpcError
}

export interface HttpAnswer {
  status: number
  headers: Headers
  text: string
  /** the parsed body, undefined when it is not JSON */
  json: unknown
}

/** POST `body` (a string is sent as is) and return status, headers and the parsed answer. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}, timeoutMs = 30_000): Promise<HttpAnswer> {
  let res: Response
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    })
  } catch (e) {
    if (e instanceof Error && e.name === 'TimeoutError')
      throw new Error(
        `no answer within ${timeoutMs} ms to ${typeof body === 'string' ? body.slice(0, 200) : JSON.stringify(body).slice(0, 200)}`,
      )
    throw e
  }
  const text = await res.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, headers: res.headers, text, json }
}

let nextId = 1

/** One JSON-RPC call; the whole response object (result or error). */
export async function rpcRaw(url: string, method: string, params: unknown[] = [], timeoutMs?: number): Promise<JsonRpcResponse> {
  const id = nextId++
  const a = await post(url, { jsonrpc: '2.0', id, method, params }, {}, timeoutMs)
  if (a.status !== 200) throw new Error(`${method}: HTTP ${a.status}: ${a.text.slice(0, 300)}`)
  const r = a.json as JsonRpcResponse
  if (r.id !== id) throw new Error(`${method}: answer id ${JSON.stringify(r.id)}, want ${id}`)
  return r
}

/** One JSON-RPC call that must succeed; its result. */
export async function rpc<T = unknown>(url: string, method: string, params: unknown[] = [], timeoutMs?: number): Promise<T> {
  const r = await rpcRaw(url, method, params, timeoutMs)
  if (r.error !== undefined) throw new Error(`${method}(${JSON.stringify(params).slice(0, 200)}) failed: ${JSON.stringify(r.error)}`)
  return r.result as T
}

/** One JSON-RPC call that must fail; its error object. */
export async function rpcError(url: string, method: string, params: unknown[] = [], timeoutMs?: number): Promise<JsonRpcError> {
  const r = await rpcRaw(url, method, params, timeoutMs)
  if (r.error === undefined)
    throw new Error(`${method}(${JSON.stringify(params).slice(0, 200)}) succeeded with ${JSON.stringify(r.result)}, expected an error`)
  return r.error
}

/**
 * A raw WebSocket JSON-RPC client: request() matches answers by id, notifications are queued and
 * waited on with nextNotification() / waitFor(), never with timers.
 */
export class RawWs {
  private readonly pending = new Map<number, (r: JsonRpcResponse) => void>()
  private readonly messages: unknown[] = []
  private waiters: { pred: (m: unknown) => boolean; resolve: (m: unknown) => void }[] = []
  private id = 1
  readonly closed: Promise<{ code: number; reason: string }>

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })))
    ws.on('message', (raw) => {
      const text = Array.isArray(raw) ? Buffer.concat(raw).toString('utf8') : Buffer.from(raw as ArrayBuffer).toString('utf8')
      let msg: unknown
      try {
        msg = JSON.parse(text)
      } catch {
        msg = { unparsable: text }
      }
      const id = typeof msg === 'object' && msg !== null && !Array.isArray(msg) ? (msg as JsonRpcResponse).id : undefined
      if (typeof id === 'number' && this.pending.has(id)) {
        const cb = this.pending.get(id)!
        this.pending.delete(id)
        cb(msg as JsonRpcResponse)
        return
      }
      const w = this.waiters.find((x) => x.pred(msg))
      if (w !== undefined) {
        this.waiters = this.waiters.filter((x) => x !== w)
        w.resolve(msg)
      } else this.messages.push(msg)
    })
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<RawWs> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers })
      const client = new RawWs(ws)
      ws.once('open', () => resolve(client))
      ws.once('error', reject)
      ws.once('unexpected-response', (_req, res) => reject(new Error(`WebSocket upgrade refused: HTTP ${res.statusCode}`)))
    })
  }

  /** Send raw text; the next message without a pending id is answered to waitFor(). */
  sendText(text: string | Buffer): void {
    this.ws.send(text)
  }

  request(method: string, params: unknown[] = []): Promise<JsonRpcResponse> {
    const id = this.id++
    return new Promise((resolve) => {
      this.pending.set(id, resolve)
      this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }))
    })
  }

  async call<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    const r = await this.request(method, params)
    if (r.error !== undefined) throw new Error(`${method} failed: ${JSON.stringify(r.error)}`)
    return r.result as T
  }

  /** The first message (already received or future) that is not an answer to request() and matches. */
  waitFor<T = unknown>(pred: (m: any) => boolean = () => true): Promise<T> {
    const i = this.messages.findIndex((m) => pred(m))
    if (i >= 0) return Promise.resolve(this.messages.splice(i, 1)[0] as T)
    return new Promise((resolve) => this.waiters.push({ pred, resolve: resolve as (m: unknown) => void }))
  }

  /** The next eth_subscription notification of subscription `sub`; its result. */
  async notification<T = any>(sub: string, pred: (result: any) => boolean = () => true): Promise<T> {
    const m = await this.waitFor<{ params: { result: T } }>(
      (x) => x?.method === 'eth_subscription' && x?.params?.subscription === sub && pred(x.params.result),
    )
    return m.params.result
  }

  /** Messages received so far that nobody waited for (e.g. to assert nothing else arrived). */
  unclaimed(pred: (m: any) => boolean = () => true): unknown[] {
    return this.messages.filter(pred)
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close()
    return this.closed
  }
}

// --- Solidity ---------------------------------------------------------------------------------

export interface Compiled {
  abi: Abi
  bytecode: Hex
  deployedBytecode: Hex
}

/** Compile one Solidity source with solcjs (offline); every contract in it by name. */
export function compileSolidity(source: string, evmVersion: 'cancun' | 'prague' = 'prague'): Record<string, Compiled> {
  const input = {
    language: 'Solidity',
    sources: { 'Test.sol': { content: source } },
    settings: {
      evmVersion,
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  }
  const out = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[]
    contracts: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>>
  }
  const errors = (out.errors ?? []).filter((e) => e.severity === 'error')
  if (errors.length > 0) throw new Error(`solc:\n${errors.map((e) => e.formattedMessage).join('\n')}`)
  const result: Record<string, Compiled> = {}
  for (const [name, c] of Object.entries(out.contracts['Test.sol'] ?? {})) {
    result[name] = { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}`, deployedBytecode: `0x${c.evm.deployedBytecode.object}` }
  }
  return result
}

/**
 * Compile one contract of the project (a path under contracts/src, its imports read from there) with
 * solcjs, as Hardhat's config does (evm cancun, optimizer 200 runs), without touching Hardhat's artifacts.
 */
export function compileProjectContract(path: string, name: string): Compiled {
  const root = join(REPO_ROOT, 'contracts', 'src')
  const input = {
    language: 'Solidity',
    sources: { [path]: { content: readFileSync(join(root, path), 'utf8') } },
    settings: {
      evmVersion: 'cancun',
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  }
  const findImports = (p: string): { contents: string } | { error: string } => {
    try {
      return { contents: readFileSync(join(root, p), 'utf8') }
    } catch {
      return { error: `not found: ${p}` }
    }
  }
  const out = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports })) as {
    errors?: { severity: string; formattedMessage: string }[]
    contracts: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>>
  }
  const errors = (out.errors ?? []).filter((e) => e.severity === 'error')
  if (errors.length > 0) throw new Error(`solc:\n${errors.map((e) => e.formattedMessage).join('\n')}`)
  const c = out.contracts[path]?.[name]
  if (c === undefined) throw new Error(`${name} is not in ${path}`)
  return { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}`, deployedBytecode: `0x${c.evm.deployedBytecode.object}` }
}
