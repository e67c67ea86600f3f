import { sha3_256 } from '@noble/hashes/sha3.js'
import { parseAbi, toHex } from 'viem'
import { acceptCall, encodeResult, isOutcome, perWord } from '../abi.js'
import type { ParsPrecompile } from '../types.js'

/** ISHA3 at 0x0603: FIPS 202 SHA3-256 (not keccak256), so contracts can map an ML-DSA key to its Session ID. */
export const ISHA3_ABI = parseAbi(['function sha3_256(bytes data) view returns (bytes32)'])

export const sha3Precompile: ParsPrecompile = {
  address: '0x0000000000000000000000000000000000000603',
  name: 'ISHA3',
  // calibrated by bench:precompiles against ecrecover: the ABI decoding and call costs dominate
  // small inputs (SHA-256's 60 + 12 per word would be 8x cheaper per second than ecrecover)
  gas: (input) => 3_000n + perWord(input.length, 30n),
  run(input) {
    const call = acceptCall('ISHA3', ISHA3_ABI, input)
    if (isOutcome(call)) return call
    const data = call.args[0] as `0x${string}`
    return encodeResult(ISHA3_ABI, 'sha3_256', toHex(sha3_256(Buffer.from(data.slice(2), 'hex'))))
  },
}
