import { openLevelDb, type KVStore, type Logger, type Startable } from '../../common/index.js'
import { parseSessionId, sessionLink } from '../crypto/identity.js'
import {
  createKeystore,
  keystoreExists,
  messageStorePath,
  rotatePrekeys,
  unlockKeystore,
  type UnlockedIdentity,
} from '../crypto/keystore.js'
import { SessionDaemon, type DaemonComponents } from '../daemon.js'
import { SessionError } from '../errors.js'
import { MAX_CONTENT } from '../protocol/message.js'
import { looksLikeName, normalizeName } from '../names.js'
import { NOTICES_SESSION } from '../notices.js'
import { MAX_WAIT_MS, type ControlMethod, type ControlMethods } from './api.js'

export interface SessionServiceComponents extends Omit<DaemonComponents, 'kv' | 'identity'> {
  datadir: string
  /** the keystore passphrase (from --session-passphrase-file); without it only CreateIdentity with one opens */
  passphrase?: string
  version: string
  logger: Logger
  /** a name (normalized, without .pars) -> its Session ID at the finalized block, or undefined when free */
  resolveName?: (name: string) => Promise<string | undefined>
  /** open the daemon's own store (default: LevelDB at DATADIR/session/store) */
  openStore?: (path: string) => Promise<KVStore>
}

type Params = Record<string, unknown>

/** How often the daemon checks whether its signed prekey is due for rotation. */
const ROTATION_CHECK_MS = 12 * 3600 * 1000

function str(p: Params, name: string, opts: { optional?: boolean; max?: number } = {}): string | undefined {
  const v = p[name]
  if (v === undefined && opts.optional === true) return undefined
  if (typeof v !== 'string') throw new SessionError('BAD_PARAMS', `${name}: expected a string`)
  if (opts.max !== undefined && v.length > opts.max) throw new SessionError('BAD_PARAMS', `${name}: longer than ${opts.max} characters`)
  return v
}

function int(p: Params, name: string, opts: { optional?: boolean; max?: number } = {}): number | undefined {
  const v = p[name]
  if (v === undefined && opts.optional === true) return undefined
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw new SessionError('BAD_PARAMS', `${name}: expected a whole number >= 0`)
  if (opts.max !== undefined && v > opts.max) throw new SessionError('BAD_PARAMS', `${name}: at most ${opts.max}`)
  return v
}

/**
 * What the control API serves: the identity of a datadir and, once it is unlocked, its daemon. A
 * datadir without an identity starts without a daemon; CreateIdentity makes (or restores) one and
 * starts it. Every call's parameters are checked here, and failures are SessionErrors by code.
 */
export class SessionService implements Startable {
  private daemon: SessionDaemon | undefined
  private kv: KVStore | undefined
  private waiting = new Set<() => void>()
  private passphrase: string | undefined
  private rotation: NodeJS.Timeout | undefined

  constructor(private readonly c: SessionServiceComponents) {
    this.passphrase = c.passphrase
  }

  /** Replace the signed prekey when it nears its expiry (checked at start and twice a day). */
  private async rotate(): Promise<void> {
    if (this.passphrase === undefined || this.daemon === undefined) return
    try {
      const u = await rotatePrekeys(this.c.datadir, this.passphrase)
      if (u !== undefined) {
        this.daemon.usePrekeys(u.prekeys)
        this.c.logger.info('signed prekey rotated; the new bundle goes out with the next poll', { prekeys: u.prekeys.length })
      }
    } catch (e) {
      this.c.logger.warn('prekey rotation failed; retrying later', { error: String(e) })
    }
  }

  /** Unlock the datadir's identity and start its daemon (nothing to do when there is none yet). */
  async start(): Promise<void> {
    if (!keystoreExists(this.c.datadir)) {
      this.c.logger.info('no session identity yet: the control API waits for CreateIdentity')
      return
    }
    if (this.c.passphrase === undefined)
      throw new SessionError('BAD_PASSPHRASE', 'the session identity is locked: give its passphrase with --session-passphrase-file')
    await this.open(await unlockKeystore(this.c.datadir, this.c.passphrase))
  }

  async stop(): Promise<void> {
    clearInterval(this.rotation)
    for (const w of this.waiting) w()
    await this.daemon?.stop()
    this.daemon = undefined
    await this.kv?.close()
    this.kv = undefined
  }

  private async open(identity: UnlockedIdentity): Promise<void> {
    const kv = await (this.c.openStore ?? openLevelDb)(messageStorePath(this.c.datadir))
    const { datadir: _d, passphrase: _p, version: _v, openStore: _o, resolveName: _r, ...rest } = this.c
    const daemon = new SessionDaemon({ ...rest, kv, identity, logger: this.c.logger })
    this.kv = kv
    this.daemon = daemon
    daemon.onMessage(() => {
      for (const w of this.waiting) w()
    })
    await daemon.start()
    await this.rotate()
    this.rotation = setInterval(() => void this.rotate(), ROTATION_CHECK_MS)
    this.rotation.unref()
    this.c.logger.info('session daemon running', { sessionId: identity.identity.sessionId })
  }

  private need(): SessionDaemon {
    if (this.daemon === undefined) throw new SessionError('NO_IDENTITY', 'no session identity yet: call CreateIdentity first')
    return this.daemon
  }

  /** A Session ID parameter: an ID, a pars://session/ link, or a name (alice.pars) resolved at the finalized block. */
  private async sessionParam(p: Params, name: string): Promise<string> {
    const value = str(p, name)!
    // the notices conversation (a registered name "notices" is still reached as notices.pars)
    if (name === 'session' && value === NOTICES_SESSION) return NOTICES_SESSION
    if (looksLikeName(value)) {
      let n: string
      try {
        n = normalizeName(value)
      } catch (e) {
        throw new SessionError('BAD_PARAMS', `${name}: ${(e as Error).message}`)
      }
      if (this.c.resolveName === undefined)
        throw new SessionError('UNKNOWN_NAME', `${name}: this daemon has no chain to resolve ${n}.pars (sessiond: give --rpc URL)`)
      const id = await this.c.resolveName(n)
      if (id === undefined) throw new SessionError('UNKNOWN_NAME', `${n}.pars is not registered (or has expired)`)
      return id
    }
    try {
      return parseSessionId(value)
    } catch (e) {
      if (e instanceof SessionError && e.code === 'MALFORMED') throw new SessionError('BAD_PARAMS', `${name}: ${e.message}`)
      throw e
    }
  }

  /** Run one control API method with unchecked parameters. */
  async call<M extends ControlMethod>(method: M, params: Params): Promise<ControlMethods[M]['result']> {
    return (await this.dispatch(method, params)) as ControlMethods[M]['result']
  }

  private async dispatch(method: ControlMethod, p: Params): Promise<unknown> {
    switch (method) {
      case 'CreateIdentity': {
        if (this.daemon !== undefined || keystoreExists(this.c.datadir))
          throw new SessionError('IDENTITY_EXISTS', 'this datadir already has a session identity (GetIdentity shows it)')
        const passphrase = str(p, 'passphrase', { optional: true, max: 1024 }) ?? this.c.passphrase
        if (passphrase === undefined)
          throw new SessionError('BAD_PASSPHRASE', 'a passphrase is needed to protect the new identity (param passphrase)')
        const phrase = str(p, 'phrase', { optional: true, max: 1024 })
        const u = await createKeystore(this.c.datadir, passphrase, phrase !== undefined ? { phrase } : {})
        this.passphrase = passphrase
        await this.open(u)
        const id = u.identity.sessionId
        return { sessionId: id, link: sessionLink(id), ...(phrase === undefined ? { phrase: u.phrase } : {}) }
      }
      case 'GetIdentity':
        return this.need().getIdentity()
      case 'CreateSession':
        return { session: await this.need().createSession(await this.sessionParam(p, 'recipient')) }
      case 'GetSessions':
        return { sessions: this.need().getSessions() }
      case 'CloseSession':
        await this.need().closeSession(await this.sessionParam(p, 'session'))
        return { closed: true }
      case 'SendMessage': {
        const session = await this.sessionParam(p, 'session')
        const text = str(p, 'text', { max: MAX_CONTENT })!
        if (text.length === 0) throw new SessionError('BAD_PARAMS', 'text: an empty message')
        if (new TextEncoder().encode(text).length > MAX_CONTENT)
          throw new SessionError('BAD_PARAMS', `text: more than ${MAX_CONTENT} bytes (UTF-8)`)
        return { message: await this.need().sendMessage(session, text) }
      }
      case 'GetMessages': {
        const after = int(p, 'after', { optional: true }) ?? 0
        return {
          messages: this.need()
            .getMessages(await this.sessionParam(p, 'session'))
            .filter((m) => m.seq > after),
        }
      }
      case 'WaitMessages':
        return this.wait(p)
      case 'MarkRead':
        return { marked: await this.need().markRead(await this.sessionParam(p, 'session')) }
      case 'GetStatus':
        return { identity: this.daemon !== undefined, version: this.c.version, ...(this.daemon?.getStatus() ?? {}) }
      case 'GetPeers':
        return { peers: this.need().getPeers() }
      case 'Trigger': {
        const target = str(p, 'target')!
        if (!/^0x[0-9a-fA-F]{40}$/.test(target)) throw new SessionError('BAD_PARAMS', 'target: expected a contract address (0x + 40 hex)')
        const callData = str(p, 'callData', { max: 2 + 2 * 16_384 })!
        if (!/^0x([0-9a-fA-F]{2}){4,}$/.test(callData))
          throw new SessionError('BAD_PARAMS', 'callData: expected hex call data with a 4-byte selector (0x...)')
        const expirySeconds = int(p, 'expirySeconds', { optional: true, max: 7 * 86_400 })
        if (expirySeconds === 0) throw new SessionError('BAD_PARAMS', 'expirySeconds: at least 1')
        const relay = str(p, 'relay', { optional: true, max: 128 })
        return this.need().trigger({
          target,
          callData,
          ...(expirySeconds !== undefined ? { expirySeconds } : {}),
          ...(relay !== undefined ? { relay } : {}),
        })
      }
    }
  }

  /** Messages after `after`, waiting (up to timeoutMs) for one to arrive when there is none yet. */
  private async wait(p: Params): Promise<ControlMethods['WaitMessages']['result']> {
    const after = int(p, 'after')!
    const timeoutMs = int(p, 'timeoutMs', { optional: true, max: MAX_WAIT_MS }) ?? 30_000
    const session = p['session'] === undefined ? undefined : await this.sessionParam(p, 'session')
    const d = this.need()
    const pending = (): ControlMethods['WaitMessages']['result'] => {
      const events = d.messagesSince(after, 500, session)
      return { events, last: d.lastSeq() }
    }
    const now = pending()
    if (now.events.length > 0 || timeoutMs === 0) return now
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        this.waiting.delete(check)
        resolve()
      }
      const check = (): void => {
        if (this.daemon !== d || pending().events.length > 0) done()
      }
      const timer = setTimeout(done, timeoutMs)
      this.waiting.add(check)
    })
    return pending()
  }
}
