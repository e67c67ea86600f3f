// Contracts on a real `parsd --dev` process, driven with viem as a dapp developer does: deploy (Solidity
// compiled inline with solcjs), views, events and eth_getLogs, eth_call with block tags and state
// overrides, reverts (reason strings, custom errors, panics), gas estimation, access lists, proofs,
// raw storage and code, and signatures made by the node for its dev accounts.
import { verifyMerkleProof } from '@ethereumjs/mpt'
import { RLP } from '@ethereumjs/rlp'
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  decodeErrorResult,
  encodeAbiParameters,
  encodeFunctionData,
  getContractAddress,
  hexToBytes,
  http,
  keccak256,
  pad,
  parseAbi,
  toHex,
  verifyMessage,
  verifyTypedData,
  type Abi,
  type Address,
  type Chain,
  type Hash,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
  type WalletClient,
} from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startNode, type RunningNode } from './helpers/node.js'
import { compileSolidity, devAccount, parsChain, rpc, rpcError, type Compiled } from './helpers/rpc.js'

const SOURCE = `
// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

contract Store {
    uint256 public value;                          // slot 0
    mapping(address => uint256) public credits;    // slot 1
    address public owner;                          // slot 2

    event ValueSet(address indexed setter, uint256 indexed newValue, bytes32 tag);
    event Ping(uint256 indexed n, address indexed from);

    error TooLarge(uint256 value, uint256 max);

    constructor(uint256 initial) {
        value = initial;
        owner = msg.sender;
    }

    function set(uint256 v, bytes32 tag) external {
        if (v > 1000) revert TooLarge(v, 1000);
        value = v;
        credits[msg.sender] += v;
        emit ValueSet(msg.sender, v, tag);
    }

    function ping(uint256 n) external {
        emit Ping(n, msg.sender);
    }

    function onlyOwner() external view returns (bool) {
        require(msg.sender == owner, "Store: caller is not the owner");
        return true;
    }

    function divide(uint256 a, uint256 b) external pure returns (uint256) {
        return a / b;
    }

    function balanceOf(address a) external view returns (uint256) {
        return a.balance;
    }

    function blockNumber() external view returns (uint256) {
        return block.number;
    }

    function burn(uint256 rounds) external {
        for (uint256 i = 0; i < rounds; i++) {
            credits[address(uint160(i + 1))] = i + 1;
        }
    }
}
`

function revertOf(err: unknown): ContractFunctionRevertedError | undefined {
  if (!(err instanceof BaseError)) return undefined
  const found = err.walk((e) => e instanceof ContractFunctionRevertedError)
  return found instanceof ContractFunctionRevertedError ? found : undefined
}

function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    (v) => {
      throw new Error(`expected a rejection, got ${String(v)}`)
    },
    (e: unknown) => e,
  )
}

const hex = (n: bigint | number): Hex => toHex(n)

describe('contracts on a dev node', () => {
  let node: RunningNode
  let chain: Chain
  let pc: PublicClient
  let wallet: WalletClient
  let store: Compiled
  let abi: Abi
  let a: Address // Store(7), deployed by dev account 0
  let b: Address // Store(0), a second instance
  let deployReceipt: TransactionReceipt
  let pingRange: { fromBlock: Hex; toBlock: Hex } | undefined
  const deployer = devAccount(0)
  const other = devAccount(9)

  const receipt = (hash: Hash): Promise<TransactionReceipt> => pc.waitForTransactionReceipt({ hash, pollingInterval: 50, timeout: 30_000 })

  beforeAll(async () => {
    const compiled = compileSolidity(SOURCE, 'prague')
    store = compiled['Store']!
    abi = store.abi
    // a small eth_getLogs range cap, so the -32005 answer can be reached with a short chain
    node = await startNode({ blockTime: 0, args: ['--rpc-logs-range', '5'] })
    chain = parsChain(node.url)
    pc = createPublicClient({ chain, transport: http(node.url) })
    wallet = createWalletClient({ account: deployer, chain, transport: http(node.url) })
    const h1 = await wallet.deployContract({ abi, bytecode: store.bytecode, args: [7n], account: deployer, chain })
    deployReceipt = await receipt(h1)
    a = deployReceipt.contractAddress!
    const h2 = await wallet.deployContract({ abi, bytecode: store.bytecode, args: [0n], account: deployer, chain })
    b = (await receipt(h2)).contractAddress!
  })
  afterAll(async () => {
    await node?.dispose()
  })

  it('deploys: the receipt names the contract, eth_getCode returns the runtime code, views read the constructor state', async () => {
    expect(deployReceipt.status).toBe('success')
    expect(a).toMatch(/^0x[0-9a-fA-F]{40}$/)
    expect(deployReceipt.to).toBeNull()
    expect(await pc.getCode({ address: a })).toBe(store.deployedBytecode)
    // not there before the deploy block, and nothing at an account without code
    expect(await rpc(node.url, 'eth_getCode', [a, hex(deployReceipt.blockNumber - 1n)])).toBe('0x')
    expect(await rpc(node.url, 'eth_getCode', [deployer.address, 'latest'])).toBe('0x')
    expect(await pc.readContract({ address: a, abi, functionName: 'value' })).toBe(7n)
    expect(await pc.readContract({ address: b, abi, functionName: 'value' })).toBe(0n)
    expect((await pc.readContract({ address: a, abi, functionName: 'owner' })) as string).toBe(deployer.address)
    // the address is the CREATE address of (deployer, nonce)
    const tx = await pc.getTransaction({ hash: deployReceipt.transactionHash })
    expect(getContractAddress({ from: deployer.address, nonce: BigInt(tx.nonce) }).toLowerCase()).toBe(a.toLowerCase())
  })

  it('a write emits the event, updates storage (eth_getStorageAt) and the view', async () => {
    const tag = keccak256(toHex('first'))
    const hash = await wallet.writeContract({ address: a, abi, functionName: 'set', args: [42n, tag], account: deployer, chain })
    const r = await receipt(hash)
    expect(r.status).toBe('success')
    expect(r.logs).toHaveLength(1)
    const log = r.logs[0]!
    expect(log.address.toLowerCase()).toBe(a.toLowerCase())
    expect(log.topics[0]).toBe(keccak256(toHex('ValueSet(address,uint256,bytes32)')))
    expect(log.topics[1]).toBe(pad(deployer.address.toLowerCase() as Hex))
    expect(log.topics[2]).toBe(pad(hex(42)))
    expect(log.data).toBe(tag)
    expect(log.blockHash).toBe(r.blockHash)
    expect(log.transactionHash).toBe(hash)
    expect(log.logIndex).toBe(0)

    expect(await pc.readContract({ address: a, abi, functionName: 'value' })).toBe(42n)
    expect(await pc.getStorageAt({ address: a, slot: hex(0) })).toBe(pad(hex(42)))
    // credits[deployer]: keccak(pad(key) . pad(slot 1))
    const slot = keccak256(encodeAbiParameters([{ type: 'address' }, { type: 'uint256' }], [deployer.address, 1n]))
    expect(await pc.getStorageAt({ address: a, slot })).toBe(pad(hex(42)))
    expect(await pc.getStorageAt({ address: a, slot: hex(2) })).toBe(pad(deployer.address.toLowerCase() as Hex))
    // by block: the old value before this block
    expect(await pc.getStorageAt({ address: a, slot: hex(0), blockNumber: r.blockNumber - 1n })).toBe(pad(hex(7)))
    expect(await pc.getStorageAt({ address: a, slot: hex(99) })).toBe(pad('0x0'))
  })

  it('eth_getLogs: by address, topic, OR-lists, blockHash, ranges, and the range cap (-32005)', async () => {
    // pings: a.ping(1), b.ping(2), a.ping(3), b.ping(1) from two senders -> four blocks (block time 0)
    const walletOther = createWalletClient({ account: other, chain, transport: http(node.url) })
    const sends: [Address, bigint, WalletClient, typeof deployer][] = [
      [a, 1n, wallet, deployer],
      [b, 2n, walletOther, other],
      [a, 3n, wallet, deployer],
      [b, 1n, walletOther, other],
    ]
    const receipts: TransactionReceipt[] = []
    for (const [addr, n, w, acct] of sends) {
      receipts.push(await receipt(await w.writeContract({ address: addr, abi, functionName: 'ping', args: [n], account: acct, chain })))
    }
    const from = receipts[0]!.blockNumber
    const to = receipts[3]!.blockNumber
    const pingTopic = keccak256(toHex('Ping(uint256,address)'))
    const getLogs = (filter: Record<string, unknown>) =>
      rpc<{ transactionHash: Hash; address: string; blockNumber: Hex; logIndex: Hex; topics: Hex[]; removed: boolean }[]>(
        node.url,
        'eth_getLogs',
        [filter],
      )
    const range = { fromBlock: hex(from), toBlock: hex(to) }
    const txOf = (logs: { transactionHash: Hash }[]) => logs.map((l) => l.transactionHash)
    const h = receipts.map((r) => r.transactionHash)

    expect(txOf(await getLogs({ ...range }))).toEqual(h)
    expect(txOf(await getLogs({ ...range, address: a }))).toEqual([h[0], h[2]])
    expect(txOf(await getLogs({ ...range, address: [a, b] }))).toEqual(h)
    expect(txOf(await getLogs({ ...range, topics: [pingTopic] }))).toEqual(h)
    // OR in a position, wildcard (null) before a later position
    expect(txOf(await getLogs({ ...range, topics: [pingTopic, [pad(hex(1)), pad(hex(3))]] }))).toEqual([h[0], h[2], h[3]])
    expect(txOf(await getLogs({ ...range, topics: [null, null, pad(other.address.toLowerCase() as Hex)] }))).toEqual([h[1], h[3]])
    expect(txOf(await getLogs({ ...range, address: b, topics: [[pingTopic], pad(hex(1))] }))).toEqual([h[3]])
    expect(await getLogs({ ...range, topics: [keccak256(toHex('Nope()'))] })).toEqual([])
    pingRange = range
    // by block hash
    const byHash = await getLogs({ blockHash: receipts[1]!.blockHash })
    expect(txOf(byHash)).toEqual([h[1]])
    expect(byHash[0]!.removed).toBe(false)
    // ranges: one block, and viem's typed getContractEvents over the same range
    expect(txOf(await getLogs({ fromBlock: hex(receipts[2]!.blockNumber), toBlock: hex(receipts[2]!.blockNumber) }))).toEqual([h[2]])
    const events = await pc.getContractEvents({ address: a, abi, eventName: 'Ping', fromBlock: from, toBlock: to, args: { n: 3n } })
    expect(events.map((e) => e.transactionHash)).toEqual([h[2]])
    expect((events[0]!.args as { from: Address }).from).toBe(deployer.address)
    // the range is capped by --rpc-logs-range 5
    const head = await pc.getBlockNumber({ cacheTime: 0 })
    expect(head).toBeGreaterThanOrEqual(6n)
    const err = await rpcError(node.url, 'eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest' }])
    expect(err.code).toBe(-32005)
    expect(err.message).toMatch(/range|blocks/i)
    // exactly the cap is fine
    expect(Array.isArray(await getLogs({ fromBlock: hex(head - 4n), toBlock: 'latest' }))).toBe(true)
    // fromBlock after toBlock is refused
    const bad = await rpcError(node.url, 'eth_getLogs', [{ fromBlock: hex(to), toBlock: hex(from) }])
    expect(bad.code).toBe(-32602)
  })

  it('eth_getLogs: more topic positions than a log has never match, wildcards included (geth)', async () => {
    // This is how an ERC-721 Transfer (4 topics) is told from an ERC-20 Transfer (3 topics, same
    // signature): geth's filterLogs skips a log when len(filter topics) > len(log topics).
    expect(pingRange).toBeDefined()
    const pingTopic = keccak256(toHex('Ping(uint256,address)'))
    expect(await rpc<unknown[]>(node.url, 'eth_getLogs', [{ ...pingRange, topics: [pingTopic, null, null] }])).toHaveLength(4)
    expect(await rpc(node.url, 'eth_getLogs', [{ ...pingRange, topics: [pingTopic, null, null, null] }])).toEqual([])
  })

  it('eth_call at block tags, by block number and by EIP-1898 block hash', async () => {
    const r = await receipt(
      await wallet.writeContract({ address: a, abi, functionName: 'set', args: [100n, pad('0x01')], account: deployer, chain }),
    )
    const data = encodeFunctionData({ abi, functionName: 'value' })
    const at = (block: unknown) => rpc<Hex>(node.url, 'eth_call', [{ to: a, data }, block])
    expect(BigInt(await at('latest'))).toBe(100n)
    expect(BigInt(await at('pending'))).toBe(100n)
    expect(BigInt(await at('safe'))).toBe(100n)
    expect(BigInt(await at('finalized'))).toBe(100n)
    expect(BigInt(await at(hex(r.blockNumber - 1n)))).toBe(42n)
    expect(BigInt(await at({ blockHash: r.blockHash }))).toBe(100n)
    const parent = await pc.getBlock({ blockNumber: r.blockNumber - 1n })
    expect(BigInt(await at({ blockHash: parent.hash, requireCanonical: true }))).toBe(42n)
    expect(BigInt(await at({ blockNumber: hex(r.blockNumber - 1n) }))).toBe(42n)
    // before the contract existed: no code, empty answer
    expect(await at('earliest')).toBe('0x')
    // block.number inside a call at a past block is that block's number
    expect(await pc.readContract({ address: a, abi, functionName: 'blockNumber', blockNumber: r.blockNumber - 1n })).toBe(
      r.blockNumber - 1n,
    )
    // a block the node does not have
    const missing = await rpcError(node.url, 'eth_call', [{ to: a, data }, { blockHash: `0x${'12'.repeat(32)}` }])
    expect(missing.code).toBe(-32000)
    expect(missing.message).toMatch(/not found/)
  })

  it('eth_call with state overrides: balance, storage (stateDiff and state), code at a new address', async () => {
    const rich = privateKeyToAccount(generatePrivateKey()).address
    const balance = await pc.readContract({
      address: a,
      abi,
      functionName: 'balanceOf',
      args: [rich],
      stateOverride: [{ address: rich, balance: 123n * 10n ** 18n }],
    })
    expect(balance).toBe(123n * 10n ** 18n)
    expect(await pc.readContract({ address: a, abi, functionName: 'balanceOf', args: [rich] })).toBe(0n)

    const v = await pc.readContract({
      address: a,
      abi,
      functionName: 'value',
      stateOverride: [{ address: a, stateDiff: [{ slot: pad(hex(0)), value: pad(hex(555)) }] }],
    })
    expect(v).toBe(555n)
    // "state" replaces all storage: the owner slot is gone too
    const owner = await pc.readContract({
      address: a,
      abi,
      functionName: 'owner',
      stateOverride: [{ address: a, state: [{ slot: pad(hex(0)), value: pad(hex(1)) }] }],
    })
    expect(owner).toBe('0x0000000000000000000000000000000000000000')
    // code at an address that has none, with storage
    const ghost = privateKeyToAccount(generatePrivateKey()).address
    const gv = await pc.readContract({
      address: ghost,
      abi,
      functionName: 'value',
      stateOverride: [{ address: ghost, code: store.deployedBytecode, stateDiff: [{ slot: pad(hex(0)), value: pad(hex(9)) }] }],
    })
    expect(gv).toBe(9n)
    // nothing of it stuck
    expect(await pc.readContract({ address: a, abi, functionName: 'value' })).toBe(100n)
    expect(await pc.getCode({ address: ghost })).toBeUndefined()
  })

  it('reverts: reason strings, custom errors and panics reach viem with code 3 and the revert data', async () => {
    // reason string through viem
    const e1 = await rejection(pc.readContract({ address: a, abi, functionName: 'onlyOwner', account: other.address }))
    const r1 = revertOf(e1)
    expect(r1, String(e1)).toBeDefined()
    expect(r1!.reason).toBe('Store: caller is not the owner')
    // and on the wire: code 3, message with the reason, data = Error(string) encoding
    const raw = await rpcError(node.url, 'eth_call', [
      { from: other.address, to: a, data: encodeFunctionData({ abi, functionName: 'onlyOwner' }) },
      'latest',
    ])
    expect(raw.code).toBe(3)
    expect(raw.message).toBe('execution reverted: Store: caller is not the owner')
    const decoded = decodeErrorResult({ abi: parseAbi(['error Error(string)']), data: raw.data as Hex })
    expect(decoded.args).toEqual(['Store: caller is not the owner'])
    // the owner passes
    expect(await pc.readContract({ address: a, abi, functionName: 'onlyOwner', account: deployer.address })).toBe(true)

    // custom error, decoded by viem from the ABI
    const e2 = await rejection(
      pc.simulateContract({ address: a, abi, functionName: 'set', args: [5000n, pad('0x00')], account: deployer.address }),
    )
    const r2 = revertOf(e2)
    expect(r2, String(e2)).toBeDefined()
    expect(r2!.data?.errorName).toBe('TooLarge')
    expect(r2!.data?.args).toEqual([5000n, 1000n])
    const raw2 = await rpcError(node.url, 'eth_call', [
      { to: a, data: encodeFunctionData({ abi, functionName: 'set', args: [5000n, pad('0x00')] }) },
    ])
    expect(raw2.code).toBe(3)
    expect(raw2.message).toBe('execution reverted')
    expect(raw2.data).toBe(
      encodeFunctionData({ abi: parseAbi(['function TooLarge(uint256,uint256)']), functionName: 'TooLarge', args: [5000n, 1000n] }),
    )

    // panic: division by zero is Panic(0x12)
    const e3 = await rejection(pc.readContract({ address: a, abi, functionName: 'divide', args: [1n, 0n] }))
    const r3 = revertOf(e3)
    expect(r3, String(e3)).toBeDefined()
    expect(r3!.data?.errorName).toBe('Panic')
    expect(r3!.data?.args).toEqual([0x12n])
  })

  it('eth_estimateGas: the estimate is enough to succeed; a reverting call errors with code 3', async () => {
    const args = [77n, pad('0x02')] as const
    const estimate = await pc.estimateContractGas({ address: a, abi, functionName: 'set', args, account: other.address })
    const hash = await createWalletClient({ account: other, chain, transport: http(node.url) }).writeContract({
      address: a,
      abi,
      functionName: 'set',
      args,
      gas: estimate,
      account: other,
      chain,
    })
    const r = await receipt(hash)
    expect(r.status).toBe('success')
    expect(r.gasUsed).toBeLessThanOrEqual(estimate)
    // a loop-heavy call: the estimate covers it too (refunds and the 63/64 rule included)
    const estimate2 = await pc.estimateContractGas({ address: a, abi, functionName: 'burn', args: [40n], account: other.address })
    const r2 = await receipt(
      await createWalletClient({ account: other, chain, transport: http(node.url) }).writeContract({
        address: a,
        abi,
        functionName: 'burn',
        args: [40n],
        gas: estimate2,
        account: other,
        chain,
      }),
    )
    expect(r2.status).toBe('success')

    const err = await rpcError(node.url, 'eth_estimateGas', [
      { from: other.address, to: a, data: encodeFunctionData({ abi, functionName: 'set', args: [2000n, pad('0x00')] }) },
    ])
    expect(err.code).toBe(3)
    expect(err.data).toBe(
      encodeFunctionData({ abi: parseAbi(['function TooLarge(uint256,uint256)']), functionName: 'TooLarge', args: [2000n, 1000n] }),
    )
    const err2 = await rpcError(node.url, 'eth_estimateGas', [
      { from: other.address, to: a, data: encodeFunctionData({ abi, functionName: 'onlyOwner' }) },
    ])
    expect(err2.code).toBe(3)
    expect(err2.message).toBe('execution reverted: Store: caller is not the owner')
  })

  it('eth_estimateGas of a plain value transfer is exactly 21000 (as geth, anvil and hardhat answer)', async () => {
    expect(await pc.estimateGas({ account: deployer.address, to: other.address, value: 1n })).toBe(21_000n)
    const fresh = privateKeyToAccount(generatePrivateKey()).address
    expect(await rpc(node.url, 'eth_estimateGas', [{ from: deployer.address, to: fresh, value: '0x1' }])).toBe('0x5208')
  })

  it('eth_createAccessList lists the accounts a call touches, with the gas used', async () => {
    const probe = privateKeyToAccount(generatePrivateKey()).address
    const res = await pc.createAccessList({
      account: other.address,
      to: a,
      data: encodeFunctionData({ abi, functionName: 'balanceOf', args: [probe] }),
    })
    expect(res.gasUsed).toBeGreaterThan(21_000n)
    const entry = res.accessList.find((e) => e.address.toLowerCase() === probe.toLowerCase())
    expect(entry, JSON.stringify(res.accessList)).toBeDefined()
    // sender and precompiles are never listed
    expect(res.accessList.some((e) => e.address.toLowerCase() === other.address.toLowerCase())).toBe(false)
    // a transaction carrying the list succeeds
    const r = await receipt(
      await createWalletClient({ account: other, chain, transport: http(node.url) }).sendTransaction({
        to: a,
        data: encodeFunctionData({ abi, functionName: 'set', args: [3n, pad('0x03')] }),
        accessList: (
          await pc.createAccessList({
            account: other.address,
            to: a,
            data: encodeFunctionData({ abi, functionName: 'set', args: [3n, pad('0x03')] }),
          })
        ).accessList,
        account: other,
        chain,
      }),
    )
    expect(r.status).toBe('success')
    expect(r.type).toBe('eip1559')
  })

  it("eth_createAccessList includes the storage slots of the called contract itself (geth lists 'to' when it has slots)", async () => {
    // geth's access-list tracer excludes from/to/precompiles only as bare addresses: the slots a call
    // reads or writes are listed for any contract, the callee included; they are what makes the list
    // worth sending (a listed slot costs 1900 up front and 100 per access instead of 2100 cold).
    const res = await pc.createAccessList({ account: other.address, to: a, data: encodeFunctionData({ abi, functionName: 'value' }) })
    expect(res.accessList.map((e) => ({ address: e.address.toLowerCase(), storageKeys: e.storageKeys }))).toEqual([
      { address: a.toLowerCase(), storageKeys: [pad(hex(0))] },
    ])
  })

  it('eth_getProof: the account and storage proofs verify against the block state root', async () => {
    const block = await pc.getBlock({ blockTag: 'latest' })
    const slots = [pad(hex(0)), pad(hex(2)), pad(hex(12345))]
    const proof = await pc.getProof({ address: a, storageKeys: slots, blockNumber: block.number })
    const code = (await pc.getCode({ address: a, blockNumber: block.number }))!
    expect(proof.address.toLowerCase()).toBe(a.toLowerCase())
    expect(proof.codeHash).toBe(keccak256(code))
    expect(proof.nonce).toBe(1) // EIP-161: a created contract starts at nonce 1
    expect(proof.balance).toBe(0n)
    expect(keccak256(proof.accountProof[0]!)).toBe(block.stateRoot)
    const account = await verifyMerkleProof(
      hexToBytes(keccak256(a)),
      proof.accountProof.map((p) => hexToBytes(p)),
    )
    expect(account).not.toBeNull()
    const [nonce, balance, storageRoot, codeHash] = RLP.decode(account!) as Uint8Array[]
    expect(toHex(storageRoot!)).toBe(proof.storageHash)
    expect(toHex(codeHash!)).toBe(proof.codeHash)
    expect(nonce!.length === 0 ? 0n : BigInt(toHex(nonce!))).toBe(1n)
    expect(balance!.length).toBe(0)

    const value = await pc.readContract({ address: a, abi, functionName: 'value', blockNumber: block.number })
    expect(proof.storageProof.map((s) => s.value)).toEqual([value, BigInt(deployer.address), 0n])
    for (const sp of proof.storageProof) {
      expect(keccak256(sp.proof[0]!)).toBe(proof.storageHash)
      const leaf = await verifyMerkleProof(
        hexToBytes(keccak256(sp.key)),
        sp.proof.map((p) => hexToBytes(p)),
      )
      if (sp.value === 0n) expect(leaf).toBeNull()
      else expect(BigInt(toHex(RLP.decode(leaf!) as Uint8Array))).toBe(sp.value)
    }
    // an account that does not exist has a (verifiable) exclusion proof
    const nobody = privateKeyToAccount(generatePrivateKey()).address
    const empty = await pc.getProof({ address: nobody, storageKeys: [], blockNumber: block.number })
    expect(empty.balance).toBe(0n)
    expect(empty.nonce).toBe(0)
    expect(empty.codeHash).toBe(keccak256('0x'))
    expect(
      await verifyMerkleProof(
        hexToBytes(keccak256(nobody)),
        empty.accountProof.map((p) => hexToBytes(p)),
      ),
    ).toBeNull()
  })

  it('the node signs for dev accounts: personal_sign, eth_sign and eth_signTypedData_v4 verify', async () => {
    const nodeWallet = createWalletClient({ account: devAccount(3).address, chain, transport: http(node.url) })
    const local = devAccount(3)
    const message = 'hello pars'
    const sig = await nodeWallet.signMessage({ account: local.address, message })
    expect(await verifyMessage({ address: local.address, message, signature: sig })).toBe(true)
    expect(sig).toBe(await local.signMessage({ message }))
    // eth_sign (address first) signs the same EIP-191 message
    const ethSign = await rpc<Hex>(node.url, 'eth_sign', [local.address, toHex(message)])
    expect(ethSign).toBe(sig)

    const typed = {
      domain: { name: 'Pars e2e', version: '1', chainId: 6133, verifyingContract: a },
      types: {
        Person: [
          { name: 'name', type: 'string' },
          { name: 'wallet', type: 'address' },
        ],
        Mail: [
          { name: 'from', type: 'Person' },
          { name: 'to', type: 'Person' },
          { name: 'contents', type: 'string' },
          { name: 'amount', type: 'uint256' },
        ],
      },
      primaryType: 'Mail',
      message: {
        from: { name: 'Cow', wallet: '0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826' },
        to: { name: 'Bob', wallet: '0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB' },
        contents: 'Hello, Bob!',
        amount: 10n ** 18n,
      },
    } as const
    const typedSig = await nodeWallet.signTypedData({ account: local.address, ...typed })
    expect(await verifyTypedData({ address: local.address, ...typed, signature: typedSig })).toBe(true)
    expect(typedSig).toBe(await local.signTypedData(typed))
    // a dev node does not sign for accounts it does not hold
    const stranger = privateKeyToAccount(generatePrivateKey()).address
    const err = await rpcError(node.url, 'personal_sign', [toHex(message), stranger])
    expect(err.code).toBeLessThan(0)
    expect(err.message).toMatch(/unknown account|not found|no key/i)
  })
})
