import { ed25519 } from '@noble/curves/ed25519.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js'
import { concat, fromHex, toHex, u64be, utf8, Writer } from '../common/index.js'
import { ConsensusError } from './snowball/params.js'

/**
 * A validator's block-signing key: hybrid ML-DSA-65 + Ed25519 (both must verify), each from a 32-byte
 * seed kept in the validator key file. The node's libp2p identity is a separate Ed25519 key.
 */
export interface ValidatorKey {
  mldsa: { publicKey: Uint8Array; secretKey: Uint8Array }
  ed25519: { publicKey: Uint8Array; secretKey: Uint8Array }
}

export interface ValidatorPublicKey {
  mldsa: Uint8Array
  ed25519: Uint8Array
}

const CONTEXT = utf8.encode('pars-block-v1')
export const BLOCK_SIGNATURE_BYTES = ml_dsa65.lengths.signature! + 64

export function validatorKeyFromSeeds(mldsaSeed: Uint8Array, ed25519Seed: Uint8Array): ValidatorKey {
  return { mldsa: ml_dsa65.keygen(mldsaSeed), ed25519: { secretKey: ed25519Seed, publicKey: ed25519.getPublicKey(ed25519Seed) } }
}

export function generateValidatorKey(): { key: ValidatorKey; file: string } {
  const mldsaSeed = randomBytes(32)
  const edSeed = randomBytes(32)
  const key = validatorKeyFromSeeds(mldsaSeed, edSeed)
  const file =
    JSON.stringify({ version: 1, type: 'pars-validator-key', mldsa65Seed: toHex(mldsaSeed), ed25519Seed: toHex(edSeed) }, null, 2) + '\n'
  return { key, file }
}

/** Read a validator key file (JSON with the two seeds). */
export function parseValidatorKeyFile(text: string, path: string): ValidatorKey {
  let j: { version?: unknown; mldsa65Seed?: unknown; ed25519Seed?: unknown }
  try {
    j = JSON.parse(text) as typeof j
  } catch {
    throw new ConsensusError('BAD_VALIDATOR_SET', `validator key ${path} is not JSON`)
  }
  const seed = (v: unknown, name: string): Uint8Array => {
    if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(v))
      throw new ConsensusError('BAD_VALIDATOR_SET', `validator key ${path}: ${name} must be 32 bytes of hex`)
    return fromHex(v)
  }
  if (j.version !== 1) throw new ConsensusError('BAD_VALIDATOR_SET', `validator key ${path}: unknown version ${String(j.version)}`)
  return validatorKeyFromSeeds(seed(j.mldsa65Seed, 'mldsa65Seed'), seed(j.ed25519Seed, 'ed25519Seed'))
}

function signedBytes(chainId: bigint, blockHash: Uint8Array, height: number, timestampMs: number): Uint8Array {
  return new Writer().u64(chainId).bytes(blockHash).bytes(u64be(height)).bytes(u64be(timestampMs)).finish()
}

/** The proposer's signature over (chain id, block hash, height, consensus timestamp). */
export function signBlock(key: ValidatorKey, chainId: bigint, blockHash: Uint8Array, height: number, timestampMs: number): Uint8Array {
  const m = signedBytes(chainId, blockHash, height, timestampMs)
  return concat(ml_dsa65.sign(m, key.mldsa.secretKey, { context: CONTEXT }), ed25519.sign(concat(CONTEXT, m), key.ed25519.secretKey))
}

export function verifyBlockSignature(
  pub: ValidatorPublicKey,
  chainId: bigint,
  blockHash: Uint8Array,
  height: number,
  timestampMs: number,
  signature: Uint8Array,
): boolean {
  if (signature.length !== BLOCK_SIGNATURE_BYTES) return false
  const m = signedBytes(chainId, blockHash, height, timestampMs)
  const pq = ml_dsa65.lengths.signature!
  try {
    return (
      ml_dsa65.verify(signature.subarray(0, pq), m, pub.mldsa, { context: CONTEXT }) &&
      ed25519.verify(signature.subarray(pq), concat(CONTEXT, m), pub.ed25519, { zip215: false })
    )
  } catch {
    return false
  }
}
