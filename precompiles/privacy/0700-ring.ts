import { hexToBytes, parseAbi, toHex } from 'viem'
import { acceptCall, encodeResult, isOutcome, perWord, revert } from '../abi.js'
import type { ParsPrecompile } from '../types.js'
import { MAX_RING, MIN_RING, ringVerify, splitRing } from './ring.js'

/**
 * IRingSignature at 0x0700: LSAG linkable ring signatures over secp256k1 (ring.ts). `ring` is the
 * members' 33-byte compressed keys concatenated; `keyImage` (33 bytes, empty when invalid) is the
 * same for every signature one key makes.
 */
export const IRING_ABI = parseAbi([
  'function verify(bytes ring, bytes message, bytes signature) view returns (bool valid, bytes keyImage)',
  'function sign(bytes ring, bytes message, bytes privateKey) view returns (bytes signature)',
  'function keyImage(bytes privateKey) view returns (bytes)',
])

/**
 * Per member: a hash to the curve and two double multiplications, about 0.2 ms with libsecp256k1
 * here, at ecrecover's gas per second (`npm run bench:precompiles`, docs/precompiles.md).
 */
export const RING_GAS_BASE = 5_000n
export const RING_GAS_PER_MEMBER = 12_000n
const GAS_PER_WORD = 12n
const MAX_MESSAGE = 64 * 1024

/**
 * The member count priced before decoding: `ring` is the first argument, so its length word sits
 * where the head's first offset points. A head that does not say is priced as one member (the call
 * will revert as malformed); a count beyond MAX_RING as well (it reverts before any curve work).
 */
function members(input: Uint8Array): bigint {
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength)
  const word = (at: number): number | undefined =>
    at + 32 <= input.length && input.subarray(at, at + 28).every((b) => b === 0) ? view.getUint32(at + 28) : undefined
  const offset = word(4)
  if (offset === undefined) return 1n
  const length = word(4 + offset)
  if (length === undefined || length > MAX_RING * 33) return 1n
  return BigInt(Math.max(1, Math.ceil(length / 33)))
}

export const ringPrecompile: ParsPrecompile = {
  address: '0x0000000000000000000000000000000000000700',
  name: 'IRingSignature',
  gas: (input) => RING_GAS_BASE + RING_GAS_PER_MEMBER * members(input) + perWord(input.length, GAS_PER_WORD),
  run(input) {
    const call = acceptCall('IRingSignature', IRING_ABI, input, {
      sign: 'sign off-chain (ringSign)',
      keyImage: 'compute it off-chain (ringKeyImage)',
    })
    if (isOutcome(call)) return call
    const [ringHex, msgHex, sigHex] = call.args as `0x${string}`[]
    const ring = splitRing(hexToBytes(ringHex!))
    if (ring === undefined) return revert('IRingSignature: ring must be 33-byte compressed keys concatenated')
    if (ring.length < MIN_RING || ring.length > MAX_RING) {
      return revert(`IRingSignature: ring must have ${MIN_RING} to ${MAX_RING} keys, got ${ring.length}`)
    }
    const message = hexToBytes(msgHex!)
    if (message.length > MAX_MESSAGE) return revert(`IRingSignature: message longer than ${MAX_MESSAGE} bytes`)
    let result: ReturnType<typeof ringVerify>
    try {
      result = ringVerify(message, ring, hexToBytes(sigHex!))
    } catch {
      return revert('IRingSignature: a ring key is not a compressed secp256k1 point')
    }
    return encodeResult(IRING_ABI, 'verify', [result.valid, result.keyImage === undefined ? '0x' : toHex(result.keyImage)])
  },
}
