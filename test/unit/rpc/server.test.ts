import { createRequire } from 'node:module'
import { connect, type Socket } from 'node:net'
import { once } from 'node:events'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ParsError, createLogger, nullLogger } from '../../../common/index.js'
import { RpcError, invalidParams } from '../../../rpc/errors.js'
import { RpcServer, type RpcServerOptions } from '../../../rpc/server.js'
import type { RpcConnection, RpcHandler } from '../../../rpc/types.js'

// `ws` is installed (a dependency of @fastify/websocket) but has no type declarations here
interface WsClient {
  readonly readyState: number
  on(event: 'message', cb: (data: Buffer) => void): void
  on(event: 'open', cb: () => void): void
  on(event: 'close', cb: (code: number, reason: Buffer) => void): void
  on(event: 'error', cb: (err: Error) => void): void
  send(data: string | Buffer): void
  close(): void
  terminate(): void
}
type WsClientCtor = new (url: string, opts?: { origin?: string }) => WsClient
const require = createRequire(import.meta.url)
const WebSocket = require('ws') as WsClientCtor

/** A WebSocket client whose messages can be awaited one by one. */
class WsTestClient {
  private readonly queue: unknown[] = []
  private readonly waiters: ((m: unknown) => void)[] = []
  readonly closed: Promise<{ code: number }>
  readonly ws: WsClient

  private constructor(ws: WsClient) {
    this.ws = ws
    ws.on('message', (data) => {
      const m: unknown = JSON.parse(data.toString('utf8'))
      const w = this.waiters.shift()
      if (w !== undefined) w(m)
      else this.queue.push(m)
    })
    this.closed = new Promise((resolve) => ws.on('close', (code) => resolve({ code })))
  }

  static async open(url: string, origin?: string): Promise<WsTestClient> {
    const ws = new WebSocket(url, origin === undefined ? {} : { origin })
    let failure: Error | undefined
    ws.on('error', (e) => (failure ??= e)) // after open, errors show up as close codes in these tests
    const client = new WsTestClient(ws)
    await new Promise<void>((resolve, reject) => {
      ws.on('open', resolve)
      ws.on('close', () => reject(failure ?? new Error('closed before open')))
    })
    return client
  }

  next(): Promise<unknown> {
    const m = this.queue.shift()
    if (m !== undefined) return Promise.resolve(m)
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  async request(body: unknown): Promise<unknown> {
    this.ws.send(typeof body === 'string' ? body : JSON.stringify(body))
    return this.next()
  }
}

interface Deferred<T> {
  promise: Promise<T>
  resolve(v: T): void
}
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

class DomainError extends ParsError<{ code: 'NONCE_TOO_LOW' }> {}

function makeMethods(events: { order: string[]; connections: RpcConnection[]; closed: Deferred<number>[] }): Map<string, RpcHandler> {
  const m = new Map<string, RpcHandler>()
  m.set('echo', (params) => params)
  m.set('echo_async', async (params) => {
    await Promise.resolve()
    return params
  })
  m.set('nothing', () => undefined)
  m.set('big', () => ({ n: 255n }))
  m.set('cyclic', () => {
    const o: Record<string, unknown> = {}
    o['self'] = o
    return o
  })
  m.set('throw_params', () => {
    throw invalidParams('invalid argument 0: bad thing')
  })
  m.set('throw_reverted', () => {
    throw new RpcError('EXECUTION_REVERTED', 'execution reverted', '0x08c379a0')
  })
  m.set('throw_domain', () => {
    throw new DomainError({ code: 'NONCE_TOO_LOW' }, 'nonce too low')
  })
  m.set('throw_unknown', () => {
    throw new Error('secret internals at /home/x/file.ts:12')
  })
  m.set('reject_unknown', () => Promise.reject(new TypeError('async secret')))
  m.set('reject_thenable', () => ({ then: (_ok: unknown, fail: (e: unknown) => void) => fail(new Error('thenable')) }))
  m.set('throw_hostile', () => {
    throw Object.create(null) as unknown
  })
  m.set('reject_hostile', () => Promise.reject(Object.create(null) as unknown))
  m.set('throw_proto_code', () => {
    throw new ParsError({ code: 'constructor' }, 'odd domain code')
  })
  m.set('order', async (params) => {
    const tag = String(params[0])
    events.order.push(`start ${tag}`)
    await new Promise<void>((r) => setImmediate(r))
    events.order.push(`end ${tag}`)
    return tag
  })
  m.set('conn', (_params, ctx) => {
    const c = ctx.connection
    if (c === undefined) return null
    events.connections.push(c)
    const closed = deferred<number>()
    events.closed.push(closed)
    c.onClose(() => closed.resolve(c.id))
    c.notify({ jsonrpc: '2.0', method: 'pars_subscription', params: { subscription: '0x1', result: 7n } })
    return c.id
  })
  return m
}

async function post(url: string, body: string | Uint8Array, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const res = await fetch(url, { method: 'POST', body, headers })
  const text = await res.text()
  return { status: res.status, headers: res.headers, text, json: text === '' ? undefined : (JSON.parse(text) as unknown) }
}

const rpc = (method: string, params?: unknown, id: unknown = 1) => JSON.stringify({ jsonrpc: '2.0', id, method, params })

describe('RpcServer', () => {
  const events = { order: [] as string[], connections: [] as RpcConnection[], closed: [] as Deferred<number>[] }
  const logLines: string[] = []
  const opts: RpcServerOptions = {
    methods: makeMethods(events),
    logger: createLogger({ level: 'error', module: 'rpc', write: (l) => logLines.push(l) }),
    host: '127.0.0.1',
    port: 0,
    cors: ['http://good.example'],
    bodyLimit: 64 * 1024,
    maxBatch: 5,
    wsMaxPayload: 16 * 1024,
    domainCodes: { NONCE_TOO_LOW: 'SERVER_ERROR' },
  }
  const server = new RpcServer(opts)
  let url = ''
  let wsUrl = ''

  beforeAll(async () => {
    await server.start()
    const { host, port } = server.address()
    expect(port).toBeGreaterThan(0)
    url = `http://${host}:${port}/`
    wsUrl = `ws://${host}:${port}/`
  })
  afterAll(async () => {
    await server.stop()
  })
  afterEach(() => {
    events.order.length = 0
  })

  describe('HTTP single requests', () => {
    it('answers a call with application/json and status 200', async () => {
      const r = await post(url, rpc('echo', [1, 'a']))
      expect(r.status).toBe(200)
      expect(r.headers.get('content-type')).toMatch(/^application\/json/)
      expect(r.json).toEqual({ jsonrpc: '2.0', id: 1, result: [1, 'a'] })
    })

    it('echoes string, number and null ids', async () => {
      expect((await post(url, rpc('echo', [], 'abc'))).json).toEqual({ jsonrpc: '2.0', id: 'abc', result: [] })
      expect((await post(url, rpc('echo', [], 0))).json).toEqual({ jsonrpc: '2.0', id: 0, result: [] })
      expect((await post(url, rpc('echo', [], null))).json).toEqual({ jsonrpc: '2.0', id: null, result: [] })
    })

    it('serves POST on any path', async () => {
      expect((await post(url + 'some/path', rpc('echo', [2]))).json).toEqual({ jsonrpc: '2.0', id: 1, result: [2] })
    })

    it('reads text/plain, form-encoded and missing content types as JSON', async () => {
      const variants: Record<string, string>[] = [
        { 'content-type': 'text/plain' },
        { 'content-type': 'application/x-www-form-urlencoded' },
        {},
      ]
      for (const headers of variants) {
        const r = await post(url, new TextEncoder().encode(rpc('echo', [3])), headers)
        expect(r.json).toEqual({ jsonrpc: '2.0', id: 1, result: [3] })
      }
    })

    it('awaits async handlers', async () => {
      expect((await post(url, rpc('echo_async', ['x']))).json).toEqual({ jsonrpc: '2.0', id: 1, result: ['x'] })
    })

    it('absent and null params become []', async () => {
      expect((await post(url, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'echo' }))).json).toEqual({
        jsonrpc: '2.0',
        id: 1,
        result: [],
      })
      expect((await post(url, rpc('echo', null))).json).toEqual({ jsonrpc: '2.0', id: 1, result: [] })
    })

    it('serializes an undefined result as null and a bigint as a hex quantity', async () => {
      expect((await post(url, rpc('nothing'))).text).toBe('{"jsonrpc":"2.0","id":1,"result":null}')
      expect((await post(url, rpc('big'))).json).toEqual({ jsonrpc: '2.0', id: 1, result: { n: '0xff' } })
    })

    it('answers an unserializable result with an internal error', async () => {
      const r = await post(url, rpc('cyclic'))
      expect(r.json).toEqual({ jsonrpc: '2.0', id: 1, error: { code: -32603, message: 'internal error' } })
    })
  })

  describe('HTTP error paths', () => {
    it('invalid JSON is -32700 with id null', async () => {
      const r = await post(url, '{"jsonrpc":"2.0","id":1,')
      expect(r.status).toBe(200)
      expect(r.json).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } })
    })

    it('an empty body is a parse error', async () => {
      expect((await post(url, '')).json).toMatchObject({ id: null, error: { code: -32700 } })
      expect((await post(url, new Uint8Array(0), {})).json).toMatchObject({ id: null, error: { code: -32700 } })
    })

    it('a non-object request is -32600 with id null', async () => {
      for (const body of ['1', '"x"', 'null', 'true']) {
        expect((await post(url, body)).json).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32600 } })
      }
    })

    it('a missing or wrong jsonrpc version is -32600 with the id echoed', async () => {
      expect((await post(url, JSON.stringify({ id: 7, method: 'echo' }))).json).toMatchObject({ id: 7, error: { code: -32600 } })
      expect((await post(url, JSON.stringify({ jsonrpc: '1.0', id: 'q', method: 'echo' }))).json).toMatchObject({
        id: 'q',
        error: { code: -32600 },
      })
      // no id at all: not a valid notification, so it is answered, with id null
      expect((await post(url, JSON.stringify({ method: 'echo' }))).json).toMatchObject({ id: null, error: { code: -32600 } })
    })

    it('an id of the wrong type is -32600 with id null', async () => {
      expect((await post(url, JSON.stringify({ jsonrpc: '2.0', id: { a: 1 }, method: 'echo' }))).json).toMatchObject({
        id: null,
        error: { code: -32600 },
      })
      expect((await post(url, JSON.stringify({ jsonrpc: '2.0', id: [1], method: 'echo' }))).json).toMatchObject({
        id: null,
        error: { code: -32600 },
      })
    })

    it('a method that is not a string is -32600', async () => {
      expect((await post(url, JSON.stringify({ jsonrpc: '2.0', id: 3, method: 5 }))).json).toMatchObject({ id: 3, error: { code: -32600 } })
      expect((await post(url, JSON.stringify({ jsonrpc: '2.0', id: 3 }))).json).toMatchObject({ id: 3, error: { code: -32600 } })
    })

    it('params that are not an array: object -32602, scalar -32600', async () => {
      expect((await post(url, rpc('echo', { a: 1 }))).json).toMatchObject({ id: 1, error: { code: -32602 } })
      expect((await post(url, rpc('echo', 'x'))).json).toMatchObject({ id: 1, error: { code: -32600 } })
      expect((await post(url, rpc('echo', 5))).json).toMatchObject({ id: 1, error: { code: -32600 } })
    })

    it('an unknown method is -32601 naming it', async () => {
      expect((await post(url, rpc('eth_nope', []))).json).toEqual({
        jsonrpc: '2.0',
        id: 1,
        error: { code: -32601, message: 'the method eth_nope does not exist/is not available' },
      })
    })

    it('maps RpcError codes, messages and data', async () => {
      expect((await post(url, rpc('throw_params'))).json).toEqual({
        jsonrpc: '2.0',
        id: 1,
        error: { code: -32602, message: 'invalid argument 0: bad thing' },
      })
      expect((await post(url, rpc('throw_reverted'))).json).toEqual({
        jsonrpc: '2.0',
        id: 1,
        error: { code: 3, message: 'execution reverted', data: '0x08c379a0' },
      })
    })

    it('maps domain errors through domainCodes', async () => {
      expect((await post(url, rpc('throw_domain'))).json).toEqual({
        jsonrpc: '2.0',
        id: 1,
        error: { code: -32000, message: 'nonce too low' },
      })
    })

    it('unknown errors are -32603 without details, and are logged with the method', async () => {
      logLines.length = 0
      for (const method of ['throw_unknown', 'reject_unknown', 'reject_thenable']) {
        const r = await post(url, rpc(method))
        expect(r.json).toEqual({ jsonrpc: '2.0', id: 1, error: { code: -32603, message: 'internal error' } })
        expect(r.text).not.toMatch(/secret|thenable|\.ts/)
      }
      expect(logLines).toHaveLength(3)
      expect(logLines[0]).toMatch(/ERROR.*method=throw_unknown/)
      expect(logLines[1]).toMatch(/method=reject_unknown/)
      expect(logLines[2]).toMatch(/method=reject_thenable/)
    })

    it('survives thrown values that cannot even be printed', async () => {
      for (const method of ['throw_hostile', 'reject_hostile', 'throw_proto_code']) {
        expect((await post(url, rpc(method))).json).toEqual({ jsonrpc: '2.0', id: 1, error: { code: -32603, message: 'internal error' } })
      }
      const c = await WsTestClient.open(wsUrl)
      expect(await c.request(rpc('reject_hostile'))).toMatchObject({ error: { code: -32603 } })
      expect(await c.request(rpc('throw_hostile'))).toMatchObject({ error: { code: -32603 } })
      c.ws.close()
      await c.closed
    })

    it('a body over bodyLimit is 413 with a JSON-RPC error', async () => {
      const big = rpc('echo', ['x'.repeat(70 * 1024)])
      const r = await post(url, big)
      expect(r.status).toBe(413)
      expect(r.headers.get('content-type')).toMatch(/^application\/json/)
      expect(r.json).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32600 } })
      expect((r.json as { error: { message: string } }).error.message).toMatch(/too large/)
    })

    it('GET without upgrade is a 200 hint, other HTTP methods 405', async () => {
      const g = await fetch(url)
      expect(g.status).toBe(200)
      expect(await g.text()).toMatch(/JSON-RPC/)
      const p = await fetch(url, { method: 'PUT', body: '{}' })
      expect(p.status).toBe(405)
      expect(await p.json()).toMatchObject({ error: { code: -32600 } })
    })
  })

  describe('HTTP notifications and batches', () => {
    it('a notification gets 204 and no body, and still runs', async () => {
      const r = await post(url, JSON.stringify({ jsonrpc: '2.0', method: 'order', params: ['n'] }))
      expect(r.status).toBe(204)
      expect(r.text).toBe('')
      expect(events.order).toEqual(['start n', 'end n'])
    })

    it('notifications to unknown methods or with failures are silent', async () => {
      expect((await post(url, JSON.stringify({ jsonrpc: '2.0', method: 'nope' }))).status).toBe(204)
      expect((await post(url, JSON.stringify({ jsonrpc: '2.0', method: 'throw_params' }))).status).toBe(204)
    })

    it('answers a batch in order, skipping notifications (notifications count toward maxBatch)', async () => {
      const body = JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'echo', params: [1] },
        { jsonrpc: '2.0', method: 'echo', params: ['notified'] },
        { jsonrpc: '2.0', id: 2, method: 'echo_async', params: [2] },
        5,
        { jsonrpc: '2.0', id: 'e', method: 'throw_params' },
      ])
      const r = await post(url, body)
      expect(r.status).toBe(200)
      expect(r.json).toEqual([
        { jsonrpc: '2.0', id: 1, result: [1] },
        { jsonrpc: '2.0', id: 2, result: [2] },
        { jsonrpc: '2.0', id: null, error: { code: -32600, message: expect.any(String) as string } },
        { jsonrpc: '2.0', id: 'e', error: { code: -32602, message: 'invalid argument 0: bad thing' } },
      ])
    })

    it('runs batch calls one after another', async () => {
      const body = JSON.stringify(['a', 'b', 'c'].map((t, i) => ({ jsonrpc: '2.0', id: i, method: 'order', params: [t] })))
      const r = await post(url, body)
      expect((r.json as { result: string }[]).map((x) => x.result)).toEqual(['a', 'b', 'c'])
      expect(events.order).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c'])
    })

    it('a batch of only notifications gets 204', async () => {
      const body = JSON.stringify([
        { jsonrpc: '2.0', method: 'echo' },
        { jsonrpc: '2.0', method: 'echo_async' },
      ])
      const r = await post(url, body)
      expect(r.status).toBe(204)
      expect(r.text).toBe('')
    })

    it('an empty batch is a single -32600 "empty batch"', async () => {
      expect((await post(url, '[]')).json).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'empty batch' } })
    })

    it('a batch over maxBatch is one error carrying the first call id', async () => {
      const calls = [{ jsonrpc: '2.0', method: 'echo' }, ...[1, 2, 3, 4, 5].map((id) => ({ jsonrpc: '2.0', id: id + 10, method: 'echo' }))]
      const r = await post(url, JSON.stringify(calls))
      expect(r.json).toEqual([
        { jsonrpc: '2.0', id: 11, error: { code: -32600, message: expect.stringMatching(/batch too large/) as string } },
      ])
    })

    it('a batch of exactly maxBatch is served', async () => {
      const calls = [1, 2, 3, 4, 5].map((id) => ({ jsonrpc: '2.0', id, method: 'echo', params: [id] }))
      expect((await post(url, JSON.stringify(calls))).json).toHaveLength(5)
    })

    it('serves concurrent requests independently', async () => {
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => post(url, rpc(i % 2 === 0 ? 'echo' : 'echo_async', [i], i)).then((r) => r.json)),
      )
      results.forEach((r, i) => expect(r).toEqual({ jsonrpc: '2.0', id: i, result: [i] }))
    })
  })

  describe('CORS', () => {
    it('allowed origin gets Access-Control-Allow-Origin', async () => {
      const r = await post(url, rpc('echo'), { 'content-type': 'application/json', origin: 'http://good.example' })
      expect(r.headers.get('access-control-allow-origin')).toBe('http://good.example')
    })

    it('disallowed origin gets no Access-Control-Allow-Origin, request is still served', async () => {
      const r = await post(url, rpc('echo'), { 'content-type': 'application/json', origin: 'http://evil.example' })
      expect(r.headers.get('access-control-allow-origin')).toBeNull()
      expect(r.json).toEqual({ jsonrpc: '2.0', id: 1, result: [] })
    })

    it('answers a preflight for an allowed origin', async () => {
      const r = await fetch(url, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://good.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      })
      expect(r.status).toBeLessThan(300)
      expect(r.headers.get('access-control-allow-origin')).toBe('http://good.example')
      expect(r.headers.get('access-control-allow-methods')).toMatch(/POST/)
    })

    it('no cors option: no CORS headers; "*": any origin', async () => {
      const plain = new RpcServer({ ...opts, cors: undefined })
      const star = new RpcServer({ ...opts, cors: '*' })
      await plain.start()
      await star.start()
      try {
        const a = await post(`http://127.0.0.1:${plain.address().port}/`, rpc('echo'), { origin: 'http://good.example' })
        expect(a.headers.get('access-control-allow-origin')).toBeNull()
        expect(a.json).toEqual({ jsonrpc: '2.0', id: 1, result: [] })
        const b = await post(`http://127.0.0.1:${star.address().port}/`, rpc('echo'), { origin: 'http://any.example' })
        expect(b.headers.get('access-control-allow-origin')).toBe('*')
      } finally {
        await plain.stop()
        await star.stop()
      }
    })
  })

  describe('plain POSTs (answered without fastify) and the rest (through fastify) answer alike', () => {
    /** The same request as a plain POST (Content-Length) and chunked, which always goes through fastify. */
    async function bothWays(port: number, body: string, headers: Record<string, string> = {}) {
      const u = `http://127.0.0.1:${port}/`
      const plain = await post(u, body, { 'content-type': 'application/json', ...headers })
      const chunked = await fetch(u, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: new ReadableStream({
          start(c) {
            c.enqueue(new TextEncoder().encode(body))
            c.close()
          },
        }),
        duplex: 'half',
      } as RequestInit)
      const text = await chunked.text()
      const view = (r: { status: number; headers: Headers }, t: string) => ({
        status: r.status,
        // every header but the date
        headers: [...r.headers].filter(([k]) => k !== 'date').map(([k, v]) => `${k}: ${v}`),
        cors: r.headers.get('access-control-allow-origin'),
        body: t,
      })
      return { plain: view(plain, plain.text), viaFastify: view(chunked, text) }
    }

    it('calls, errors, notifications, batches, bad JSON, any content type: same status, headers and body; CORS "*" or none', async () => {
      for (const cors of [undefined, '*'] as const) {
        const s = new RpcServer({ ...opts, cors, logger: nullLogger() })
        await s.start()
        try {
          const { port } = s.address()
          const bodies = [
            rpc('echo', [1, 'a']),
            rpc('echo_async', [2]),
            rpc('big'),
            rpc('cyclic'),
            rpc('throw_params'),
            rpc('throw_domain'),
            rpc('reject_unknown'),
            rpc('no_such_method'),
            JSON.stringify({ jsonrpc: '2.0', method: 'echo', params: [] }),
            `[${rpc('echo', [1], 1)},${rpc('echo', [2], 2)}]`,
            '[]',
            '{"jsonrpc":"2.0",',
            '',
          ]
          for (const body of bodies) {
            const { plain, viaFastify } = await bothWays(port, body)
            expect(plain, body).toEqual(viaFastify)
          }
          const withOrigin = await bothWays(port, rpc('echo'), { origin: 'http://any.example' })
          expect(withOrigin.plain).toEqual(withOrigin.viaFastify)
          expect(withOrigin.plain.cors).toBe(cors === '*' ? '*' : null)
        } finally {
          await s.stop()
        }
      }
    })
  })

  describe('WebSocket', () => {
    it('accepts upgrades from allowed origins or without Origin, rejects other origins', async () => {
      const good = await WsTestClient.open(wsUrl, 'http://good.example')
      expect(await good.request(rpc('echo'))).toEqual({ jsonrpc: '2.0', id: 1, result: [] })
      good.ws.close()
      await good.closed
      await expect(WsTestClient.open(wsUrl, 'http://evil.example')).rejects.toThrow(/403/)
    })

    it('answers requests, batches and errors on the same port', async () => {
      const c = await WsTestClient.open(wsUrl)
      expect(await c.request({ jsonrpc: '2.0', id: 1, method: 'echo', params: [1] })).toEqual({ jsonrpc: '2.0', id: 1, result: [1] })
      expect(
        await c.request([
          { jsonrpc: '2.0', id: 1, method: 'echo_async', params: [1] },
          { jsonrpc: '2.0', id: 2, method: 'x' },
        ]),
      ).toEqual([
        { jsonrpc: '2.0', id: 1, result: [1] },
        { jsonrpc: '2.0', id: 2, error: { code: -32601, message: 'the method x does not exist/is not available' } },
      ])
      expect(await c.request('{oops')).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } })
      expect(await c.request('[]')).toMatchObject({ error: { code: -32600, message: 'empty batch' } })
      expect(await c.request({ jsonrpc: '2.0', id: 4, method: 'throw_unknown' })).toEqual({
        jsonrpc: '2.0',
        id: 4,
        error: { code: -32603, message: 'internal error' },
      })
      c.ws.send(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'echo' }))) // binary frame
      expect(await c.next()).toEqual({ jsonrpc: '2.0', id: 5, result: [] })
      c.ws.close()
      await c.closed
    })

    it('sends nothing for notifications', async () => {
      const c = await WsTestClient.open(wsUrl + 'any/path')
      c.ws.send(JSON.stringify({ jsonrpc: '2.0', method: 'echo' }))
      c.ws.send(JSON.stringify([{ jsonrpc: '2.0', method: 'echo' }]))
      // messages on one connection are handled in order for sync handlers: the next answer is this one
      expect(await c.request({ jsonrpc: '2.0', id: 9, method: 'echo' })).toEqual({ jsonrpc: '2.0', id: 9, result: [] })
      c.ws.close()
      await c.closed
    })

    it('gives handlers a connection with unique ids, notify and onClose', async () => {
      events.connections.length = 0
      events.closed.length = 0
      const a = await WsTestClient.open(wsUrl)
      const b = await WsTestClient.open(wsUrl)
      a.ws.send(rpc('conn'))
      const note = await a.next()
      expect(note).toEqual({ jsonrpc: '2.0', method: 'pars_subscription', params: { subscription: '0x1', result: '0x7' } })
      const ra = (await a.next()) as { result: number }
      const rb = (await b.request(rpc('conn'))) as unknown
      await b.next() // answer after the notification
      const idA = ra.result
      expect(typeof idA).toBe('number')
      expect(events.connections).toHaveLength(2)
      expect(events.connections[0]!.id).not.toBe(events.connections[1]!.id)
      expect(rb).toMatchObject({ method: 'pars_subscription' })
      a.ws.close()
      expect(await events.closed[0]!.promise).toBe(idA)
      // notify after close is a no-op, onClose after close still fires
      events.connections[0]!.notify({ late: true })
      const late = deferred<void>()
      events.connections[0]!.onClose(() => late.resolve())
      await late.promise
      b.ws.close()
      await events.closed[1]!.promise
    })

    it('HTTP calls have no connection', async () => {
      expect((await post(url, rpc('conn'))).json).toEqual({ jsonrpc: '2.0', id: 1, result: null })
    })

    it('closes a socket that sends a message over wsMaxPayload, and keeps serving', async () => {
      const c = await WsTestClient.open(wsUrl)
      c.ws.send(rpc('echo', ['y'.repeat(20 * 1024)]))
      expect((await c.closed).code).toBe(1009)
      const d = await WsTestClient.open(wsUrl)
      expect(await d.request(rpc('echo'))).toEqual({ jsonrpc: '2.0', id: 1, result: [] })
      d.ws.close()
      await d.closed
    })

    it('survives malformed frames', async () => {
      const { port } = server.address()
      const sock: Socket = connect(port, '127.0.0.1')
      await once(sock, 'connect')
      sock.write(
        'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      )
      const [head] = (await once(sock, 'data')) as [Buffer]
      expect(head.toString()).toMatch(/^HTTP\/1.1 101/)
      sock.on('error', () => {})
      sock.resume()
      const ended = once(sock, 'close')
      // an unmasked frame with a reserved opcode and garbage: a protocol error, the server drops us
      sock.write(Buffer.from([0x83, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3]))
      await ended
      expect((await post(url, rpc('echo'))).json).toEqual({ jsonrpc: '2.0', id: 1, result: [] })
    })
  })

  describe('lifecycle', () => {
    it('rejects a busy port with PORT_IN_USE and a one-line message', async () => {
      const { port } = server.address()
      const other = new RpcServer({ ...opts, port })
      const err = await other.start().then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(ParsError)
      expect((err as ParsError).code).toBe('PORT_IN_USE')
      expect((err as ParsError).message).toBe(`RPC port ${port} on 127.0.0.1 is already in use`)
      await other.stop() // never started: a no-op
    })

    it('stop() closes open WebSockets and HTTP keep-alive connections, then address() throws', async () => {
      const s = new RpcServer({ ...opts, logger: nullLogger() })
      await s.start()
      const { port } = s.address()
      const c1 = await WsTestClient.open(`ws://127.0.0.1:${port}/`)
      const c2 = await WsTestClient.open(`ws://127.0.0.1:${port}/`)
      expect(await c1.request(rpc('echo'))).toEqual({ jsonrpc: '2.0', id: 1, result: [] })
      expect((await post(`http://127.0.0.1:${port}/`, rpc('echo'))).status).toBe(200)
      await s.stop()
      expect((await c1.closed).code).toBe(1001)
      expect((await c2.closed).code).toBe(1001)
      expect(() => s.address()).toThrow(ParsError)
      await s.stop() // idempotent
      // the port is free again
      const again = new RpcServer({ ...opts, port })
      await again.start()
      expect(again.address().port).toBe(port)
      await again.stop()
    })
  })
})
