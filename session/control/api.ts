import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ConversationMessage, DaemonStatus, MessageEvent, PeerInfo, SessionSummary, TriggerResult } from '../daemon.js'
import { SessionError, type SessionErrorCode } from '../errors.js'

/**
 * The session daemon's control API (the PIP's SessionDaemon interface), private to the machine:
 *
 *   POST http://127.0.0.1:PORT/v1/<Method>   body: a JSON object of parameters
 *   Authorization: Bearer <token>
 *
 * The daemon listens on 127.0.0.1 only, answers only requests whose Host is a loopback name (so a
 * web page cannot reach it through DNS rebinding), and only with the token it writes, with the URL,
 * to DATADIR/session/control.json (mode 0600, a new token at every start, removed at stop) — as
 * bitcoind's cookie file. Whoever can read the datadir can use the daemon; nobody else can.
 *
 * Answers are `200 {"result": ...}`, or an error status with `{"error": {"code", "message"}}` whose
 * code is a SessionErrorCode (BAD_PARAMS for parameters that do not validate, UNKNOWN_METHOD, INTERNAL).
 */
export const CONTROL_FILE = 'control.json'
export const CONTROL_VERSION = 'v1'
/** the longest a WaitMessages call may hold the connection */
export const MAX_WAIT_MS = 60_000

export interface IdentityInfo {
  sessionId: string
  /** pars://session/<id> */
  link: string
}

export interface ControlStatus extends Partial<DaemonStatus> {
  /** false until an identity exists and is unlocked (CreateIdentity) */
  identity: boolean
  version: string
}

/** Every method: its parameters and its result. */
export interface ControlMethods {
  CreateIdentity: {
    params: { passphrase?: string; phrase?: string }
    /** phrase: the 24 recovery words of a new identity (shown once: write them down) */
    result: IdentityInfo & { phrase?: string }
  }
  GetIdentity: { params: Record<string, never>; result: IdentityInfo }
  CreateSession: { params: { recipient: string }; result: { session: string } }
  GetSessions: { params: Record<string, never>; result: { sessions: SessionSummary[] } }
  CloseSession: { params: { session: string }; result: { closed: true } }
  SendMessage: { params: { session: string; text: string }; result: { message: ConversationMessage } }
  GetMessages: { params: { session: string; after?: number }; result: { messages: ConversationMessage[] } }
  /**
   * new messages of every conversation (or one) after `after`, waiting up to timeoutMs for the first;
   * `last` is the newest sequence number of the daemon
   */
  WaitMessages: { params: { after: number; timeoutMs?: number; session?: string }; result: { events: MessageEvent[]; last: number } }
  MarkRead: { params: { session: string }; result: { marked: number } }
  GetStatus: { params: Record<string, never>; result: ControlStatus }
  GetPeers: { params: Record<string, never>; result: { peers: PeerInfo[] } }
  /**
   * have a relay submit a SessionTrigger action signed with this identity (docs/bridge.md); the outcome
   * arrives as a notice in the `notices` conversation, whose `notice.txHash` is the result's txHash
   */
  Trigger: {
    params: { target: string; callData: string; expirySeconds?: number; relay?: string }
    result: TriggerResult
  }
}

export type ControlMethod = keyof ControlMethods

export const CONTROL_METHODS: readonly ControlMethod[] = [
  'CreateIdentity',
  'GetIdentity',
  'CreateSession',
  'GetSessions',
  'CloseSession',
  'SendMessage',
  'GetMessages',
  'WaitMessages',
  'MarkRead',
  'GetStatus',
  'GetPeers',
  'Trigger',
]

/** The HTTP status of an error code (the body carries the code itself). */
export function statusOf(code: SessionErrorCode): number {
  switch (code) {
    case 'UNAUTHORIZED':
      return 401
    case 'UNKNOWN_METHOD':
    case 'UNKNOWN_SESSION':
    case 'UNKNOWN_NAME':
      return 404
    case 'NO_IDENTITY':
    case 'IDENTITY_EXISTS':
      return 409
    case 'UNREACHABLE':
    case 'NO_RELAY':
      return 503
    case 'INTERNAL':
      return 500
    default:
      return 400
  }
}

export interface ControlEndpoint {
  url: string
  token: string
}

export function controlFilePath(datadir: string): string {
  return join(datadir, 'session', CONTROL_FILE)
}

/** The URL and token a running daemon wrote into its datadir. */
export async function readControlFile(datadir: string): Promise<ControlEndpoint> {
  const path = controlFilePath(datadir)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new SessionError(
        'UNREACHABLE',
        `no session daemon runs on ${datadir} (${path} is absent): start \`parsd --session\` or \`sessiond\` with this datadir`,
      )
    if ((e as NodeJS.ErrnoException).code === 'EACCES') throw new SessionError('UNAUTHORIZED', `${path} is not readable by this user`)
    throw e
  }
  try {
    const j = JSON.parse(text) as Partial<ControlEndpoint>
    if (typeof j.url !== 'string' || typeof j.token !== 'string') throw new Error('fields')
    return { url: j.url, token: j.token }
  } catch {
    throw new SessionError('MALFORMED', `${path} is not a control file (expected {"url", "token"})`)
  }
}
