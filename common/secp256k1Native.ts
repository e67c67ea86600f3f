import { createRequire } from 'node:module'

/** The libsecp256k1 calls Pars uses, as the `secp256k1` package's prebuilt binding exposes them. */
export interface NativeSecp256k1 {
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed: boolean): Uint8Array
  publicKeyCreate(secretKey: Uint8Array, compressed: boolean): Uint8Array
  publicKeyVerify(publicKey: Uint8Array): boolean
  publicKeyTweakMul(publicKey: Uint8Array, tweak: Uint8Array, compressed: boolean): Uint8Array
  publicKeyCombine(publicKeys: Uint8Array[], compressed: boolean): Uint8Array
}

function load(): NativeSecp256k1 | undefined {
  try {
    // bindings.js is the native module alone; the package's index would fall back to pure JS silently
    return createRequire(import.meta.url)('secp256k1/bindings.js') as NativeSecp256k1
  } catch {
    return undefined
  }
}

/**
 * libsecp256k1, or undefined where its binding cannot load. Callers keep noble as the reference:
 * they use this only for speed, and whenever a native call throws, noble's answer decides.
 */
export const nativeSecp256k1: NativeSecp256k1 | undefined = load()
