import { SessionError } from '../errors.js'
import { Reader, Writer } from './bytes.js'

/**
 * The message inside the encryption (the PIP's header fields and body), versioned and padded:
 *
 *   version u8 (1) ‖ MessageID (16 random bytes) ‖ timestamp u64 (unix seconds, coarsened) ‖
 *   Sequence u64 ‖ ContentType u8 ‖ Flags u8 ‖ content length u32 ‖ content ‖
 *   [ML-DSA-87 signature (4,627 bytes) when Flags has SIGNED] ‖ padding
 *
 * The ratchet public key and Counter travel in the ratchet header (ratchet.ts), encrypted under the
 * header key; these fields travel under the message's own key, so they are as forward secret as the
 * content. Padding is ISO/IEC 7816-4 (0x80 then zeros) to the next multiple of PADDING_BLOCK (256)
 * bytes, as Session pads: the length on the wire says only which 256-byte bucket a message is in.
 */
export const MESSAGE_VERSION = 1

export enum ContentType {
  Text = 1,
  Attachment = 2,
  Receipt = 3,
  Control = 4,
  ContractAction = 5,
}

export const FLAG_SIGNED = 0x01
const KNOWN_FLAGS = FLAG_SIGNED

/** Timestamps are rounded down to this many seconds: Sequence orders messages, the clock only dates them. */
export const TIMESTAMP_GRANULARITY = 60
export const MESSAGE_ID_BYTES = 16
export const MLDSA87_SIGNATURE_BYTES = 4627
export const PADDING_BLOCK = 256
export const MAX_PADDED = 64 * 1024
const FIXED = 1 + MESSAGE_ID_BYTES + 8 + 8 + 1 + 1 + 4
/** The most content one message carries (the largest bucket, less the fields, a signature and the pad byte). */
export const MAX_CONTENT = MAX_PADDED - FIXED - MLDSA87_SIGNATURE_BYTES - 1

export interface PlainMessage {
  messageId: Uint8Array
  timestamp: number
  sequence: bigint
  contentType: ContentType
  flags: number
  content: Uint8Array
  signature?: Uint8Array
}

export function coarsen(unixSeconds: number): number {
  return Math.floor(unixSeconds / TIMESTAMP_GRANULARITY) * TIMESTAMP_GRANULARITY
}

export function pad(b: Uint8Array): Uint8Array {
  const size = Math.ceil((b.length + 1) / PADDING_BLOCK) * PADDING_BLOCK
  if (size > MAX_PADDED) throw new SessionError('MALFORMED', `message of ${b.length} bytes is over the ${MAX_PADDED}-byte limit`)
  const out = new Uint8Array(size)
  out.set(b, 0)
  out[b.length] = 0x80
  return out
}

export function unpad(b: Uint8Array): Uint8Array {
  if (b.length === 0 || b.length % PADDING_BLOCK !== 0 || b.length > MAX_PADDED) {
    throw new SessionError('MALFORMED', `padded message of ${b.length} bytes is not a multiple of ${PADDING_BLOCK} up to ${MAX_PADDED}`)
  }
  let i = b.length - 1
  while (i >= 0 && b[i] === 0) i--
  if (i < 0 || b[i] !== 0x80) throw new SessionError('MALFORMED', 'message padding is not 0x80 then zeros')
  return b.subarray(0, i)
}

export function encodeMessage(m: PlainMessage): Uint8Array {
  if (m.messageId.length !== MESSAGE_ID_BYTES) throw new SessionError('MALFORMED', 'MessageID must be 16 bytes')
  if (m.content.length > MAX_CONTENT)
    throw new SessionError('MALFORMED', `content of ${m.content.length} bytes is over the ${MAX_CONTENT}-byte limit`)
  if (!(m.contentType in ContentType)) throw new SessionError('MALFORMED', `unknown content type ${m.contentType}`)
  const signed = (m.flags & FLAG_SIGNED) !== 0
  if (signed !== (m.signature !== undefined)) throw new SessionError('MALFORMED', 'the SIGNED flag and the signature must come together')
  const w = new Writer()
    .u8(MESSAGE_VERSION)
    .bytes(m.messageId)
    .u64(BigInt(m.timestamp))
    .u64(m.sequence)
    .u8(m.contentType)
    .u8(m.flags)
    .varBytes(m.content)
  if (m.signature !== undefined) {
    if (m.signature.length !== MLDSA87_SIGNATURE_BYTES) throw new SessionError('MALFORMED', 'signature must be ML-DSA-87 (4,627 bytes)')
    w.bytes(m.signature)
  }
  return pad(w.finish())
}

/** Decode a padded message; anything malformed is a SessionError (MALFORMED or UNSUPPORTED_VERSION). */
export function decodeMessage(padded: Uint8Array): PlainMessage {
  const r = new Reader(unpad(padded), 'message')
  const version = r.u8()
  if (version !== MESSAGE_VERSION)
    throw new SessionError('UNSUPPORTED_VERSION', `message version ${version} (this build speaks ${MESSAGE_VERSION})`)
  const messageId = r.bytes(MESSAGE_ID_BYTES)
  const timestamp = Number(r.u64())
  const sequence = r.u64()
  const contentType = r.u8()
  if (!(contentType in ContentType)) throw new SessionError('MALFORMED', `unknown content type ${contentType}`)
  const flags = r.u8()
  if ((flags & ~KNOWN_FLAGS) !== 0) throw new SessionError('MALFORMED', `unknown flags 0x${flags.toString(16)}`)
  const content = r.varBytes(MAX_CONTENT)
  const signature = (flags & FLAG_SIGNED) !== 0 ? r.bytes(MLDSA87_SIGNATURE_BYTES) : undefined
  r.end()
  return { messageId, timestamp, sequence, contentType, flags, content, ...(signature !== undefined ? { signature } : {}) }
}
