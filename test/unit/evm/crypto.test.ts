import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { ecrecover as nobleEcrecover } from '@ethereumjs/util'
import { describe, expect, it } from 'vitest'
import { ecrecover, nativeEcrecoverAvailable } from '../../../evm/crypto.js'

const VECTORS = process.env['PARS_VECTORS'] ?? resolve(__dirname, '../../../../shared/vectors')
const N = secp256k1.Point.CURVE().n

type Outcome = { ok: true; key: string } | { ok: false }

function outcome(f: () => Uint8Array): Outcome {
  try {
    return { ok: true, key: Buffer.from(f()).toString('hex') }
  } catch {
    return { ok: false }
  }
}

/** The node's recovery must give exactly noble's answer: same key, or an error where noble errs. */
function agree(msg: Uint8Array, v: bigint, r: Uint8Array, s: Uint8Array, chainId?: bigint): Outcome {
  const mine = outcome(() => ecrecover(msg, v, r, s, chainId))
  const ref = outcome(() => nobleEcrecover(msg, v, r, s, chainId))
  expect(mine).toEqual(ref)
  return ref
}

function be32(n: bigint): Uint8Array {
  return Uint8Array.from(Buffer.from(n.toString(16).padStart(64, '0'), 'hex'))
}

/** r and s of a DER signature, or undefined when it is not DER at all. */
function derToRS(der: Uint8Array): [Uint8Array, Uint8Array] | undefined {
  try {
    const sig = secp256k1.Signature.fromBytes(der, 'der')
    return [be32(sig.r), be32(sig.s)]
  } catch {
    return undefined
  }
}

describe('ecrecover (libsecp256k1 with noble as the reference)', () => {
  it('uses the native library on this machine', () => {
    // not a correctness requirement (noble is the fallback), but the throughput figures assume it
    expect(nativeEcrecoverAvailable).toBe(true)
  })

  it('recovers the signer of real signatures, legacy v, EIP-155 v and y-parity alike', () => {
    for (let i = 1; i <= 50; i++) {
      const priv = keccak_256(Uint8Array.of(i))
      const msg = keccak_256(Uint8Array.of(i, i))
      const sig = secp256k1.sign(msg, priv, { prehash: false, format: 'recovered' })
      const recid = BigInt(sig[0]!)
      const r = sig.subarray(1, 33)
      const s = sig.subarray(33, 65)
      const want = Buffer.from(secp256k1.getPublicKey(priv, false).subarray(1)).toString('hex')
      expect(agree(msg, recid, r, s)).toEqual({ ok: true, key: want })
      expect(agree(msg, recid + 27n, r, s)).toEqual({ ok: true, key: want })
      expect(agree(msg, recid + 35n + 2n * 6133n, r, s, 6133n)).toEqual({ ok: true, key: want })
      // high-s form of the same signature: both accept and recover with the other parity
      const highS = be32(N - BigInt('0x' + Buffer.from(s).toString('hex')))
      agree(msg, recid ^ 1n, r, highS)
    }
  })

  it('agrees on malformed signatures: zero, n, above n, bad v, short inputs', () => {
    const msg = keccak_256(Uint8Array.of(1))
    const edges = [0n, 1n, 2n, N - 1n, N, N + 1n, 2n ** 256n - 1n]
    for (const r of edges) for (const s of edges) for (const v of [0n, 1n, 2n, 27n, 28n, 29n]) agree(msg, v, be32(r), be32(s))
    agree(msg, 0n, new Uint8Array(0), new Uint8Array(0))
    agree(msg, 0n, Uint8Array.of(1), Uint8Array.of(1))
    agree(new Uint8Array(31), 0n, be32(5n), be32(7n))
  })

  it('agrees on every Wycheproof secp256k1 ECDSA signature, both recovery ids', () => {
    const file = join(VECTORS, 'wycheproof', 'ecdsa_secp256k1_sha256_test.json')
    if (!existsSync(file)) {
      console.warn(`skipped: ${file} not found (set PARS_VECTORS)`)
      return
    }
    const data = JSON.parse(readFileSync(file, 'utf8')) as { testGroups: { tests: { msg: string; sig: string }[] }[] }
    let checked = 0
    for (const g of data.testGroups) {
      for (const t of g.tests) {
        const rs = derToRS(Buffer.from(t.sig, 'hex'))
        if (rs === undefined) continue
        const msg = sha256(Buffer.from(t.msg, 'hex'))
        agree(msg, 0n, rs[0], rs[1])
        agree(msg, 1n, rs[0], rs[1])
        checked++
      }
    }
    expect(checked).toBeGreaterThan(100)
  })
})
