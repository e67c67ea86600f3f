import { ml_dsa87 } from '@noble/post-quantum/ml-dsa.js'
import { decodeAbiParameters, decodeErrorResult, encodeAbiParameters, keccak256, parseAbi, toHex, type Hex } from 'viem'
import { utf8 } from '../common/index.js'
import { parseSessionId, sessionIdOf, type Identity } from './crypto/identity.js'
import { SessionError } from './errors.js'
import { osRandom, type RandomSource } from './crypto/primitives.js'

/**
 * Contract actions signed with a Session identity, for contracts that inherit SessionTrigger
 * (contracts/src/session/SessionTrigger.sol, docs/bridge.md). The action is
 * `abi.encode(bytes32 domain, uint256 chainId, address target, bytes32 sessionId, uint256 nonce,
 * uint64 expiry, bytes callData)`, domain = keccak256("pars-session-trigger-v1"), signed with the
 * identity's ML-DSA-87 key under the context "pars-session-trigger-v1".
 */
export const TRIGGER_CONTEXT = 'pars-session-trigger-v1'
export const TRIGGER_DOMAIN: Hex = keccak256(toHex(TRIGGER_CONTEXT))

/** SessionTrigger's entry points and refusals (contracts/src/session/SessionTrigger.sol). */
export const TRIGGER_ABI = parseAbi([
  'function executeFromSession(bytes sessionMessage, bytes mldsaSignature, bytes mldsaPublicKey) returns (bytes)',
  'function sessionNonces(bytes32) view returns (uint256)',
  'event SessionAction(bytes32 indexed sessionId, uint256 nonce, bytes4 selector)',
  'error WrongDomain(bytes32 domain)',
  'error WrongChain(uint256 expected, uint256 actual)',
  'error WrongTarget(address expected, address actual)',
  'error Expired(uint64 expiry, uint256 blockTime)',
  'error BadNonce(uint256 expected, uint256 actual)',
  'error NotMLDSA87Key(uint256 length)',
  'error KeyNotForSession(bytes32 sessionId, bytes32 keyHash)',
  'error BadSessionSignature()',
  'error NotAllowed(bytes32 sessionId, bytes4 selector)',
  'error OnlyFromSession()',
  'error Reentrant()',
  'error Error(string)',
  'error Panic(uint256)',
])

/** Revert data as one line: SessionTrigger's error by name and arguments, a reason string, or the raw data. */
export function describeRevert(data: Hex | undefined): string {
  if (data === undefined || data === '0x') return 'reverted without a reason'
  try {
    const e = decodeErrorResult({ abi: TRIGGER_ABI, data })
    if (e.errorName === 'Error') return String(e.args?.[0])
    const args = (e.args ?? []).map((a) => (typeof a === 'string' ? JSON.stringify(a) : String(a)))
    return `${e.errorName}(${args.join(', ')})`
  } catch {
    return `reverted with ${data.length > 74 ? `${data.slice(0, 74)}...` : data}`
  }
}

export interface TriggerAction {
  chainId: bigint
  /** the SessionTrigger contract */
  target: Hex
  /** the acting Session ID (05 + 64 hex) */
  sessionId: string
  /** the contract's sessionNonces(id) */
  nonce: bigint
  /** unix seconds after which the contract refuses it */
  expiry: bigint
  callData: Hex
}

export interface SignedTrigger {
  sessionMessage: Hex
  mldsaSignature: Hex
  mldsaPublicKey: Hex
}

/** The 32-byte body of a Session ID, as the contract holds it (bytes32). */
export function sessionIdBody(sessionId: string): Hex {
  return `0x${parseSessionId(sessionId).slice(2)}`
}

const ACTION_TYPES = [
  { type: 'bytes32' },
  { type: 'uint256' },
  { type: 'address' },
  { type: 'bytes32' },
  { type: 'uint256' },
  { type: 'uint64' },
  { type: 'bytes' },
] as const

export function encodeTriggerAction(a: TriggerAction): Hex {
  return encodeAbiParameters(ACTION_TYPES, [TRIGGER_DOMAIN, a.chainId, a.target, sessionIdBody(a.sessionId), a.nonce, a.expiry, a.callData])
}

/** An action's fields (MALFORMED when the bytes are not one, or carry another domain). */
export function decodeTriggerAction(message: Hex): TriggerAction {
  let v
  try {
    v = decodeAbiParameters(ACTION_TYPES, message)
  } catch {
    throw new SessionError('MALFORMED', 'the action is not an ABI-encoded SessionTrigger action')
  }
  const [domain, chainId, target, id, nonce, expiry, callData] = v
  if (domain !== TRIGGER_DOMAIN) throw new SessionError('MALFORMED', `the action's domain ${domain} is not ${TRIGGER_CONTEXT}'s`)
  return { chainId, target, sessionId: `05${id.slice(2)}`, nonce, expiry, callData }
}

/**
 * Check a signed action as the contract will, off chain: it decodes, the key is an ML-DSA-87 key whose
 * SHA3-256 is the claimed Session ID, and the signature verifies. Returns the action; throws
 * BAD_SIGNATURE or MALFORMED naming what failed.
 */
export function verifyTriggerAction(t: SignedTrigger): TriggerAction {
  const action = decodeTriggerAction(t.sessionMessage)
  const key = Uint8Array.from(Buffer.from(t.mldsaPublicKey.slice(2), 'hex'))
  if (key.length !== ml_dsa87.lengths.publicKey)
    throw new SessionError('BAD_SIGNATURE', `the key is ${key.length} bytes, not an ML-DSA-87 key`)
  if (sessionIdOf(key) !== action.sessionId) throw new SessionError('BAD_SIGNATURE', `the key is not the key of ${action.sessionId}`)
  let ok = false
  try {
    ok = ml_dsa87.verify(
      Uint8Array.from(Buffer.from(t.mldsaSignature.slice(2), 'hex')),
      Uint8Array.from(Buffer.from(t.sessionMessage.slice(2), 'hex')),
      key,
      { context: utf8.encode(TRIGGER_CONTEXT) },
    )
  } catch {
    ok = false
  }
  if (!ok) throw new SessionError('BAD_SIGNATURE', 'the action signature does not verify')
  return action
}

/** Encode and sign an action with an identity: the three arguments of executeFromSession. */
export function signTriggerAction(
  identity: Identity,
  action: Omit<TriggerAction, 'sessionId'>,
  random: RandomSource = osRandom,
): SignedTrigger {
  const message = encodeTriggerAction({ ...action, sessionId: identity.sessionId })
  const bytes = Uint8Array.from(Buffer.from(message.slice(2), 'hex'))
  const signature = ml_dsa87.sign(bytes, identity.mldsa.secretKey, { context: utf8.encode(TRIGGER_CONTEXT), extraEntropy: random(32) })
  return { sessionMessage: message, mldsaSignature: toHex(signature), mldsaPublicKey: toHex(identity.mldsa.publicKey) }
}
