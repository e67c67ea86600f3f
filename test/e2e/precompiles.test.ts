// The Pars precompiles on a running `parsd --dev`: straight through eth_call, and from a deployed
// Solidity contract that calls IMLDSA(0x0600) and ISHA3(0x0603) as interfaces.
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js'
import { sha3_256 } from '@noble/hashes/sha3.js'
import { createPublicClient, createWalletClient, decodeFunctionResult, encodeFunctionData, http, toHex, type Address } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { IMLDSA_ABI, IMLKEM_ABI, mlkemRandomness } from '../../precompiles/index.js'
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO_ROOT, startNode, type RunningNode } from './helpers/node.js'
import { compileSolidity, devAccount, parsChain, rpc } from './helpers/rpc.js'

const SOURCE = `
// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
interface IMLDSA {
  function verify(bytes calldata pk, bytes calldata msg, bytes calldata sig) external view returns (bool);
}
interface ISHA3 {
  function sha3_256(bytes calldata data) external view returns (bytes32);
}
contract SessionCheck {
  IMLDSA constant MLDSA = IMLDSA(address(0x0600));
  ISHA3 constant SHA3 = ISHA3(address(0x0603));
  event Checked(bytes32 indexed sessionKeyHash, bool valid);
  /// The Session ID body of a key (SHA3-256 of the ML-DSA public key) and whether it signed msg.
  function check(bytes calldata pk, bytes calldata msg, bytes calldata sig) external view returns (bytes32 id, bool valid) {
    return (SHA3.sha3_256(pk), MLDSA.verify(pk, msg, sig));
  }
  function record(bytes calldata pk, bytes calldata msg, bytes calldata sig) external returns (bool valid) {
    valid = MLDSA.verify(pk, msg, sig);
    emit Checked(SHA3.sha3_256(pk), valid);
  }
}
`

describe('Pars precompiles on parsd --dev', () => {
  let node: RunningNode
  const keys = ml_dsa65.keygen(new Uint8Array(32).fill(9))
  const msg = new TextEncoder().encode('increment()')
  const sig = ml_dsa65.sign(msg, keys.secretKey)

  beforeAll(async () => {
    node = await startNode({ blockTime: 0 })
  })
  afterAll(async () => {
    await node?.dispose()
  })

  it('eth_call to 0x0600 verifies an ML-DSA-65 signature, and says false for a forged one', async () => {
    const call = async (s: Uint8Array): Promise<boolean> => {
      const data = encodeFunctionData({ abi: IMLDSA_ABI, functionName: 'verify', args: [toHex(keys.publicKey), toHex(msg), toHex(s)] })
      const out = await rpc<`0x${string}`>(node.url, 'eth_call', [{ to: '0x0000000000000000000000000000000000000600', data }, 'latest'])
      return decodeFunctionResult({ abi: IMLDSA_ABI, functionName: 'verify', data: out }) as boolean
    }
    expect(await call(sig)).toBe(true)
    const forged = Uint8Array.from(sig)
    forged[100] ^= 1
    expect(await call(forged)).toBe(false)
  })

  it('eth_call to 0x0601 encapsulates with randomness from the block and origin, as documented', async () => {
    const kem = ml_kem768.keygen(new Uint8Array(64).fill(3))
    const from = devAccount(3).address
    const data = encodeFunctionData({ abi: IMLKEM_ABI, functionName: 'encapsulate', args: [toHex(kem.publicKey)] })
    const head = await rpc<{ number: `0x${string}`; mixHash: `0x${string}` }>(node.url, 'eth_getBlockByNumber', ['latest', false])
    const out = await rpc<`0x${string}`>(node.url, 'eth_call', [
      { from, to: '0x0000000000000000000000000000000000000601', data },
      head.number,
    ])
    const [ct, ss] = decodeFunctionResult({ abi: IMLKEM_ABI, functionName: 'encapsulate', data: out }) as [`0x${string}`, `0x${string}`]
    // the key's holder gets the same secret
    expect(toHex(ml_kem768.decapsulate(Buffer.from(ct.slice(2), 'hex'), kem.secretKey))).toBe(ss)
    // and anyone can recompute it from public data: block number, prevRandao, origin, key
    const m = mlkemRandomness(kem.publicKey, {
      blockNumber: BigInt(head.number),
      prevRandao: Buffer.from(head.mixHash.slice(2), 'hex'),
      origin: Buffer.from(from.slice(2), 'hex'),
    })
    expect(toHex(ml_kem768.encapsulate(kem.publicKey, m).sharedSecret)).toBe(ss)
  })

  it('every Wycheproof ML-DSA verify vector through eth_call (one JSON-RPC batch per level)', async () => {
    const dir = join(process.env['PARS_VECTORS'] ?? join(REPO_ROOT, '..', 'shared', 'vectors'), 'wycheproof')
    for (const lv of ['44', '65', '87']) {
      const file = join(dir, `mldsa_${lv}_verify_test.json`)
      if (!existsSync(file)) {
        console.warn(`skipped: ${file} not found (set PARS_VECTORS)`)
        return
      }
      type T = { tcId: number; msg: string; sig: string; ctx?: string; result: string }
      const data = JSON.parse(readFileSync(file, 'utf8')) as { testGroups: { publicKey: string; tests: T[] }[] }
      const cases = data.testGroups.flatMap((g) => g.tests.map((t) => ({ pk: g.publicKey, t })))
      const body = cases.map(({ pk, t }, id) => ({
        jsonrpc: '2.0',
        id,
        method: 'eth_call',
        params: [
          {
            to: '0x0000000000000000000000000000000000000600',
            data:
              t.ctx === undefined
                ? encodeFunctionData({ abi: IMLDSA_ABI, functionName: 'verify', args: [`0x${pk}`, `0x${t.msg}`, `0x${t.sig}`] })
                : encodeFunctionData({
                    abi: IMLDSA_ABI,
                    functionName: 'verifyWithContext',
                    args: [`0x${pk}`, `0x${t.msg}`, `0x${t.sig}`, `0x${t.ctx}`],
                  }),
          },
          'latest',
        ],
      }))
      const res = await fetch(node.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      const answers = (await res.json()) as { id: number; result?: `0x${string}`; error?: { code: number } }[]
      expect(answers).toHaveLength(cases.length)
      for (const a of answers) {
        const { t } = cases[a.id]!
        // valid: true; invalid: false, or a revert (code 3) for malformed lengths
        const accepted = a.result !== undefined && BigInt(a.result) === 1n
        if (a.error !== undefined) expect(a.error.code, `ML-DSA-${lv} tcId ${t.tcId}`).toBe(3)
        expect(accepted, `ML-DSA-${lv} tcId ${t.tcId}`).toBe(t.result === 'valid')
      }
    }
  })

  it('refusals and malformed input revert with a reason (JSON-RPC code 3)', async () => {
    const data = encodeFunctionData({ abi: IMLDSA_ABI, functionName: 'sign', args: [toHex(keys.secretKey), toHex(msg)] })
    const res = await fetch(node.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'eth_call',
        params: [{ to: '0x0000000000000000000000000000000000000600', data }, 'latest'],
      }),
    })
    const body = (await res.json()) as { error?: { code: number; message: string } }
    expect(body.error?.code).toBe(3)
    expect(body.error?.message).toMatch(/secret key in public calldata/)
  })

  it('a deployed contract calls IMLDSA and ISHA3 through their interfaces, in calls and in transactions', async () => {
    const { SessionCheck } = compileSolidity(SOURCE)
    const chain = parsChain(node.url)
    const account = devAccount(2)
    const wallet = createWalletClient({ chain, transport: http(node.url), account })
    const client = createPublicClient({ chain, transport: http(node.url) })
    const hash = await wallet.deployContract({ abi: SessionCheck!.abi, bytecode: SessionCheck!.bytecode })
    const address = (await client.waitForTransactionReceipt({ hash })).contractAddress as Address
    const [id, valid] = (await client.readContract({
      address,
      abi: SessionCheck!.abi,
      functionName: 'check',
      args: [toHex(keys.publicKey), toHex(msg), toHex(sig)],
    })) as [string, boolean]
    expect(id).toBe(toHex(sha3_256(keys.publicKey)))
    expect(valid).toBe(true)
    // in a mined transaction: the gas estimate covers the precompile, the event carries the result
    const tx = await wallet.writeContract({
      address,
      abi: SessionCheck!.abi,
      functionName: 'record',
      args: [toHex(keys.publicKey), toHex(msg), toHex(sig)],
    })
    const receipt = await client.waitForTransactionReceipt({ hash: tx })
    expect(receipt.status).toBe('success')
    expect(receipt.logs[0]!.topics[1]).toBe(toHex(sha3_256(keys.publicKey)))
    expect(BigInt(receipt.logs[0]!.data)).toBe(1n)
  })
})
