import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fastify, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import fastifyCors from '@fastify/cors'
import fastifyWebsocket from '@fastify/websocket'
import { ParsError, errorMessage, isParsError, type Logger, type Startable } from '../common/index.js'
import { RpcError, RpcErrorCode, toJsonRpcError, type RpcErrorName } from './errors.js'
import type { RpcConnection, RpcContext, RpcHandler, RpcMethods } from './types.js'

/**
 * JSON-RPC 2.0 over HTTP and WebSocket on one port.
 *
 * HTTP
 * - POST on any path carries a request or a batch. Any content type is read as JSON (curl -d sends
 *   application/x-www-form-urlencoded). Answers are `application/json` with status 200, errors
 *   included (as geth).
 * - A request or batch that yields no answer (only notifications) gets `204 No Content`.
 * - Body over `bodyLimit`: 413 with a JSON-RPC error body (-32600).
 * - GET without Upgrade: 200 with a one-line text/plain hint (health checks); other HTTP methods: 405.
 * - CORS only when `cors` is set: '*' or a list of exact origins; a disallowed origin gets no
 *   Access-Control-Allow-Origin header (the browser then blocks it), the request is still served.
 *
 * WebSocket (GET with Upgrade, any path): every text or binary message is a request or a batch with the
 * same semantics; notifications get no message. Messages of one connection are dispatched as they
 * arrive (async answers may overtake each other, ids tell them apart). Handlers see `ctx.connection`
 * (unique id per server, notify, onClose; onClose after the close still fires, notify after it is a
 * no-op). Messages over `wsMaxPayload` (default: bodyLimit) close the socket with 1009; protocol
 * errors terminate it. When `cors` is a list, an upgrade carrying an Origin outside it gets 403.
 *
 * Lifecycle: start() binds (port 0 picks a free port, see address()); a busy port rejects with
 * RpcServerError PORT_IN_USE. stop() sends close 1001 to every WebSocket (cutting off peers that do
 * not answer within 1 s), closes idle keep-alive connections, waits for in-flight HTTP calls, and can
 * be followed by start() again.
 *
 * Semantics: params must be an array, absent or null (null/absent become []); by-name params (an
 * object) are answered -32602. Batches run their calls one after the other, in order, and answer in
 * order; an empty batch is a single -32600 error, a batch over `maxBatch` a one-element array holding
 * a -32600 error with the id of the first call (as geth).
 */

export type RpcServerCors = readonly string[] | '*' | undefined

export interface RpcServerOptions {
  methods: RpcMethods
  logger: Logger
  host: string
  port: number
  /** allowed origins; undefined: no CORS headers at all */
  cors?: RpcServerCors
  /** HTTP body limit in bytes (default 5 MiB) */
  bodyLimit?: number
  /** most calls in one batch (default 1000) */
  maxBatch?: number
  /** largest WebSocket message in bytes (default: bodyLimit) */
  wsMaxPayload?: number
  /** domain error codes (ParsError type.code) => JSON-RPC error names */
  domainCodes?: Record<string, RpcErrorName>
}

export type RpcServerErrorType =
  | { code: 'PORT_IN_USE'; host: string; port: number }
  | { code: 'RPC_LISTEN_FAILED'; host: string; port: number }
  | { code: 'RPC_NOT_STARTED' }

export class RpcServerError extends ParsError<RpcServerErrorType> {}

export const DEFAULT_BODY_LIMIT = 5 * 1024 * 1024
export const DEFAULT_MAX_BATCH = 1000

/** How long stop() waits for WebSocket peers to answer the close handshake before cutting them off. */
const WS_CLOSE_GRACE_MS = 1000
const WS_OPEN = 1
/** How long an oversized upload is read (and dropped) before the 413 goes out regardless. */
const OVERSIZE_DRAIN_MS = 1000
/** Bytes of unsent notifications a WebSocket may accumulate before it is closed. */
const WS_MAX_BUFFERED = 16 * 1024 * 1024

/** The part of a `ws` WebSocket this server uses (ws ships no types here). */
interface WsSocket {
  readonly readyState: number
  readonly bufferedAmount: number
  send(data: string, cb?: (err?: Error) => void): void
  close(code?: number, reason?: string): void
  terminate(): void
  on(event: 'message', cb: (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void): void
  on(event: 'close', cb: () => void): void
  on(event: 'error', cb: (err: Error) => void): void
  once(event: 'close', cb: () => void): void
}

type Answer = string | undefined
type MaybePromise<T> = T | Promise<T>

const EMPTY_PARAMS: readonly unknown[] = Object.freeze([])
const JSON_TYPE = 'application/json'
/** what fastify sends for JSON_TYPE: plain POSTs answer with the same */
const JSON_UTF8 = 'application/json; charset=utf-8'

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function'
}

function bigintToQuantity(_key: string, v: unknown): unknown {
  return typeof v === 'bigint' ? (v < 0n ? '-0x' + (-v).toString(16) : '0x' + v.toString(16)) : v
}

/**
 * JSON text of a value; bigint becomes a hex quantity (handlers should return strings, this is the
 * safety net). `undefined` for values that cannot be serialized (cycles); never throws.
 */
function stringify(v: unknown): string | undefined {
  try {
    return JSON.stringify(v)
  } catch {
    try {
      return JSON.stringify(v, bigintToQuantity)
    } catch {
      return undefined
    }
  }
}

function idText(id: unknown): string {
  return id === undefined ? 'null' : (JSON.stringify(id) ?? 'null')
}

function errorText(id: unknown, code: number, message: string, data?: unknown): string {
  let err = `{"code":${code},"message":${JSON.stringify(message)}`
  if (data !== undefined) {
    const d = stringify(data)
    if (d !== undefined) err += `,"data":${d}`
  }
  return `{"jsonrpc":"2.0","id":${idText(id)},"error":${err}}}`
}

function isValidId(id: unknown): boolean {
  return id === null || typeof id === 'string' || typeof id === 'number'
}

/** Turns request text into answer text. Transport-free; shared by HTTP and WebSocket. */
class Dispatcher {
  constructor(
    private readonly methods: RpcMethods,
    private readonly log: Logger,
    private readonly domainCodes: Record<string, RpcErrorName>,
    private readonly maxBatch: number,
  ) {}

  /** Never throws and never rejects. `undefined`: nothing to answer (notifications only). */
  handle(text: string, ctx: RpcContext): MaybePromise<Answer> {
    let msg: unknown
    try {
      msg = JSON.parse(text)
    } catch {
      return errorText(null, RpcErrorCode.PARSE_ERROR, 'parse error')
    }
    if (Array.isArray(msg)) return this.batch(msg, ctx)
    return this.call(msg, ctx)
  }

  private batch(msgs: unknown[], ctx: RpcContext): MaybePromise<Answer> {
    if (msgs.length === 0) return errorText(null, RpcErrorCode.INVALID_REQUEST, 'empty batch')
    if (msgs.length > this.maxBatch) {
      let id: unknown = null
      for (const m of msgs) {
        const mid = typeof m === 'object' && m !== null ? (m as Record<string, unknown>)['id'] : undefined
        if (mid !== undefined && isValidId(mid)) {
          id = mid
          break
        }
      }
      const message = `batch too large: ${msgs.length} calls, at most ${this.maxBatch}`
      return `[${errorText(id, RpcErrorCode.INVALID_REQUEST, message)}]`
    }
    const answers: string[] = []
    for (let i = 0; i < msgs.length; i++) {
      const a = this.call(msgs[i], ctx)
      if (a instanceof Promise) return this.batchAsync(msgs, i, a, answers, ctx)
      if (a !== undefined) answers.push(a)
    }
    return answers.length === 0 ? undefined : `[${answers.join(',')}]`
  }

  /** The rest of a batch once a call turned out asynchronous: calls still run one after another. */
  private async batchAsync(msgs: unknown[], i: number, pending: Promise<Answer>, answers: string[], ctx: RpcContext): Promise<Answer> {
    const first = await pending
    if (first !== undefined) answers.push(first)
    for (let j = i + 1; j < msgs.length; j++) {
      const a = await this.call(msgs[j], ctx)
      if (a !== undefined) answers.push(a)
    }
    return answers.length === 0 ? undefined : `[${answers.join(',')}]`
  }

  /** One request object. A Promise only when the handler returned one; it never rejects. */
  private call(msg: unknown, ctx: RpcContext): MaybePromise<Answer> {
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      return errorText(null, RpcErrorCode.INVALID_REQUEST, 'invalid request: not a JSON-RPC request object')
    }
    const m = msg as Record<string, unknown>
    const id = m['id']
    const notification = id === undefined
    if (!notification && !isValidId(id)) {
      return errorText(null, RpcErrorCode.INVALID_REQUEST, 'invalid request: id must be a string, a number or null')
    }
    if (m['jsonrpc'] !== '2.0') return errorText(id, RpcErrorCode.INVALID_REQUEST, 'invalid request: jsonrpc must be "2.0"')
    const method = m['method']
    if (typeof method !== 'string') return errorText(id, RpcErrorCode.INVALID_REQUEST, 'invalid request: method must be a string')
    const p = m['params']
    let params: readonly unknown[]
    if (p === undefined || p === null) params = EMPTY_PARAMS
    else if (Array.isArray(p)) params = p
    else if (typeof p === 'object') {
      if (notification) return undefined
      return errorText(id, RpcErrorCode.INVALID_PARAMS, 'invalid params: by-name (object) params are not supported, send an array')
    } else return errorText(id, RpcErrorCode.INVALID_REQUEST, 'invalid request: params must be an array')

    const handler: RpcHandler | undefined = this.methods.get(method)
    if (handler === undefined) {
      if (notification) return undefined
      return errorText(id, RpcErrorCode.METHOD_NOT_FOUND, `the method ${method} does not exist/is not available`)
    }
    let result: unknown
    try {
      result = handler(params, ctx)
    } catch (e) {
      return this.failure(id, notification, method, e)
    }
    if (isPromiseLike(result)) {
      return Promise.resolve(result).then(
        (r) => (notification ? undefined : this.success(id, method, r)),
        (e: unknown) => this.failure(id, notification, method, e),
      )
    }
    return notification ? undefined : this.success(id, method, result)
  }

  private success(id: unknown, method: string, result: unknown): string {
    const r = result === undefined ? 'null' : stringify(result)
    if (r === undefined) {
      this.log.error('rpc result cannot be serialized', { method })
      return errorText(id, RpcErrorCode.INTERNAL, 'internal error')
    }
    return `{"jsonrpc":"2.0","id":${idText(id)},"result":${r}}`
  }

  private failure(id: unknown, notification: boolean, method: string, e: unknown): Answer {
    try {
      const known = e instanceof RpcError || (isParsError(e) && this.domainCodes[e.type.code] !== undefined)
      if (!known) this.log.error('rpc handler failed', { method, err: describeError(e), stack: stackOf(e) })
      if (notification) return undefined
      const err = toJsonRpcError(e, this.domainCodes)
      return errorText(id, err.code, err.message, err.data)
    } catch {
      // a thrown value hostile enough to break the error path itself
      return notification ? undefined : errorText(id, RpcErrorCode.INTERNAL, 'internal error')
    }
  }
}

function describeError(e: unknown): string {
  try {
    return errorMessage(e)
  } catch {
    return 'unprintable error'
  }
}

function stackOf(e: unknown): string | undefined {
  try {
    return e instanceof Error ? e.stack : undefined
  } catch {
    return undefined
  }
}

interface Live {
  app: FastifyInstance
  sockets: Set<WsSocket>
}

export class RpcServer implements Startable {
  private readonly log: Logger
  private readonly dispatcher: Dispatcher
  private readonly bodyLimit: number
  private readonly wsMaxPayload: number
  /** the (frozen) context of HTTP calls: no connection */
  private readonly httpCtx: RpcContext = Object.freeze({})
  private live: Live | undefined
  private closing = false
  private nextConnectionId = 0

  constructor(private readonly opts: RpcServerOptions) {
    this.log = opts.logger
    this.bodyLimit = opts.bodyLimit ?? DEFAULT_BODY_LIMIT
    this.wsMaxPayload = opts.wsMaxPayload ?? this.bodyLimit
    // a prototype-less copy: a domain code like "constructor" must not find Object.prototype members
    const domainCodes = Object.assign(Object.create(null) as Record<string, RpcErrorName>, opts.domainCodes)
    this.dispatcher = new Dispatcher(opts.methods, opts.logger, domainCodes, opts.maxBatch ?? DEFAULT_MAX_BATCH)
  }

  async start(): Promise<void> {
    if (this.live !== undefined) return
    const { host, port } = this.opts
    const sockets = new Set<WsSocket>()
    this.closing = false
    const app = fastify({
      logger: false,
      bodyLimit: this.bodyLimit,
      return503OnClosing: true,
      forceCloseConnections: 'idle',
      // plain JSON-RPC posts are answered straight from Node's http module (see plainPost); fastify
      // serves everything else: WebSocket upgrades, GET, CORS, oversized or chunked bodies, errors
      serverFactory: (handler, options) => {
        const server = createServer((req, res) => {
          if (!this.plainPost(req, res)) handler(req, res)
        })
        // the timeouts fastify gives a server it makes itself (keep-alive 72 s, no request timeout)
        const o = options as { keepAliveTimeout?: number; requestTimeout?: number; connectionTimeout?: number }
        server.keepAliveTimeout = o.keepAliveTimeout ?? server.keepAliveTimeout
        server.requestTimeout = o.requestTimeout ?? server.requestTimeout
        server.setTimeout(o.connectionTimeout ?? 0)
        return server
      },
    })
    try {
      await this.setup(app, sockets)
      await app.listen({ host, port })
    } catch (e) {
      await app.close().catch(() => {})
      const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined
      if (code === 'EADDRINUSE') {
        throw new RpcServerError({ code: 'PORT_IN_USE', host, port }, `RPC port ${port} on ${host} is already in use`)
      }
      throw new RpcServerError({ code: 'RPC_LISTEN_FAILED', host, port }, `cannot listen for RPC on ${host}:${port}: ${errorMessage(e)}`, {
        cause: e,
      })
    }
    this.live = { app, sockets }
    const a = this.address()
    this.log.debug('rpc listening', { http: `http://${a.host}:${a.port}`, ws: `ws://${a.host}:${a.port}` })
  }

  async stop(): Promise<void> {
    const live = this.live
    if (live === undefined) return
    this.live = undefined
    // from now on every request goes through fastify, which answers 503 while it closes
    this.closing = true
    await closeSockets(live.sockets)
    await live.app.close()
    this.log.info('rpc stopped')
  }

  /** The bound address; port is the real one when 0 was asked for. */
  address(): { host: string; port: number } {
    const addr = this.live?.app.server.address()
    if (addr === undefined || addr === null || typeof addr === 'string') {
      throw new RpcServerError({ code: 'RPC_NOT_STARTED' }, 'RPC server is not listening')
    }
    const info: AddressInfo = addr
    return { host: info.address, port: info.port }
  }

  private async setup(app: FastifyInstance, sockets: Set<WsSocket>): Promise<void> {
    const cors = this.opts.cors
    if (cors !== undefined) {
      await app.register(fastifyCors, {
        origin: cors === '*' ? '*' : [...cors],
        methods: ['GET', 'POST', 'OPTIONS'],
        maxAge: 600,
      })
    }
    await app.register(fastifyWebsocket, {
      options: { maxPayload: this.wsMaxPayload },
      errorHandler: (error: Error, socket: WsSocket) => {
        this.log.debug('websocket error', { err: error.message })
        socket.terminate()
      },
    })

    if (Array.isArray(cors)) {
      // browsers send Origin on WebSocket upgrades and CORS does not apply there: check it here
      const allowed = new Set(cors)
      app.addHook('onRequest', (req, reply, done) => {
        const origin = req.headers.origin
        if (req.ws && origin !== undefined && !allowed.has(origin)) {
          reply
            .code(403)
            .type(JSON_TYPE)
            .send(errorText(null, RpcErrorCode.INVALID_REQUEST, `origin ${origin} is not allowed`))
          return
        }
        done()
      })
    }

    // every body is read as a string and parsed by the dispatcher, whatever the content type says
    app.removeAllContentTypeParsers()
    app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body))

    app.setErrorHandler((err: FastifyError, _req, reply) => this.onHttpError(err, reply))
    app.setNotFoundHandler((_req, reply) => {
      reply
        .code(405)
        .header('allow', 'GET, POST')
        .type(JSON_TYPE)
        .send(errorText(null, RpcErrorCode.INVALID_REQUEST, 'HTTP method not allowed: send JSON-RPC with POST'))
    })

    app.post('/*', (req, reply) => this.onHttpPost(req, reply))
    app.route({
      method: 'GET',
      url: '/*',
      handler: (_req, reply) => {
        reply.type('text/plain; charset=utf-8').send('Pars JSON-RPC: POST JSON-RPC 2.0 requests here, or connect a WebSocket\n')
      },
      wsHandler: (socket: WsSocket) => this.onWsConnection(socket, sockets),
    })
  }

  /**
   * Answer a plain JSON-RPC POST without fastify's request lifecycle: a body with a Content-Length
   * within the limit, from a client that sends no Origin (or with CORS open to any origin), while the
   * server is not closing. Returns false, having touched nothing, for anything else, which fastify
   * then serves as before. The answer is the same either way: the same dispatcher, status 200 with
   * `application/json; charset=utf-8` (or 204 for notifications only), and the
   * `Access-Control-Allow-Origin: *` that @fastify/cors adds when CORS is open. Measured with
   * bench:rpc's load: fastify's lifecycle and the two plugins' hooks cost more than the node's own
   * work for eth_blockNumber (docs/performance.md).
   */
  private plainPost(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'POST' || this.closing) return false
    const cors = this.opts.cors
    if (Array.isArray(cors)) return false
    const declared = req.headers['content-length']
    if (declared === undefined || req.headers['transfer-encoding'] !== undefined) return false
    const length = Number(declared)
    if (!Number.isSafeInteger(length) || length < 0 || length > this.bodyLimit) return false
    // Node's parser delivers exactly Content-Length bytes
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('error', () => res.destroy())
    req.on('end', () => {
      const headers: Record<string, string | number> = cors === '*' ? { 'access-control-allow-origin': '*' } : {}
      const send = (a: Answer): void => {
        if (res.destroyed) return
        if (a === undefined) {
          res.writeHead(204, headers).end()
          return
        }
        headers['content-type'] = JSON_UTF8
        headers['content-length'] = Buffer.byteLength(a)
        res.writeHead(200, headers).end(a)
      }
      const fail = (e: unknown): void => {
        this.log.error('rpc http failure', { err: errorMessage(e) })
        if (res.headersSent || res.destroyed) return
        headers['content-type'] = JSON_UTF8
        res.writeHead(500, headers).end(errorText(null, RpcErrorCode.INTERNAL, 'internal error'))
      }
      try {
        const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')
        const out = this.dispatcher.handle(text, this.httpCtx)
        if (out instanceof Promise) out.then(send, fail)
        else send(out)
      } catch (e) {
        fail(e)
      }
    })
    return true
  }

  private onHttpPost(req: FastifyRequest, reply: FastifyReply): FastifyReply | Promise<FastifyReply> {
    const body = req.body
    const out = this.dispatcher.handle(typeof body === 'string' ? body : '', this.httpCtx)
    if (out instanceof Promise) return out.then((a) => sendAnswer(reply, a))
    return sendAnswer(reply, out)
  }

  private onHttpError(err: FastifyError, reply: FastifyReply): void {
    const status = err.statusCode ?? 500
    if (status === 413) {
      let answered = false
      const answer = (): void => {
        if (answered) return
        answered = true
        clearTimeout(timer)
        reply
          .code(413)
          .type(JSON_TYPE)
          .send(errorText(null, RpcErrorCode.INVALID_REQUEST, `request too large: body exceeds the limit of ${this.bodyLimit} bytes`))
      }
      // Read (and drop) the rest of the upload before answering: answering mid-upload resets the
      // client's socket before it reads the answer. A client that stops sending is answered anyway.
      const raw = reply.request.raw
      const timer = setTimeout(answer, OVERSIZE_DRAIN_MS)
      if (raw.complete || raw.destroyed) answer()
      else {
        raw.once('end', answer)
        raw.once('error', answer)
        raw.resume()
      }
      return
    }
    if (status >= 400 && status < 500) {
      reply
        .code(status)
        .type(JSON_TYPE)
        .send(errorText(null, RpcErrorCode.INVALID_REQUEST, `invalid HTTP request: ${err.message}`))
      return
    }
    this.log.error('rpc http failure', { err: err.message, code: err.code })
    reply
      .code(500)
      .type(JSON_TYPE)
      .send(errorText(null, RpcErrorCode.INTERNAL, 'internal error'))
  }

  private onWsConnection(socket: WsSocket, sockets: Set<WsSocket>): void {
    const closeCallbacks: (() => void)[] = []
    let closed = false
    const log = this.log
    const runCallback = (cb: () => void): void => {
      try {
        cb()
      } catch (e) {
        log.error('websocket close callback failed', { err: errorMessage(e) })
      }
    }
    const connection: RpcConnection = {
      id: ++this.nextConnectionId,
      notify(message: unknown): void {
        if (closed || socket.readyState !== WS_OPEN) return
        // a subscriber that stops reading must not make the node buffer without end (geth drops it too)
        if (socket.bufferedAmount > WS_MAX_BUFFERED) {
          log.warn('websocket subscriber is not reading; closing it', { connection: connection.id, buffered: socket.bufferedAmount })
          socket.close(1008, 'subscriber too slow')
          return
        }
        const text = stringify(message)
        if (text === undefined) {
          log.error('websocket notification cannot be serialized')
          return
        }
        try {
          socket.send(text, onSendError)
        } catch (e) {
          log.debug('websocket send failed', { connection: connection.id, err: describeError(e) })
        }
      },
      onClose(cb: () => void): void {
        if (closed) queueMicrotask(() => runCallback(cb))
        else closeCallbacks.push(cb)
      },
    }
    const ctx: RpcContext = { connection }
    const onSendError = (err?: Error): void => {
      if (err !== undefined && err !== null) log.debug('websocket send failed', { connection: connection.id, err: err.message })
    }
    const reply = (a: Answer): void => {
      if (a === undefined || socket.readyState !== WS_OPEN) return
      try {
        socket.send(a, onSendError)
      } catch (e) {
        log.debug('websocket send failed', { connection: connection.id, err: describeError(e) })
      }
    }
    sockets.add(socket)
    socket.on('message', (raw) => {
      try {
        const text = Buffer.isBuffer(raw)
          ? raw.toString('utf8')
          : Array.isArray(raw)
            ? Buffer.concat(raw).toString('utf8')
            : Buffer.from(raw).toString('utf8')
        const out = this.dispatcher.handle(text, ctx)
        if (out instanceof Promise) out.then(reply, (e: unknown) => log.error('websocket dispatch failed', { err: describeError(e) }))
        else reply(out)
      } catch (e) {
        log.error('websocket dispatch failed', { err: describeError(e) })
      }
    })
    socket.on('close', () => {
      closed = true
      sockets.delete(socket)
      const cbs = closeCallbacks.splice(0)
      for (const cb of cbs) runCallback(cb)
    })
    this.log.debug('websocket connected', { connection: connection.id })
  }
}

function sendAnswer(reply: FastifyReply, a: Answer): FastifyReply {
  if (a === undefined) return reply.code(204).send()
  return reply.type(JSON_TYPE).send(a)
}

/** Close handshake with every client; whoever has not finished after a grace period is cut off. */
async function closeSockets(sockets: Set<WsSocket>): Promise<void> {
  if (sockets.size === 0) return
  const all = [...sockets]
  const closedAll = Promise.all(all.map((s) => new Promise<void>((resolve) => s.once('close', resolve))))
  for (const s of all) {
    try {
      s.close(1001, 'server stopping')
    } catch {
      s.terminate()
    }
  }
  let timer: NodeJS.Timeout | undefined
  const grace = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      for (const s of all) s.terminate()
      resolve()
    }, WS_CLOSE_GRACE_MS)
  })
  await Promise.race([closedAll, grace])
  clearTimeout(timer)
  await closedAll
}
