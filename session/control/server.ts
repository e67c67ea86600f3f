import { randomBytes, timingSafeEqual } from 'node:crypto'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { AddressInfo } from 'node:net'
import { fastify, type FastifyInstance, type FastifyReply } from 'fastify'
import { ParsError, type Logger, type Startable } from '../../common/index.js'
import { SessionError, type SessionErrorCode } from '../errors.js'
import { CONTROL_METHODS, CONTROL_VERSION, controlFilePath, statusOf, type ControlMethod } from './api.js'
import type { SessionService } from './service.js'

export interface ControlServerComponents {
  service: SessionService
  datadir: string
  /** TCP port on 127.0.0.1 (0: any free one) */
  port: number
  logger: Logger
}

export type ControlServerErrorType = { code: 'CONTROL_PORT_IN_USE'; port: number }

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]'])
const BODY_LIMIT = 256 * 1024

/**
 * The control API over HTTP (see api.ts): 127.0.0.1 only, a Host header naming a loopback address,
 * and the bearer token of DATADIR/session/control.json, compared in constant time. One JSON object
 * in, one out.
 */
export class ControlServer implements Startable {
  private app: FastifyInstance | undefined
  private token: Buffer = randomBytes(32)

  constructor(private readonly c: ControlServerComponents) {}

  get url(): string {
    const a = this.app?.server.address() as AddressInfo | null | undefined
    return a ? `http://127.0.0.1:${a.port}` : ''
  }

  async start(): Promise<void> {
    this.token = randomBytes(32)
    const app = fastify({ bodyLimit: BODY_LIMIT, logger: false, forceCloseConnections: true })
    // any content type is one JSON object (curl -d sends form-urlencoded)
    app.removeAllContentTypeParsers()
    app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body))
    app.setErrorHandler((e: { statusCode?: number; message: string }, _req, reply) => {
      const code: SessionErrorCode = e.statusCode === 413 ? 'BAD_PARAMS' : 'INTERNAL'
      if (code === 'INTERNAL') this.c.logger.warn('control API failure', { error: e.message })
      return this.fail(reply, code, e.statusCode === 413 ? `the body is larger than ${BODY_LIMIT} bytes` : 'the request failed')
    })
    app.post('/:version/:method', async (req, reply) => {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '')
      if (!LOOPBACK_HOSTS.has(host)) return this.fail(reply, 'UNAUTHORIZED', 'the control API answers only loopback host names')
      if (!this.authorized(req.headers.authorization)) {
        return this.fail(reply, 'UNAUTHORIZED', 'a valid token is needed: Authorization: Bearer <token of DATADIR/session/control.json>')
      }
      const { version, method } = req.params as { version: string; method: string }
      if (version !== CONTROL_VERSION || !CONTROL_METHODS.includes(method as ControlMethod)) {
        return this.fail(reply, 'UNKNOWN_METHOD', `no method ${version}/${method} (methods: ${CONTROL_METHODS.join(', ')})`)
      }
      let params: unknown
      const text = typeof req.body === 'string' ? req.body.trim() : ''
      try {
        params = text === '' ? {} : JSON.parse(text)
      } catch {
        return this.fail(reply, 'BAD_PARAMS', 'the body is not JSON')
      }
      if (typeof params !== 'object' || params === null || Array.isArray(params))
        return this.fail(reply, 'BAD_PARAMS', 'the body must be a JSON object of parameters')
      try {
        const result = await this.c.service.call(method as ControlMethod, params as Record<string, unknown>)
        return reply.code(200).send({ result })
      } catch (e) {
        if (e instanceof SessionError) return this.fail(reply, e.code, e.message)
        this.c.logger.warn('control API call failed', { method, error: String(e) })
        return this.fail(reply, 'INTERNAL', 'the daemon failed to serve this call (see its log)')
      }
    })
    app.all('*', async (_req, reply) => this.fail(reply, 'UNKNOWN_METHOD', `POST /${CONTROL_VERSION}/<Method>`))
    try {
      await app.listen({ host: '127.0.0.1', port: this.c.port })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE')
        throw new ParsError<ControlServerErrorType>(
          { code: 'CONTROL_PORT_IN_USE', port: this.c.port },
          `the session control port 127.0.0.1:${this.c.port} is in use (choose another with --session-port)`,
        )
      throw e
    }
    this.app = app
    await this.writeControlFile()
    this.c.logger.info('session control API listening (loopback, token in the datadir)', { url: this.url })
  }

  async stop(): Promise<void> {
    await rm(controlFilePath(this.c.datadir), { force: true })
    await this.app?.close()
    this.app = undefined
  }

  private authorized(header: string | undefined): boolean {
    const m = /^Bearer ([0-9a-f]{64})$/.exec(header ?? '')
    if (m === null) return false
    return timingSafeEqual(Buffer.from(m[1]!, 'hex'), this.token)
  }

  private fail(reply: FastifyReply, code: SessionErrorCode, message: string): FastifyReply {
    return reply.code(statusOf(code)).send({ error: { code, message } })
  }

  /** URL and token, readable by the datadir's owner only, replaced atomically. */
  private async writeControlFile(): Promise<void> {
    const path = controlFilePath(this.c.datadir)
    await mkdir(dirname(path), { recursive: true, mode: 0o700 })
    const tmp = `${path}.${process.pid}.tmp`
    await writeFile(tmp, JSON.stringify({ url: this.url, token: this.token.toString('hex') }) + '\n', { mode: 0o600 })
    await rename(tmp, path)
  }
}
