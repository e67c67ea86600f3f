import { hexToBytes, parseAbi, toHex } from 'viem'
import { acceptCall, encodeResult, isOutcome, perWord, revert } from '../abi.js'
import type { ParsPrecompile } from '../types.js'
import { hpkeSeal, hpkeSuites } from './hpke.js'

/** IHPKE at 0x0702: RFC 9180 base-mode seal with caller-supplied randomness (hpke.ts). */
export const IHPKE_ABI = parseAbi([
  'function seal(uint8 suite, bytes recipientPublicKey, bytes info, bytes aad, bytes plaintext, bytes randomness) view returns (bytes enc, bytes ciphertext)',
  'function open(uint8 suite, bytes recipientPrivateKey, bytes enc, bytes ciphertext, bytes info, bytes aad) view returns (bytes plaintext)',
])

/** Calibrated by `npm run bench:precompiles` against ecrecover; per suite, read before decoding. */
const SUITE_GAS = [120_000n, 180_000n]
const MAX_PLAINTEXT = 64 * 1024

function gas(input: Uint8Array): bigint {
  let base = SUITE_GAS[0]!
  if (input.length >= 36 && input.subarray(4, 35).every((b) => b === 0)) base = SUITE_GAS[input[35]!] ?? base
  return base + perWord(input.length, 30n)
}

export function hpkePrecompile(): ParsPrecompile {
  const suites = hpkeSuites()
  return {
    address: '0x0000000000000000000000000000000000000702',
    name: 'IHPKE',
    gas,
    async run(input) {
      const call = acceptCall('IHPKE', IHPKE_ABI, input, { open: 'open off-chain' })
      if (isOutcome(call)) return call
      const [suiteId, pkHex, infoHex, aadHex, ptHex, rndHex] = call.args as [number, ...`0x${string}`[]]
      const s = suites[suiteId]
      if (s === undefined) return revert(`IHPKE: unknown suite ${suiteId} (0 X25519, 1 X-Wing)`)
      const pk = hexToBytes(pkHex!)
      if (pk.length !== s.publicKey) return revert(`IHPKE: ${s.name} public key must be ${s.publicKey} bytes, got ${pk.length}`)
      const rnd = hexToBytes(rndHex!)
      if (rnd.length !== s.randomness) return revert(`IHPKE: ${s.name} randomness must be ${s.randomness} bytes, got ${rnd.length}`)
      const pt = hexToBytes(ptHex!)
      if (pt.length > MAX_PLAINTEXT) return revert(`IHPKE: plaintext longer than ${MAX_PLAINTEXT} bytes`)
      let sealed: { enc: Uint8Array; ciphertext: Uint8Array }
      try {
        sealed = await hpkeSeal(s, pk, hexToBytes(infoHex!), hexToBytes(aadHex!), pt, rnd)
      } catch {
        return revert(`IHPKE: not a valid ${s.name} public key`)
      }
      return encodeResult(IHPKE_ABI, 'seal', [toHex(sealed.enc), toHex(sealed.ciphertext)])
    },
  }
}
