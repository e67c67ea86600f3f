import { SessionError, type SessionErrorCode } from '../errors.js'
import {
  CONTROL_VERSION,
  readControlFile,
  type ControlEndpoint,
  type ControlMethod,
  type ControlMethods,
  type ControlStatus,
  type IdentityInfo,
} from '../control/api.js'
import type { ConversationMessage, MessageEvent, PeerInfo, SessionSummary, TriggerRequest, TriggerResult } from '../daemon.js'
import { NOTICES_SESSION, type Notice } from '../notices.js'

export type RelayNotice = Extract<Notice, { kind: 'relay' }>

export interface ParsSessionOptions {
  /** the daemon's datadir: its control.json gives the URL and token (default ~/.pars) */
  datadir?: string
  /** or the URL and token directly */
  url?: string
  token?: string
  /** ms a call may take before it fails (default 60 s; WaitMessages adds its own wait) */
  timeoutMs?: number
}

export interface OnMessageOptions {
  /** also messages this identity sent (from this device or another one); default: only incoming */
  includeOwn?: boolean
  /** only this conversation */
  session?: string
  /** start after this sequence number (default: only messages arriving from now on) */
  after?: number
  /** called when the daemon cannot be reached (the listener keeps trying) */
  onError?: (e: SessionError) => void
}

/**
 * A TypeScript client of the session daemon (`parsd --session` or `sessiond`), over its private
 * control API:
 *
 *   const s = await ParsSession.connect({ datadir: '/home/me/.pars' })
 *   const me = await s.getOrCreateIdentity({ passphrase })
 *   const bob = await s.createSession('05…')        // by Session ID alone
 *   await s.sendMessage(bob, 'hello')
 *   const stop = s.onMessage((m) => console.log(m.session, m.message.text))
 *
 * Failures are SessionErrors; branch on `code` (UNKNOWN_SESSION, UNREACHABLE, BAD_PARAMS, ...).
 */
export class ParsSession {
  private readonly stops = new Set<() => void>()

  private constructor(
    private readonly endpoint: ControlEndpoint,
    private readonly timeoutMs: number,
  ) {}

  static async connect(options: ParsSessionOptions = {}): Promise<ParsSession> {
    const timeoutMs = options.timeoutMs ?? 60_000
    if (options.url !== undefined && options.token !== undefined)
      return new ParsSession({ url: options.url, token: options.token }, timeoutMs)
    const datadir = options.datadir ?? `${process.env['HOME'] ?? '.'}/.pars`
    return new ParsSession(await readControlFile(datadir), timeoutMs)
  }

  /** One control API call. */
  async call<M extends ControlMethod>(
    method: M,
    params: ControlMethods[M]['params'],
    options: { extraMs?: number; signal?: AbortSignal } = {},
  ): Promise<ControlMethods[M]['result']> {
    const timeout = AbortSignal.timeout(this.timeoutMs + (options.extraMs ?? 0))
    let res: Response
    try {
      res = await fetch(`${this.endpoint.url}/${CONTROL_VERSION}/${method}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.endpoint.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(params),
        signal: options.signal !== undefined ? AbortSignal.any([timeout, options.signal]) : timeout,
      })
    } catch (e) {
      throw new SessionError('UNREACHABLE', `the session daemon at ${this.endpoint.url} did not answer: is it running?`, { cause: e })
    }
    let body: { result?: unknown; error?: { code: SessionErrorCode; message: string } }
    try {
      body = (await res.json()) as typeof body
    } catch (e) {
      throw new SessionError('MALFORMED', `the session daemon answered ${res.status} without JSON`, { cause: e })
    }
    if (body.error !== undefined) throw new SessionError(body.error.code, body.error.message)
    return body.result as ControlMethods[M]['result']
  }

  /** The identity of the daemon, made (with `passphrase`) when it has none yet; `created` tells which. */
  async getOrCreateIdentity(options: { passphrase?: string } = {}): Promise<IdentityInfo & { created: boolean; phrase?: string }> {
    try {
      return { ...(await this.call('GetIdentity', {})), created: false }
    } catch (e) {
      if (!(e instanceof SessionError) || e.code !== 'NO_IDENTITY') throw e
    }
    return {
      ...(await this.call('CreateIdentity', options.passphrase !== undefined ? { passphrase: options.passphrase } : {})),
      created: true,
    }
  }

  /** A session with a Session ID (or pars://session/ link); returns the session's id (the peer's Session ID). */
  async createSession(recipient: string): Promise<string> {
    return (await this.call('CreateSession', { recipient })).session
  }

  async sendMessage(session: string, text: string): Promise<ConversationMessage> {
    return (await this.call('SendMessage', { session, text })).message
  }

  async getMessages(session: string, after?: number): Promise<ConversationMessage[]> {
    return (await this.call('GetMessages', { session, ...(after !== undefined ? { after } : {}) })).messages
  }

  async getSessions(): Promise<SessionSummary[]> {
    return (await this.call('GetSessions', {})).sessions
  }

  async closeSession(session: string): Promise<void> {
    await this.call('CloseSession', { session })
  }

  async markRead(session: string): Promise<number> {
    return (await this.call('MarkRead', { session })).marked
  }

  async getStatus(): Promise<ControlStatus> {
    return this.call('GetStatus', {})
  }

  async getPeers(): Promise<PeerInfo[]> {
    return (await this.call('GetPeers', {})).peers
  }

  /**
   * Have a relay submit a SessionTrigger action signed with the daemon's identity (docs/bridge.md).
   * Returns once the relay took it (its transaction hash); `outcome(txHash)` waits for the result.
   */
  async trigger(req: TriggerRequest): Promise<TriggerResult> {
    return this.call('Trigger', { ...req })
  }

  /**
   * The relay's notice of what became of a relayed action (status, block, revert reason), as it
   * arrives in the `notices` conversation; UNREACHABLE when none arrives within `timeoutMs`.
   */
  async outcome(txHash: string, timeoutMs = 120_000): Promise<RelayNotice> {
    const want = txHash.toLowerCase()
    const deadline = Date.now() + timeoutMs
    let after = 0
    for (;;) {
      const left = deadline - Date.now()
      if (left <= 0) throw new SessionError('UNREACHABLE', `no outcome for ${txHash} arrived within ${Math.round(timeoutMs / 1000)} s`)
      const wait = Math.min(25_000, left)
      const r = await this.call('WaitMessages', { after, timeoutMs: wait, session: NOTICES_SESSION }, { extraMs: wait })
      for (const e of r.events) {
        after = Math.max(after, e.message.seq)
        const n = e.message.notice
        if (n?.kind === 'relay' && n.txHash.toLowerCase() === want) return n
      }
    }
  }

  /**
   * Call `listener` for each new message, in order, until the returned function is called (or
   * close()). Long-polls WaitMessages; a daemon that is down is retried every second.
   */
  onMessage(listener: (e: MessageEvent) => void, options: OnMessageOptions = {}): () => void {
    let stopped = false
    const abort = new AbortController()
    const stop = (): void => {
      stopped = true
      abort.abort()
      this.stops.delete(stop)
    }
    this.stops.add(stop)
    void (async () => {
      let after = options.after
      while (!stopped) {
        try {
          if (after === undefined)
            after = (await this.call('WaitMessages', { after: Number.MAX_SAFE_INTEGER, timeoutMs: 0 }, { signal: abort.signal })).last
          const r = await this.call(
            'WaitMessages',
            { after, timeoutMs: 25_000, ...(options.session !== undefined ? { session: options.session } : {}) },
            { extraMs: 25_000, signal: abort.signal },
          )
          for (const e of r.events) {
            if (stopped) return
            after = Math.max(after, e.message.seq)
            if (options.includeOwn === true || e.message.direction === 'in') listener(e)
          }
          // a daemon whose store was replaced starts counting again: follow it
          if (r.events.length === 0 && r.last < after) after = r.last
        } catch (e) {
          if (stopped) return
          options.onError?.(e instanceof SessionError ? e : new SessionError('INTERNAL', String(e)))
          await new Promise((r) => setTimeout(r, 1000))
        }
      }
    })()
    return stop
  }

  /** Stop every onMessage listener. */
  close(): void {
    for (const s of [...this.stops]) s()
  }
}
