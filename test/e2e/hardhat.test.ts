// A developer deploys contracts with Hardhat (`--network pars`) and uses them with viem, against a real
// `parsd --dev` process (or anvil with PARS_E2E_NODE=anvil, see helpers/node.ts).
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import {
  BaseError,
  concatBytes,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  keccak256,
  toBytes,
  toHex,
  parseAbi,
  parseEventLogs,
  encodeFunctionData,
  type Abi,
  type Address,
  type Hex,
  type PublicClient,
} from 'viem'
import { mnemonicToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ml_dsa87 } from '@noble/post-quantum/ml-dsa.js'
import { slh_dsa_sha2_128f } from '@noble/post-quantum/slh-dsa.js'
import { sha3_256 } from '@noble/hashes/sha3.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { eciesDecrypt, hpkeOpen, hpkeSuites, ringKeyImage, ringSign } from '../../precompiles/index.js'
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js'
import { DEV_CHAIN_ID, DEV_MNEMONIC, REPO_ROOT, startNode, type RunningNode } from './helpers/node.js'
import { encodeTriggerAction, identityFromPhrase, sessionIdBody, signTriggerAction, type SignedTrigger } from '../../session/index.js'

const run = promisify(execFile)
const HARDHAT = join(REPO_ROOT, 'node_modules', 'hardhat', 'internal', 'cli', 'bootstrap.js')
const CONFIG = join('contracts', 'hardhat.config.cjs')

const counterAbi = parseAbi([
  'function number() view returns (uint256)',
  'function increment()',
  'function incrementBy(uint256 by)',
  'function failWithReason() pure',
  'function requireBelow(uint256 limit) view returns (uint256)',
  'event Incremented(address indexed by, uint256 value)',
  'error NotBelow(uint256 value, uint256 limit)',
])

async function hardhat(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { stdout } = await run(process.execPath, [HARDHAT, '--config', CONFIG, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true', ...env },
    timeout: 90_000,
    maxBuffer: 16 * 1024 * 1024,
  })
  return stdout
}

/** The revert error viem found in `err`'s cause chain, if any. */
function revertOf(err: unknown): ContractFunctionRevertedError | undefined {
  if (!(err instanceof BaseError)) return undefined
  const found = err.walk((e) => e instanceof ContractFunctionRevertedError)
  return found instanceof ContractFunctionRevertedError ? found : undefined
}

describe('hardhat deploy + viem against a dev node', () => {
  let node: RunningNode | undefined
  let counter: Address
  let postQuantum: Address
  let publicClient: PublicClient
  const account = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 0 })

  beforeAll(async () => {
    node = await startNode({ blockTime: 0 })
    expect(node.chainId).toBe(DEV_CHAIN_ID)

    await hardhat(['compile'])
    const out = await hardhat(['run', join('contracts', 'scripts', 'deploy.cjs'), '--network', 'pars'], {
      PARS_RPC_URL: node.url,
    })
    const match = /^Counter deployed at (0x[0-9a-fA-F]{40})$/m.exec(out)
    if (!match) throw new Error(`no "Counter deployed at" line from the deploy script:\n${out}`)
    // the last line is SessionCounter's (issue 7: deploy:example prints its address last)
    expect(out.trim().split('\n').at(-1)).toMatch(/^SessionCounter deployed at 0x[0-9a-fA-F]{40}$/)
    counter = match[1] as Address
    const pqLine = /PostQuantumCheck deployed at (0x[0-9a-fA-F]{40})/.exec(out)
    if (!pqLine) throw new Error(`no PostQuantumCheck address in the deploy output:\n${out}`)
    postQuantum = pqLine[1] as Address

    publicClient = createPublicClient({ chain: parsDev(node.url), transport: http(node.url) })
  })

  afterAll(async () => {
    await node?.dispose()
  })

  function parsDev(url: string) {
    return defineChain({
      id: DEV_CHAIN_ID,
      name: 'Pars dev',
      nativeCurrency: { name: 'Pars', symbol: 'PARS', decimals: 18 },
      rpcUrls: { default: { http: [url] } },
    })
  }

  it('deployed Counter has code and starts at 0', async () => {
    const code = await publicClient.getCode({ address: counter })
    expect(code && code.length > 2).toBe(true)
    expect(await publicClient.readContract({ address: counter, abi: counterAbi, functionName: 'number' })).toBe(0n)
  })

  it('increment() from a dev account emits Incremented and bumps number()', async () => {
    const url = node!.url
    const wallet = createWalletClient({ account, chain: parsDev(url), transport: http(url) })
    const hash = await wallet.writeContract({ address: counter, abi: counterAbi, functionName: 'increment' })
    const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50, timeout: 30_000 })
    expect(receipt.status).toBe('success')
    expect(receipt.to?.toLowerCase()).toBe(counter.toLowerCase())

    const logs = parseEventLogs({ abi: counterAbi, logs: receipt.logs, eventName: 'Incremented' })
    expect(logs).toHaveLength(1)
    expect(logs[0]!.address.toLowerCase()).toBe(counter.toLowerCase())
    expect(logs[0]!.args.by).toBe(account.address)
    expect(logs[0]!.args.value).toBe(1n)

    const fetched = await publicClient.getContractEvents({
      address: counter,
      abi: counterAbi,
      eventName: 'Incremented',
      fromBlock: receipt.blockNumber,
      toBlock: receipt.blockNumber,
    })
    expect(fetched.map((l) => l.transactionHash)).toEqual([hash])

    expect(await publicClient.readContract({ address: counter, abi: counterAbi, functionName: 'number' })).toBe(1n)
  })

  it('the Hardhat-deployed PostQuantumCheck verifies ML-DSA and SLH-DSA signatures through the precompiles', async () => {
    const url = node!.url
    const wallet = createWalletClient({ account, chain: parsDev(url), transport: http(url) })
    const pqAbi = parseAbi([
      'function recordMLDSA(bytes pk, bytes32 statement, bytes sig) returns (bytes32)',
      'function recordSLHDSA(uint8 set, bytes pk, bytes32 statement, bytes sig) returns (bytes32)',
      'function signedBy(bytes32 id, bytes32 statement) view returns (bool)',
      'event Signed(bytes32 indexed sessionId, bytes32 indexed statement)',
      'function sealReceipt(bytes recipientKey, bytes32 statement, bytes32 randomness) view returns (bytes)',
      'function sealStatement(uint8 suite, bytes recipientKey, bytes32 statement, bytes randomness) view returns (bytes enc, bytes ciphertext)',
    ])
    const statement = keccak256(toBytes('I, the holder of this key, agree'))
    // ML-DSA-87, as a Session identity key
    const mldsa = ml_dsa87.keygen(new Uint8Array(32).fill(4))
    const sig = ml_dsa87.sign(toBytes(statement), mldsa.secretKey)
    const hash = await wallet.writeContract({
      address: postQuantum,
      abi: pqAbi,
      functionName: 'recordMLDSA',
      args: [toHex(mldsa.publicKey), statement, toHex(sig)],
    })
    const receipt = await publicClient.waitForTransactionReceipt({ hash })
    expect(receipt.status).toBe('success')
    const id = toHex(sha3_256(mldsa.publicKey))
    expect(parseEventLogs({ abi: pqAbi, logs: receipt.logs })[0]!.args).toEqual({ sessionId: id, statement })
    expect(await publicClient.readContract({ address: postQuantum, abi: pqAbi, functionName: 'signedBy', args: [id, statement] })).toBe(
      true,
    )
    // a forged signature reverts with the contract's reason
    const forged = Uint8Array.from(sig)
    forged[0] ^= 1
    await expect(
      publicClient.simulateContract({
        account,
        address: postQuantum,
        abi: pqAbi,
        functionName: 'recordMLDSA',
        args: [toHex(mldsa.publicKey), statement, toHex(forged)],
      }),
    ).rejects.toThrow(/bad ML-DSA signature/)
    // SLH-DSA-SHA2-128f (parameter set 2)
    const slh = slh_dsa_sha2_128f.keygen(new Uint8Array(48).fill(5))
    const slhSig = slh_dsa_sha2_128f.sign(toBytes(statement), slh.secretKey)
    const h2 = await wallet.writeContract({
      address: postQuantum,
      abi: pqAbi,
      functionName: 'recordSLHDSA',
      args: [2, toHex(slh.publicKey), statement, toHex(slhSig)],
    })
    expect((await publicClient.waitForTransactionReceipt({ hash: h2 })).status).toBe('success')
    // ECIES through the contract, opened off-chain with the recipient's key
    const recipient = secp256k1.utils.randomSecretKey()
    const sealed = await publicClient.readContract({
      address: postQuantum,
      abi: pqAbi,
      functionName: 'sealReceipt',
      args: [toHex(secp256k1.getPublicKey(recipient, true)), statement, keccak256(toBytes('nonce 1'))],
    })
    expect(toHex(eciesDecrypt(recipient, toBytes(sealed)))).toBe(statement)
    // HPKE with X-Wing (suite 1) through the contract, opened off-chain
    const xwing = hpkeSuites()[1]!
    const kp = await xwing.suite.kem.deriveKeyPair(new Uint8Array(32).fill(6).buffer)
    const xpk = new Uint8Array(await xwing.suite.kem.serializePublicKey(kp.publicKey))
    const xsk = new Uint8Array(await xwing.suite.kem.serializePrivateKey(kp.privateKey))
    const [enc, ciphertext] = await publicClient.readContract({
      address: postQuantum,
      abi: pqAbi,
      functionName: 'sealStatement',
      args: [1, toHex(xpk), statement, toHex(new Uint8Array(64).fill(8))],
    })
    const opened = await hpkeOpen(
      xwing,
      xsk,
      toBytes(enc),
      toBytes(ciphertext),
      new TextEncoder().encode('pars-example'),
      new Uint8Array(0),
    )
    expect(toHex(opened)).toBe(statement)
  })

  it('the Hardhat-deployed PostQuantumCheck links ring signatures and encapsulates with ML-KEM through the precompiles', async () => {
    const url = node!.url
    const wallet = createWalletClient({ account, chain: parsDev(url), transport: http(url) })
    const abi = parseAbi([
      'function endorse(bytes ring, bytes32 statement, bytes signature) returns (bytes32)',
      'function endorsedBy(bytes32 tag) view returns (bool)',
      'event Endorsed(bytes32 indexed ringHash, bytes32 indexed keyImageHash, bytes32 statement)',
      'function encapsulateTo(bytes pk) view returns (bytes ct, bytes32 ssHash)',
    ])
    const members = Array.from({ length: 6 }, (_, i) => keccak256(toBytes(`member ${i}`), 'bytes'))
    const ring = members.map((k) => secp256k1.getPublicKey(k, true))
    const statement = keccak256(toBytes('the bridge is safe'))
    // what the contract verifies: its own address and the statement
    const signed = (s: `0x${string}`) => concatBytes([toBytes(postQuantum), toBytes(s)])
    const sig = ringSign(signed(statement), ring, members[3]!)
    const hash = await wallet.writeContract({
      address: postQuantum,
      abi,
      functionName: 'endorse',
      args: [toHex(concatBytes(ring)), statement, toHex(sig)],
    })
    const receipt = await publicClient.waitForTransactionReceipt({ hash })
    expect(receipt.status).toBe('success')
    const tag = keccak256(ringKeyImage(members[3]!))
    const [event] = parseEventLogs({ abi, logs: receipt.logs })
    expect(event!.args).toEqual({ ringHash: keccak256(concatBytes(ring)), keyImageHash: tag, statement })
    expect(await publicClient.readContract({ address: postQuantum, abi, functionName: 'endorsedBy', args: [tag] })).toBe(true)
    // the same member again, in a smaller ring: linked by its key image and refused
    const small = ring.slice(2, 5)
    await expect(
      publicClient.simulateContract({
        account,
        address: postQuantum,
        abi,
        functionName: 'endorse',
        args: [toHex(concatBytes(small)), statement, toHex(ringSign(signed(statement), small, members[3]!))],
      }),
    ).rejects.toThrow(/this key has already endorsed/)
    // another member of that ring may; a signature over another statement may not pass for this one
    await expect(
      publicClient.simulateContract({
        account,
        address: postQuantum,
        abi,
        functionName: 'endorse',
        args: [toHex(concatBytes(small)), statement, toHex(ringSign(signed(keccak256(toBytes('other'))), small, members[4]!))],
      }),
    ).rejects.toThrow(/bad ring signature/)
    const ok = await publicClient.simulateContract({
      account,
      address: postQuantum,
      abi,
      functionName: 'endorse',
      args: [toHex(concatBytes(small)), statement, toHex(ringSign(signed(statement), small, members[4]!))],
    })
    expect(ok.result).toBe(keccak256(ringKeyImage(members[4]!)))

    // ML-KEM-768: the contract's encapsulation opens with the key holder's secret off-chain
    const kem = ml_kem768.keygen(new Uint8Array(64).fill(9))
    const [ct, ssHash] = await publicClient.readContract({
      address: postQuantum,
      abi,
      functionName: 'encapsulateTo',
      args: [toHex(kem.publicKey)],
    })
    expect(keccak256(ml_kem768.decapsulate(toBytes(ct), kem.secretKey))).toBe(ssHash)
  })

  it('a reverting eth_call surfaces the reason string', async () => {
    const err = await publicClient.readContract({ address: counter, abi: counterAbi, functionName: 'failWithReason' }).then(
      () => undefined,
      (e: unknown) => e,
    )
    const revert = revertOf(err)
    expect(revert, `expected a ContractFunctionRevertedError, got: ${String(err)}`).toBeDefined()
    expect(revert!.reason).toBe('Counter: always reverts')
  })

  it('a reverting transaction is refused at gas estimation with the reason string', async () => {
    const url = node!.url
    const wallet = createWalletClient({ account, chain: parsDev(url), transport: http(url) })
    const err = await wallet.writeContract({ address: counter, abi: counterAbi, functionName: 'incrementBy', args: [0n] }).then(
      () => undefined,
      (e: unknown) => e,
    )
    const revert = revertOf(err)
    expect(revert, `expected a ContractFunctionRevertedError, got: ${String(err)}`).toBeDefined()
    expect(revert!.reason).toBe('Counter: zero increment')
  })

  it('a custom error is decoded from the revert data', async () => {
    const n = await publicClient.readContract({ address: counter, abi: counterAbi, functionName: 'number' })
    const err = await publicClient.readContract({ address: counter, abi: counterAbi, functionName: 'requireBelow', args: [n] }).then(
      () => undefined,
      (e: unknown) => e,
    )
    const revert = revertOf(err)
    expect(revert, `expected a ContractFunctionRevertedError, got: ${String(err)}`).toBeDefined()
    expect(revert!.data?.errorName).toBe('NotBelow')
    expect(revert!.data?.args).toEqual([n, n])
  })
})

describe('SessionTrigger: a contract acted on by a signed Session message (SessionCounter)', () => {
  let node: RunningNode | undefined
  let counter: Address
  let publicClient: PublicClient
  let wallet: ReturnType<typeof createWalletClient>
  const relay = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 3 })
  const ALICE_PHRASE =
    'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art'
  const alice = identityFromPhrase(ALICE_PHRASE)
  const mallory = identityFromPhrase(
    'legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth title',
  )
  let abi: Abi

  beforeAll(async () => {
    node = await startNode({ blockTime: 0 })
    await hardhat(['compile'])
    const artifact = JSON.parse(
      readFileSync(join(REPO_ROOT, 'contracts', 'artifacts', 'src', 'examples', 'SessionCounter.sol', 'SessionCounter.json'), 'utf8'),
    ) as { abi: Abi; bytecode: Hex }
    abi = artifact.abi
    const chain = defineChain({
      id: DEV_CHAIN_ID,
      name: 'Pars dev',
      nativeCurrency: { name: 'Pars', symbol: 'PARS', decimals: 18 },
      rpcUrls: { default: { http: [node.url] } },
    })
    publicClient = createPublicClient({ chain, transport: http(node.url) })
    wallet = createWalletClient({ account: relay, chain, transport: http(node.url) })
    const hash = await wallet.deployContract({ abi, bytecode: artifact.bytecode, account: relay, chain })
    counter = (await publicClient.waitForTransactionReceipt({ hash })).contractAddress!
  })

  afterAll(async () => {
    await node?.dispose()
  })

  const increment = encodeFunctionData({ abi: parseAbi(['function increment()']), functionName: 'increment' })
  const nonceOf = async (id: string) =>
    (await publicClient.readContract({ address: counter, abi, functionName: 'sessionNonces', args: [sessionIdBody(id)] })) as bigint
  const action = async (over: Partial<Parameters<typeof signTriggerAction>[1]> = {}) => ({
    chainId: BigInt(DEV_CHAIN_ID),
    target: counter,
    nonce: await nonceOf(alice.sessionId),
    expiry: BigInt(Math.floor(Date.now() / 1000) + 600),
    callData: increment,
    ...over,
  })
  const submit = (t: SignedTrigger) =>
    wallet.writeContract({
      address: counter,
      abi,
      functionName: 'executeFromSession',
      args: [t.sessionMessage, t.mldsaSignature, t.mldsaPublicKey],
      account: relay,
      chain: wallet.chain,
    })
  /** The custom error name a submission is refused with (viem simulates it first, as a relay would). */
  const refusal = async (t: SignedTrigger) => {
    const err = await submit(t).then(
      () => undefined,
      (e: unknown) => e,
    )
    return revertOf(err)?.data?.errorName
  }

  it('a signed action increments the counter, as its Session ID; the same action again is a replay', async () => {
    const signed = signTriggerAction(alice, await action())
    const receipt = await publicClient.waitForTransactionReceipt({ hash: await submit(signed) })
    expect(receipt.status).toBe('success')
    expect(await publicClient.readContract({ address: counter, abi, functionName: 'number' })).toBe(1n)
    expect(
      await publicClient.readContract({ address: counter, abi, functionName: 'incrementsBy', args: [sessionIdBody(alice.sessionId)] }),
    ).toBe(1n)
    expect(await nonceOf(alice.sessionId)).toBe(1n)
    expect(await refusal(signed)).toBe('BadNonce')
  })

  it('parsctl session trigger signs with the datadir identity and submits; a refused action costs nothing and says why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pars-e2e-trigger-'))
    try {
      writeFileSync(join(dir, 'pass'), 'pw\n')
      writeFileSync(join(dir, 'phrase'), ALICE_PHRASE + '\n')
      writeFileSync(join(dir, 'key'), Buffer.from(relay.getHdKey().privateKey!).toString('hex') + '\n')
      const PARSCTL = join(REPO_ROOT, 'dist', 'node', 'cli', 'parsctl.js')
      const ctl = (...args: string[]) =>
        run(process.execPath, [PARSCTL, ...args, '--datadir', join(dir, 'alice')], { cwd: REPO_ROOT }).then(
          (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
          (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout, err: e.stderr }),
        )
      expect(
        (await ctl('session', 'identity', 'restore', '--phrase-file', join(dir, 'phrase'), '--passphrase-file', join(dir, 'pass'))).code,
      ).toBe(0)
      const trigger = (fn: string) =>
        ctl(
          'session',
          'trigger',
          '--to',
          counter,
          '--function',
          fn,
          '--from-key',
          join(dir, 'key'),
          '--passphrase-file',
          join(dir, 'pass'),
          '--wait',
          '--rpc',
          node!.url,
        )
      const before = (await publicClient.readContract({ address: counter, abi, functionName: 'number' })) as bigint
      const ok = await trigger('increment()')
      expect(ok.err).toBe('')
      expect(ok.out.trim().split('\n').at(-1)).toMatch(/^0x[0-9a-f]{64} success$/)
      expect(await publicClient.readContract({ address: counter, abi, functionName: 'number' })).toBe(before + 1n)
      const refused = await trigger('number()')
      expect(refused.code).toBe(1)
      expect(refused.err).toMatch(/refused: NotAllowed/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('forged, wrong-key, expired, wrong-chain, wrong-contract and unauthorized actions are refused by name', async () => {
    const numberBefore = await publicClient.readContract({ address: counter, abi, functionName: 'number' })
    const nonceBefore = await nonceOf(alice.sessionId)
    const good = signTriggerAction(alice, await action())
    // a flipped bit in the signature
    const sig = Buffer.from(good.mldsaSignature.slice(2), 'hex')
    sig[100]! ^= 1
    expect(await refusal({ ...good, mldsaSignature: `0x${sig.toString('hex')}` })).toBe('BadSessionSignature')
    // Mallory signs an action claiming Alice's Session ID, with her own key
    const claimed = encodeTriggerAction({ ...(await action()), sessionId: alice.sessionId })
    const forged = signTriggerAction(mallory, await action())
    expect(await refusal({ sessionMessage: claimed, mldsaSignature: forged.mldsaSignature, mldsaPublicKey: forged.mldsaPublicKey })).toBe(
      'KeyNotForSession',
    )
    // a message signed by Alice but altered on the way
    expect(
      await refusal({
        ...good,
        sessionMessage: encodeTriggerAction({ ...(await action()), sessionId: alice.sessionId, expiry: 1n << 60n }),
      }),
    ).toBe('BadSessionSignature')
    expect(await refusal(signTriggerAction(alice, await action({ expiry: 1n })))).toBe('Expired')
    expect(await refusal(signTriggerAction(alice, await action({ chainId: 1n })))).toBe('WrongChain')
    expect(await refusal(signTriggerAction(alice, await action({ target: relay.address })))).toBe('WrongTarget')
    const read = encodeFunctionData({ abi: parseAbi(['function number()']), functionName: 'number' })
    expect(await refusal(signTriggerAction(alice, await action({ callData: read })))).toBe('NotAllowed')
    // and increment() is not callable directly: only through a session action
    const direct = await wallet
      .writeContract({ address: counter, abi, functionName: 'increment', account: relay, chain: wallet.chain })
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    expect(revertOf(direct)?.data?.errorName).toBe('OnlyFromSession')
    // none of it moved the counter or the nonce
    expect(await publicClient.readContract({ address: counter, abi, functionName: 'number' })).toBe(numberBefore)
    expect(await nonceOf(alice.sessionId)).toBe(nonceBefore)
  })
})
