import { ParsError } from '../common/index.js'

/**
 * Every failure of the session library, by code. Callers branch on `code`, never on the message:
 * - MALFORMED: bytes that do not decode (a typed error from every decoder, never a crash)
 * - UNSUPPORTED_VERSION: a version byte this build does not speak
 * - BAD_PHRASE: not a valid 24-word BIP39 recovery phrase
 * - BAD_BUNDLE: a key bundle whose signatures fail, or that does not hash to the claimed Session ID
 * - BUNDLE_EXPIRED: a bundle whose signed prekey has expired
 * - BAD_SIGNATURE: a handshake or signed message whose signature does not verify
 * - DECRYPT_FAILED: a message no key of this session opens (tampered, or not for us)
 * - DUPLICATE: a message already received (replay), or a handshake already accepted
 * - TOO_MANY_SKIPPED: a message further ahead than the bounded store of skipped keys allows
 * - UNKNOWN_PREKEY: a handshake to a prekey we no longer hold
 * - WRONG_PASSPHRASE: the keystore did not open with this passphrase (nothing was changed)
 * - BAD_PASSPHRASE: a passphrase that cannot protect a keystore (empty, or a duress passphrase equal to it)
 * - NO_IDENTITY / IDENTITY_EXISTS: keystore file absent, or present where a new one would overwrite it
 * - UNKNOWN_NAME: a name (alice.pars) that is not registered, or that this daemon cannot resolve
 * - UNKNOWN_SESSION: a daemon call naming a Session ID it has no conversation with
 * - UNKNOWN_CIRCUIT: an onion circuit layer a hop no longer keeps (expired or never built)
 * - NO_RELAY: a service node that does not relay contract actions (parsd without --relay)
 * - RELAY_REFUSED: an action a relay will not submit (its checks, its policy, or its rate limit; the message says which)
 * - UNREACHABLE: no onion path to the service nodes worked (the network is down, or too few nodes answer)
 * - UNAUTHORIZED: a control API call without the right token
 * - BAD_PARAMS / UNKNOWN_METHOD / INTERNAL: a control API call with parameters that do not validate, a
 *   method it does not have, or a failure of the daemon itself (logged there)
 */
export type SessionErrorCode =
  | 'MALFORMED'
  | 'UNSUPPORTED_VERSION'
  | 'BAD_PHRASE'
  | 'BAD_BUNDLE'
  | 'BUNDLE_EXPIRED'
  | 'BAD_SIGNATURE'
  | 'DECRYPT_FAILED'
  | 'DUPLICATE'
  | 'TOO_MANY_SKIPPED'
  | 'UNKNOWN_PREKEY'
  | 'WRONG_PASSPHRASE'
  | 'BAD_PASSPHRASE'
  | 'NO_IDENTITY'
  | 'IDENTITY_EXISTS'
  | 'UNKNOWN_SESSION'
  | 'UNKNOWN_NAME'
  | 'UNREACHABLE'
  | 'NO_RELAY'
  | 'RELAY_REFUSED'
  | 'UNKNOWN_CIRCUIT'
  | 'UNAUTHORIZED'
  | 'BAD_PARAMS'
  | 'UNKNOWN_METHOD'
  | 'INTERNAL'

export class SessionError extends ParsError<{ code: SessionErrorCode }> {
  constructor(code: SessionErrorCode, message: string, options?: { cause?: unknown }) {
    super({ code }, message, options)
    this.name = 'SessionError'
  }
}
