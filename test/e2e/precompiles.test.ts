// The Pars precompiles on a running `parsd --dev`: straight through eth_call (with the public test
// vectors), and from a deployed Solidity contract that calls IMLDSA(0x0600) and ISHA3(0x0603) as
// interfaces. test/e2e/hardhat.test.ts covers every precompile from a Hardhat-deployed contract.
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js'
import { sha3_256 } from '@noble/hashes/sha3.js'
import { createPublicClient, createWalletClient, decodeFunctionResult, encodeFunctionData, http, toHex, type Address } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  IMLDSA_ABI,
  IMLKEM_ABI,
  IRING_ABI,
  ISLHDSA_ABI,
  ML_KEM_LEVELS,
  SLH_DSA_SETS,
  mlkemRandomness,
  ringKeyImage,
  ringSign,
} from '../../precompiles/index.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { acvpResults, readAcvp, type SigVerPrompt, type SlhKeyGenGroup } from '../helpers/vectors.js'
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO_ROOT, startNode, type RunningNode } from './helpers/node.js'
import { compileSolidity, devAccount, parsChain, rpc } from './helpers/rpc.js'

const MLDSA = '0x0000000000000000000000000000000000000600'
const MLKEM = '0x0000000000000000000000000000000000000601'
const SLHDSA = '0x0000000000000000000000000000000000000602'
const RING = '0x0000000000000000000000000000000000000700'

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

  /** eth_call each call in one JSON-RPC batch; each answer is its result or its error code. */
  async function batchCall(
    calls: { to: string; data: string; from?: string }[],
    block = 'latest',
  ): Promise<{ result?: `0x${string}`; code?: number }[]> {
    const body = calls.map((c, id) => ({ jsonrpc: '2.0', id, method: 'eth_call', params: [c, block] }))
    const res = await fetch(node.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    const answers = (await res.json()) as { id: number; result?: `0x${string}`; error?: { code: number } }[]
    expect(answers).toHaveLength(calls.length)
    const out = new Array<{ result?: `0x${string}`; code?: number }>(calls.length)
    for (const a of answers) out[a.id] = a.error === undefined ? { result: a.result } : { code: a.error.code }
    return out
  }

  it('NIST ACVP ML-DSA sigVer vectors (pure, external, with contexts) through eth_call', async () => {
    const prompt = readAcvp<SigVerPrompt>('ML-DSA-sigVer-FIPS204.prompt.json.gz')
    const expected = readAcvp<{ testGroups: { tgId: number; tests: { tcId: number; testPassed: boolean }[] }[] }>(
      'ML-DSA-sigVer-FIPS204.expectedResults.json.gz',
    )
    if (prompt === undefined || expected === undefined) return
    const want = acvpResults(expected)
    const cases = prompt.testGroups
      .filter((g) => g.signatureInterface === 'external' && g.preHash === 'pure')
      .flatMap((g) => g.tests.map((t) => ({ key: `${g.tgId}/${t.tcId}`, t })))
    const answers = await batchCall(
      cases.map(({ t }) => ({
        to: MLDSA,
        data: encodeFunctionData({
          abi: IMLDSA_ABI,
          functionName: 'verifyWithContext',
          args: [`0x${t.pk}`, `0x${t.message}`, `0x${t.signature}`, `0x${t.context ?? ''}`],
        }),
      })),
    )
    answers.forEach((a, i) => {
      if (a.code !== undefined) expect(a.code, cases[i]!.key).toBe(3)
      const accepted = a.result !== undefined && BigInt(a.result) === 1n
      expect(accepted, `tg/tc ${cases[i]!.key}`).toBe(want.get(cases[i]!.key)!.testPassed)
    })
    expect(cases.length).toBeGreaterThanOrEqual(45)
  })

  it('NIST ACVP ML-KEM encapDecap through eth_call: key checks revert exactly for bad keys; encapsulation is the checked primitive at the documented m', async () => {
    type Prompt = { testGroups: { tgId: number; parameterSet: string; function: string; tests: { tcId: number; ek?: string }[] }[] }
    const prompt = readAcvp<Prompt>('ML-KEM-encapDecap-FIPS203.prompt.json.gz')
    const expected = readAcvp<{ testGroups: { tgId: number; tests: { tcId: number; testPassed?: boolean }[] }[] }>(
      'ML-KEM-encapDecap-FIPS203.expectedResults.json.gz',
    )
    if (prompt === undefined || expected === undefined) return
    const want = acvpResults(expected)
    const from = devAccount(4).address
    const head = await rpc<{ number: `0x${string}`; mixHash: `0x${string}` }>(node.url, 'eth_getBlockByNumber', ['latest', false])
    const cases = prompt.testGroups
      .filter((g) => g.function === 'encapsulation' || g.function === 'encapsulationKeyCheck')
      .flatMap((g) => g.tests.map((t) => ({ key: `${g.tgId}/${t.tcId}`, g, ek: Buffer.from(t.ek!, 'hex') })))
    const answers = await batchCall(
      cases.map(({ ek }) => ({
        from,
        to: MLKEM,
        data: encodeFunctionData({ abi: IMLKEM_ABI, functionName: 'encapsulate', args: [toHex(ek)] }),
      })),
      head.number,
    )
    const ctx = {
      blockNumber: BigInt(head.number),
      prevRandao: Buffer.from(head.mixHash.slice(2), 'hex'),
      origin: Buffer.from(from.slice(2), 'hex'),
    }
    answers.forEach((a, i) => {
      const { key, g, ek } = cases[i]!
      if (g.function === 'encapsulationKeyCheck' && want.get(key)!.testPassed === false) {
        expect(a.code, `tg/tc ${key}: a key failing the modulus check`).toBe(3)
        return
      }
      expect(a.result, `tg/tc ${key}`).toBeDefined()
      const level = ML_KEM_LEVELS.find((l) => l.name === g.parameterSet)!
      const [ct, ss] = decodeFunctionResult({ abi: IMLKEM_ABI, functionName: 'encapsulate', data: a.result! }) as [
        `0x${string}`,
        `0x${string}`,
      ]
      const r = level.impl.encapsulate(ek, mlkemRandomness(ek, ctx))
      expect([ct, ss], `tg/tc ${key}`).toEqual([toHex(r.cipherText), toHex(r.sharedSecret)])
    })
    expect(cases.length).toBe(105)
  })

  it("Wycheproof ML-KEM through eth_call: bad encapsulation keys revert; for keys from the vectors' seeds, the holder decapsulates the same secret", async () => {
    const dir = join(process.env['PARS_VECTORS'] ?? join(REPO_ROOT, '..', 'shared', 'vectors'), 'wycheproof')
    const from = devAccount(4).address
    const read = <T>(name: string): T | undefined => {
      const file = join(dir, name)
      if (!existsSync(file)) {
        console.warn(`skipped: ${file} not found (set PARS_VECTORS)`)
        return undefined
      }
      return JSON.parse(readFileSync(file, 'utf8')) as T
    }
    const call = (ek: string) => ({
      from,
      to: MLKEM,
      data: encodeFunctionData({ abi: IMLKEM_ABI, functionName: 'encapsulate', args: [`0x${ek}`] }),
    })
    // ML-KEM-768 encapsulation: every invalid case is a bad key, and must revert
    type Encaps = { testGroups: { tests: { tcId: number; ek: string; result: string }[] }[] }
    const encaps = read<Encaps>('mlkem_768_encaps_test.json')
    if (encaps === undefined) return
    const ecases = encaps.testGroups.flatMap((g) => g.tests)
    const eanswers = await batchCall(ecases.map((t) => call(t.ek)))
    eanswers.forEach((a, i) => expect(a.code === 3, `encaps tcId ${ecases[i]!.tcId}`).toBe(ecases[i]!.result === 'invalid'))
    // keys from seeds: the holder of the seed opens what the precompile encapsulated
    let opened = 0
    for (const level of ML_KEM_LEVELS) {
      type Kem = { testGroups: { tests: { tcId: number; seed: string; ek: string; result: string }[] }[] }
      const data = read<Kem>(`mlkem_${level.name.slice(7)}_test.json`)
      if (data === undefined) return
      const cases = data.testGroups.flatMap((g) => g.tests).filter((t) => t.result === 'valid')
      const answers = await batchCall(cases.map((t) => call(t.ek)))
      answers.forEach((a, i) => {
        const t = cases[i]!
        const [ct, ss] = decodeFunctionResult({ abi: IMLKEM_ABI, functionName: 'encapsulate', data: a.result! }) as [
          `0x${string}`,
          `0x${string}`,
        ]
        const { secretKey } = level.impl.keygen(Buffer.from(t.seed, 'hex'))
        expect(toHex(level.impl.decapsulate(Buffer.from(ct.slice(2), 'hex'), secretKey)), `${level.name} tcId ${t.tcId}`).toBe(ss)
        opened++
      })
    }
    expect(opened).toBeGreaterThan(100)
  })

  it('SLH-DSA through eth_call: NIST ACVP sigVer where the vectors have it, and a NIST key of each SHA2 fast set signing', async () => {
    const prompt = readAcvp<SigVerPrompt>('SLH-DSA-sigVer-FIPS205.prompt.json.gz')
    const expected = readAcvp<{ testGroups: { tgId: number; tests: { tcId: number; testPassed: boolean }[] }[] }>(
      'SLH-DSA-sigVer-FIPS205.expectedResults.json.gz',
    )
    if (prompt !== undefined && expected !== undefined) {
      const want = acvpResults(expected)
      const cases = prompt.testGroups
        .filter((g) => g.signatureInterface === 'external' && g.preHash === 'pure')
        .flatMap((g) =>
          g.tests
            .filter((t) => !t.context)
            .map((t) => ({ key: `${g.tgId}/${t.tcId}`, set: SLH_DSA_SETS.findIndex((s) => s.name === g.parameterSet), t })),
        )
      const answers = await batchCall(
        cases.map(({ set, t }) => ({
          to: SLHDSA,
          data: encodeFunctionData({
            abi: ISLHDSA_ABI,
            functionName: 'verify',
            args: [set, `0x${t.pk}`, `0x${t.message}`, `0x${t.signature}`],
          }),
        })),
      )
      answers.forEach((a, i) =>
        expect(a.result !== undefined && BigInt(a.result) === 1n, cases[i]!.key).toBe(want.get(cases[i]!.key)!.testPassed),
      )
    }
    const keyGen = readAcvp<{ testGroups: SlhKeyGenGroup[] }>('SLH-DSA-keyGen-FIPS205.internalProjection.json.gz')
    if (keyGen === undefined) return
    const calls: { to: string; data: string }[] = []
    for (const g of keyGen.testGroups.filter((g) => /^SLH-DSA-SHA2-\d+f$/.test(g.parameterSet))) {
      const set = SLH_DSA_SETS.findIndex((s) => s.name === g.parameterSet)
      const t = g.tests[0]!
      const message = new TextEncoder().encode(`eth_call under ${g.parameterSet}`)
      const sig = SLH_DSA_SETS[set]!.impl.sign(message, Buffer.from(t.sk, 'hex'))
      const forged = Uint8Array.from(sig)
      forged[forged.length - 1]! ^= 1
      for (const s of [sig, forged]) {
        calls.push({
          to: SLHDSA,
          data: encodeFunctionData({ abi: ISLHDSA_ABI, functionName: 'verify', args: [set, `0x${t.pk}`, toHex(message), toHex(s)] }),
        })
      }
    }
    const answers = await batchCall(calls)
    expect(answers.map((a) => BigInt(a.result!))).toEqual([1n, 0n, 1n, 0n, 1n, 0n])
  })

  it('eth_call to 0x0700 verifies a ring signature and returns its key image', async () => {
    const members = [1, 2, 3].map((i) => new Uint8Array(32).fill(i))
    const ring = members.map((k) => secp256k1.getPublicKey(k, true))
    const message = new TextEncoder().encode('ring through eth_call')
    const sig = ringSign(message, ring, members[1]!)
    const forged = Uint8Array.from(sig)
    forged[40]! ^= 1
    const answers = await batchCall(
      [sig, forged].map((s) => ({
        to: RING,
        data: encodeFunctionData({ abi: IRING_ABI, functionName: 'verify', args: [toHex(Buffer.concat(ring)), toHex(message), toHex(s)] }),
      })),
    )
    const decoded = answers.map((a) => decodeFunctionResult({ abi: IRING_ABI, functionName: 'verify', data: a.result! }))
    expect(decoded).toEqual([
      [true, toHex(ringKeyImage(members[1]!))],
      [false, '0x'],
    ])
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
