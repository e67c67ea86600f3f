import { mnemonicToSeedSync } from '@scure/bip39'
import { HDKey } from 'viem/accounts'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import type { DevAccount } from '../rpc/index.js'

/** The mnemonic Hardhat and anvil fund in dev mode; the same 20 accounts here. */
export const DEV_MNEMONIC = 'test test test test test test test test test test test junk'
export const DEV_ACCOUNT_COUNT = 20
/** 10,000 PARS, 18 decimals */
export const DEV_BALANCE = 10_000n * 10n ** 18n

export function addressOfPrivateKey(privateKey: Uint8Array): Uint8Array {
  const pub = secp256k1.getPublicKey(privateKey, false)
  return keccak_256(pub.subarray(1)).subarray(12)
}

/** Accounts m/44'/60'/0'/0/i of a BIP-39 mnemonic. */
export function deriveAccounts(mnemonic: string, count: number): DevAccount[] {
  const root = HDKey.fromMasterSeed(mnemonicToSeedSync(mnemonic))
  const out: DevAccount[] = []
  for (let i = 0; i < count; i++) {
    const key = root.derive(`m/44'/60'/0'/0/${i}`)
    const privateKey = key.privateKey!
    out.push({ address: addressOfPrivateKey(privateKey), privateKey })
  }
  return out
}
