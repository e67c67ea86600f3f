import { SessionError } from './errors.js'

/**
 * Notices: public facts for one Session ID, kept in its swarm in the notice namespace (6) and shown by
 * the daemon in a conversation of their own, `notices` (docs/bridge.md). Two kinds:
 *
 *   relay   the outcome of a contract action a relay submitted for the ID (transaction hash, status,
 *           revert reason), stored by the relay node in every member of the ID's swarm;
 *   chain   a `SessionNotice(bytes32 indexed sessionId, string message)` event of a contract at a
 *           finalized block, which every member of the ID's swarm stores itself from its own chain.
 *
 * Nothing in a notice is secret: it restates what is on chain, so it travels as plain JSON. Only service
 * nodes write this namespace (clients cannot store into it), and only the owner reads it.
 */
export const NOTICE_NAMESPACE = 6
/** The conversation notices appear in (not a Session ID: no messages can be sent to it). */
export const NOTICES_SESSION = 'notices'
const VERSION = 1
/** the longest message text a chain notice carries (longer ones are cut) */
export const MAX_NOTICE_TEXT = 1024

export type RelayStatus = 'success' | 'reverted' | 'dropped'

export type Notice =
  | {
      kind: 'relay'
      chainId: string
      target: string
      nonce: string
      txHash: string
      status: RelayStatus
      /** why it reverted or was dropped */
      reason?: string
      /** the block that holds it (decimal) */
      block?: string
    }
  | { kind: 'chain'; chainId: string; contract: string; txHash: string; block: string; logIndex: number; message: string }

const enc = new TextEncoder()
const dec = new TextDecoder('utf-8', { fatal: true })
const isHex = (v: unknown, bytes: number): v is string => typeof v === 'string' && new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`).test(v)
const isDecimal = (v: unknown): v is string => typeof v === 'string' && /^[0-9]{1,78}$/.test(v)

export function encodeNotice(n: Notice): Uint8Array {
  const body = enc.encode(JSON.stringify(n))
  const out = new Uint8Array(1 + body.length)
  out[0] = VERSION
  out.set(body, 1)
  return out
}

/** Decode and check a notice; MALFORMED for anything else (anyone's bytes may sit in a store). */
export function decodeNotice(bytes: Uint8Array): Notice {
  if (bytes.length < 2 || bytes[0] !== VERSION) throw new SessionError('MALFORMED', 'not a notice (version)')
  let j: Record<string, unknown>
  try {
    j = JSON.parse(dec.decode(bytes.subarray(1))) as Record<string, unknown>
  } catch {
    throw new SessionError('MALFORMED', 'not a notice (JSON)')
  }
  if (typeof j !== 'object' || j === null) throw new SessionError('MALFORMED', 'not a notice')
  if (j['kind'] === 'relay') {
    const status = j['status']
    if (
      !isDecimal(j['chainId']) ||
      !isHex(j['target'], 20) ||
      !isDecimal(j['nonce']) ||
      !isHex(j['txHash'], 32) ||
      (status !== 'success' && status !== 'reverted' && status !== 'dropped') ||
      (j['reason'] !== undefined && typeof j['reason'] !== 'string') ||
      (j['block'] !== undefined && !isDecimal(j['block']))
    )
      throw new SessionError('MALFORMED', 'a relay notice with bad fields')
    return {
      kind: 'relay',
      chainId: j['chainId'],
      target: j['target'],
      nonce: j['nonce'],
      txHash: j['txHash'],
      status,
      ...(typeof j['reason'] === 'string' ? { reason: j['reason'].slice(0, MAX_NOTICE_TEXT) } : {}),
      ...(isDecimal(j['block']) ? { block: j['block'] } : {}),
    }
  }
  if (j['kind'] === 'chain') {
    if (
      !isDecimal(j['chainId']) ||
      !isHex(j['contract'], 20) ||
      !isHex(j['txHash'], 32) ||
      !isDecimal(j['block']) ||
      !Number.isSafeInteger(j['logIndex']) ||
      typeof j['message'] !== 'string'
    )
      throw new SessionError('MALFORMED', 'a chain notice with bad fields')
    return {
      kind: 'chain',
      chainId: j['chainId'],
      contract: j['contract'],
      txHash: j['txHash'],
      block: j['block'],
      logIndex: j['logIndex'] as number,
      message: j['message'].slice(0, MAX_NOTICE_TEXT),
    }
  }
  throw new SessionError('MALFORMED', 'a notice of unknown kind')
}

/** One notice's identity: the same fact delivered twice (by two swarm members) is shown once. */
export function noticeId(n: Notice): string {
  return n.kind === 'relay' ? `relay:${n.txHash.toLowerCase()}` : `chain:${n.txHash.toLowerCase()}:${n.logIndex}`
}

/** A notice as one line of a conversation. */
export function noticeText(n: Notice): string {
  if (n.kind === 'chain') return `${n.contract} (block ${n.block}): ${n.message}`
  const where = n.block !== undefined ? ` in block ${n.block}` : ''
  const why = n.reason !== undefined ? `: ${n.reason}` : ''
  return `relayed action ${n.nonce} to ${n.target}: ${n.txHash} ${n.status}${where}${why}`
}
