import { ml_dsa87 } from '@noble/post-quantum/ml-dsa.js'
import { encodeAbiParameters, keccak256, toHex, type Hex } from 'viem'
import { utf8 } from '../common/index.js'
import { parseSessionId, type Identity } from './crypto/identity.js'
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

export function encodeTriggerAction(a: TriggerAction): Hex {
  return encodeAbiParameters(
    [
      { type: 'bytes32' },
      { type: 'uint256' },
      { type: 'address' },
      { type: 'bytes32' },
      { type: 'uint256' },
      { type: 'uint64' },
      { type: 'bytes' },
    ],
    [TRIGGER_DOMAIN, a.chainId, a.target, sessionIdBody(a.sessionId), a.nonce, a.expiry, a.callData],
  )
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
