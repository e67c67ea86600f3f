import { ml_dsa87 } from '@noble/post-quantum/ml-dsa.js'
import { encodeAbiParameters, keccak256, toHex, type Hex } from 'viem'
import { utf8 } from '../common/index.js'
import type { Identity } from './crypto/identity.js'
import { osRandom, type RandomSource } from './crypto/primitives.js'
import { SessionError } from './errors.js'

/**
 * Names of the Session Name Service (the NameRegistry system contract, docs/bridge.md): `alice.pars`
 * names a Session ID. A name is 3 to 64 characters of [a-z0-9-]; `normalizeName` lower-cases and
 * trims it and drops a ".pars" suffix, and refuses anything else. Registering needs the Session key's
 * consent: an ML-DSA-87 signature (context "pars-name-v1") over
 * abi.encode(keccak256("pars-name-v1"), name, owner, chain id).
 */
export const NAME_CONTEXT = 'pars-name-v1'
export const NAME_DOMAIN: Hex = keccak256(toHex(NAME_CONTEXT))
export const NAME_SUFFIX = '.pars'

export function normalizeName(input: string): string {
  let n = input.trim().toLowerCase()
  if (n.endsWith(NAME_SUFFIX)) n = n.slice(0, -NAME_SUFFIX.length)
  if (!/^[a-z0-9-]{3,64}$/.test(n))
    throw new SessionError('MALFORMED', `"${input}" is not a name: 3 to 64 characters of a-z, 0-9 and -, optionally ending in .pars`)
  return n
}

/**
 * True for what should be resolved as a name rather than read as a Session ID: anything ending in
 * .pars, and anything that is neither a link nor hex starting with 05 (a mistyped ID stays an ID, and
 * is refused as one).
 */
export function looksLikeName(input: string): boolean {
  const s = input.trim().toLowerCase()
  return s.endsWith(NAME_SUFFIX) || (!/^05[0-9a-f]*$/.test(s) && !s.startsWith('pars://'))
}

export function nameStatement(name: string, owner: Hex, chainId: bigint): Hex {
  return encodeAbiParameters(
    [{ type: 'bytes32' }, { type: 'string' }, { type: 'address' }, { type: 'uint256' }],
    [NAME_DOMAIN, normalizeName(name), owner, chainId],
  )
}

/** The Session key's consent to `owner` registering `name` on `chainId`. */
export function signNameProof(identity: Identity, name: string, owner: Hex, chainId: bigint, random: RandomSource = osRandom): Hex {
  const statement = nameStatement(name, owner, chainId)
  const bytes = Uint8Array.from(Buffer.from(statement.slice(2), 'hex'))
  return toHex(ml_dsa87.sign(bytes, identity.mldsa.secretKey, { context: utf8.encode(NAME_CONTEXT), extraEntropy: random(32) }))
}
