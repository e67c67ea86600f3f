import { hexToBytes, parseAbi } from 'viem'
import { acceptCall, encodeResult, isOutcome, perWord, revert } from '../abi.js'
import type { ParsPrecompile } from '../types.js'
import { eciesEncrypt } from './ecies.js'

/** IECIES at 0x0701: ECIES encryption to a secp256k1 key with caller-supplied randomness (ecies.ts). */
export const IECIES_ABI = parseAbi([
  'function encrypt(bytes publicKey, bytes plaintext, bytes32 randomness) view returns (bytes ciphertext)',
  'function decrypt(bytes privateKey, bytes ciphertext) view returns (bytes plaintext)',
])

/** Most plaintext one call encrypts. */
const MAX_PLAINTEXT = 64 * 1024

export const eciesPrecompile: ParsPrecompile = {
  address: '0x0000000000000000000000000000000000000701',
  name: 'IECIES',
  // two scalar multiplications with noble (about 2.6 ms here; bench:precompiles) + the cipher per word
  gas: (input) => 150_000n + perWord(input.length, 30n),
  run(input) {
    const call = acceptCall('IECIES', IECIES_ABI, input, { decrypt: 'decrypt off-chain' })
    if (isOutcome(call)) return call
    const [pkHex, ptHex, rndHex] = call.args as `0x${string}`[]
    const pk = hexToBytes(pkHex!)
    if (pk.length !== 33 && pk.length !== 65) return revert(`IECIES: public key must be 33 or 65 bytes, got ${pk.length}`)
    const pt = hexToBytes(ptHex!)
    if (pt.length > MAX_PLAINTEXT) return revert(`IECIES: plaintext longer than ${MAX_PLAINTEXT} bytes`)
    let ct: Uint8Array
    try {
      ct = eciesEncrypt(pk, pt, hexToBytes(rndHex!))
    } catch {
      return revert('IECIES: public key is not a point on secp256k1')
    }
    return encodeResult(IECIES_ABI, 'encrypt', `0x${Buffer.from(ct).toString('hex')}`)
  },
}
