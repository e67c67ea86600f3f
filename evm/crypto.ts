import type { CustomCrypto } from '@ethereumjs/common'
import { ecrecover as nobleEcrecover, setLengthLeft } from '@ethereumjs/util'
import { nativeSecp256k1 } from '../common/index.js'

const native = nativeSecp256k1

export const nativeEcrecoverAvailable = native !== undefined

/**
 * Public-key recovery for transaction senders and the ecrecover precompile. noble (pure JS) takes
 * 1.5 ms per recovery here, libsecp256k1 60 us; a block of transfers spends most of its time here.
 * noble stays the reference: whenever the native call fails, the answer (result or error) is noble's,
 * and a differential unit test checks the two agree on valid and invalid signatures.
 */
export function ecrecover(msgHash: Uint8Array, v: bigint, r: Uint8Array, s: Uint8Array, chainId?: bigint): Uint8Array {
  if (native !== undefined && msgHash.length === 32) {
    const recovery = v === 0n || v === 1n ? v : chainId === undefined ? v - 27n : v - (chainId * 2n + 35n)
    if (recovery === 0n || recovery === 1n) {
      const sig = new Uint8Array(64)
      sig.set(setLengthLeft(r, 32), 0)
      sig.set(setLengthLeft(s, 32), 32)
      try {
        return native.ecdsaRecover(sig, Number(recovery), msgHash, false).slice(1)
      } catch {
        // fall through to the reference implementation, which decides
      }
    }
  }
  return nobleEcrecover(msgHash, v, r, s, chainId)
}

/** The cryptography every Common of the node uses. */
export const nodeCrypto: CustomCrypto = { ecrecover }
