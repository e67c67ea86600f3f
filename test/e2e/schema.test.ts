// Every JSON-RPC answer of a real `parsd --dev` has exactly the shape of the ethereum/execution-apis
// OpenRPC schemas (written down in ./helpers/shapes.ts, with the schema commits they follow): no
// extra fields, every required field, canonical hex, and null where a thing is not found.
//
// One dev node (block time 0: one block per transaction) is driven to produce real data: a legacy
// (EIP-155), an EIP-2930, an EIP-1559 and an EIP-7702 transaction, a contract deploy, a contract
// emitting events, a reverting call and a future-nonce transaction that stays queued. Each test
// checks a group of methods and reports every violation (method, path, expected, actual) at once.
import {
  createPublicClient,
  createWalletClient,
  encodeFunctionData,
  http,
  parseAbi,
  type Address,
  type Chain,
  type Hash,
  type Hex,
} from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEV_CHAIN_ID, startNode, type RunningNode } from './helpers/node.js'
import { RawWs, compileSolidity, devAccount, parsChain, rpc } from './helpers/rpc.js'
import {
  AccessListResult,
  AccountProof,
  BlockWithHashes,
  BlockWithTransactions,
  FeeHistory,
  FilterResults,
  Header,
  Log,
  Notification,
  PendingTransactionInfo,
  ReceiptInfo,
  SyncingStatus,
  TransactionInfo,
  TxpoolContent,
  TxpoolStatus,
  shapeViolations,
  type Shape,
} from './helpers/shapes.js'

const SOURCE = `
// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
contract Store {
    uint256 public stored;
    event Stored(address indexed who, uint256 value);
    function set(uint256 v) external { stored = v; emit Stored(msg.sender, v); }
    function fail() external pure { revert("no"); }
}
`
const abi = parseAbi(['function set(uint256 v)', 'function fail()', 'function stored() view returns (uint256)'])
const SLOT0 = `0x${'0'.repeat(64)}` as Hex
const UNKNOWN_HASH = `0x${'ab'.repeat(32)}` as Hash

/** Collects schema violations over many answers; one assertion lists them all. */
class Violations {
  private readonly found: string[] = []

  /** `value` (the answer of `what`) must have `shape`. */
  check(what: string, value: unknown, shape: Shape): void {
    for (const v of shapeViolations(value, shape)) this.found.push(`${what}: ${v}`)
  }

  /** A fact the schema states in prose (e.g. "null where not found"). */
  expect(what: string, ok: boolean, detail: string): void {
    if (!ok) this.found.push(`${what}: ${detail}`)
  }

  assertNone(): void {
    const shown = this.found.slice(0, 40)
    const more = this.found.length > shown.length ? `\n  ... and ${this.found.length - shown.length} more` : ''
    expect(this.found.length, `${this.found.length} schema violation(s):\n  ${shown.join('\n  ')}${more}\n`).toBe(0)
  }
}

const show = (v: unknown): string => (v === undefined ? 'undefined' : JSON.stringify(v).slice(0, 120))

/** `p`, or `undefined` when it has not settled within `ms` (a guard against a test hanging). */
function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}

describe('JSON-RPC answers have the execution-apis schema shapes', () => {
  let node: RunningNode
  let chain: Chain
  let ws: RawWs
  const sender = devAccount(0)
  const authority = devAccount(3) // delegates its code with EIP-7702
  const queuedSender = devAccount(7) // only ever sends the future-nonce transaction

  let store: Address
  const tx = {} as Record<'deploy' | 'legacy' | 'eip2930' | 'eip1559' | 'revert' | 'eip7702', Hash>
  let queuedHash: Hash
  let subHeads: string
  let subLogs: string
  let subPending: string
  let blockFilter: string
  let pendingFilter: string
  let logFilter: string

  const call = <T = unknown>(method: string, params: unknown[] = []): Promise<T> => rpc<T>(node.url, method, params)

  beforeAll(async () => {
    const { Store } = compileSolidity(SOURCE)
    node = await startNode({ blockTime: 0 })
    chain = parsChain(node.url)
    const pc = createPublicClient({ chain, transport: http(node.url) })
    const wallet = createWalletClient({ account: sender, chain, transport: http(node.url) })
    const mined = async (hash: Hash): Promise<Hash> => {
      await pc.waitForTransactionReceipt({ hash, pollingInterval: 25, timeout: 20_000 })
      return hash
    }

    ws = await RawWs.open(node.wsUrl)
    subHeads = await ws.call<string>('eth_subscribe', ['newHeads'])
    subPending = await ws.call<string>('eth_subscribe', ['newPendingTransactions', true])
    blockFilter = await call<string>('eth_newBlockFilter')
    pendingFilter = await call<string>('eth_newPendingTransactionFilter')

    // contract creation (EIP-1559)
    tx.deploy = await mined(await wallet.deployContract({ abi: Store!.abi, bytecode: Store!.bytecode, account: sender, chain }))
    store = (await pc.getTransactionReceipt({ hash: tx.deploy })).contractAddress!
    subLogs = await ws.call<string>('eth_subscribe', ['logs', { address: store }])
    logFilter = await call<string>('eth_newFilter', [{ address: store }])

    // legacy (EIP-155) plain transfer
    tx.legacy = await mined(await wallet.sendTransaction({ account: sender, chain, type: 'legacy', to: devAccount(1).address, value: 1n }))
    // EIP-2930 with an access list, emitting an event
    tx.eip2930 = await mined(
      await wallet.sendTransaction({
        account: sender,
        chain,
        type: 'eip2930',
        to: store,
        data: encodeFunctionData({ abi, functionName: 'set', args: [1n] }),
        accessList: [{ address: store, storageKeys: [SLOT0] }],
      }),
    )
    // EIP-1559, emitting an event
    tx.eip1559 = await mined(
      await wallet.sendTransaction({
        account: sender,
        chain,
        to: store,
        data: encodeFunctionData({ abi, functionName: 'set', args: [2n] }),
      }),
    )
    // a reverting call, mined with status 0 (explicit gas: no estimate)
    tx.revert = await mined(
      await wallet.sendTransaction({
        account: sender,
        chain,
        to: store,
        gas: 100_000n,
        data: encodeFunctionData({ abi, functionName: 'fail' }),
      }),
    )
    // EIP-7702: `authority` delegates to the contract; the sender sponsors a call to it
    const authorization = await wallet.signAuthorization({ account: authority, contractAddress: store })
    tx.eip7702 = await mined(
      await wallet.sendTransaction({
        account: sender,
        chain,
        to: authority.address,
        gas: 300_000n,
        authorizationList: [authorization],
        data: encodeFunctionData({ abi, functionName: 'set', args: [3n] }),
      }),
    )

    // a future nonce: stays queued in the pool
    const raw = await queuedSender.signTransaction({
      chainId: DEV_CHAIN_ID,
      type: 'eip1559',
      nonce: 5,
      to: devAccount(2).address,
      value: 1n,
      gas: 21_000n,
      maxFeePerGas: 100_000_000_000n,
      maxPriorityFeePerGas: 1_000_000_000n,
    })
    queuedHash = await call<Hash>('eth_sendRawTransaction', [raw])
  }, 60_000)

  afterAll(async () => {
    await ws?.close()
    await node?.dispose()
  })

  it('the checker itself: flags an extra field, a missing field and non-canonical hex, with the path', () => {
    const log = {
      removed: false,
      logIndex: '0x0',
      transactionIndex: '0x0',
      transactionHash: `0x${'1'.repeat(64)}`,
      blockHash: `0x${'2'.repeat(64)}`,
      blockNumber: '0x1',
      address: `0x${'3'.repeat(40)}`,
      data: '0x',
      topics: [`0x${'4'.repeat(64)}`],
    }
    expect(shapeViolations(log, Log)).toEqual([])
    expect(shapeViolations({ ...log, extra: 1 }, Log)).toEqual(['$.extra: extra field, not in Log (value 1)'])
    expect(shapeViolations({ ...log, transactionHash: undefined }, Log)).toEqual(['$.transactionHash: expected hash32, got undefined'])
    const { transactionHash: _dropped, ...noHash } = log
    expect(shapeViolations(noHash, Log)).toEqual(['$.transactionHash: required by Log, missing'])
    expect(shapeViolations({ ...log, logIndex: '0x01' }, Log)).toEqual(['$.logIndex: expected uint, got "0x01"'])
    expect(shapeViolations({ ...log, blockHash: `0x${'A'.repeat(64)}` }, Log)[0]).toMatch(/^\$\.blockHash: expected hash32/)
    expect(shapeViolations({ ...log, topics: ['0x1234'] }, Log)).toEqual(['$.topics[0]: expected bytes32, got "0x1234"'])
    expect(shapeViolations({ ...log, data: '0x123' }, Log)).toEqual(['$.data: expected bytes, got "0x123"'])
    expect(shapeViolations([log, { ...log, removed: 'no' }], { arrayOf: Log })).toEqual(['$[1].removed: expected bool, got "no"'])
    expect(shapeViolations('0x100', 'byte')).toEqual(['$: expected byte, got "0x100"'])
    expect(shapeViolations({ type: '0x9' }, TransactionInfo)[0]).toMatch(/^\$\.type: expected one of/)
  })

  it('eth_getBlockByNumber / eth_getBlockByHash: Block, with hashes and with full transactions', async () => {
    const v = new Violations()
    for (const name of Object.keys(tx) as (keyof typeof tx)[]) {
      const r = await call<{ blockHash: Hash; blockNumber: Hex }>('eth_getTransactionReceipt', [tx[name]])
      for (const full of [false, true]) {
        const shape = full ? BlockWithTransactions : BlockWithHashes
        v.check(
          `eth_getBlockByNumber(${r.blockNumber} [${name}], ${full})`,
          await call('eth_getBlockByNumber', [r.blockNumber, full]),
          shape,
        )
        v.check(`eth_getBlockByHash([${name}], ${full})`, await call('eth_getBlockByHash', [r.blockHash, full]), shape)
      }
    }
    for (const tag of ['latest', 'earliest', 'pending', 'safe', 'finalized']) {
      for (const full of [false, true]) {
        v.check(
          `eth_getBlockByNumber(${tag}, ${full})`,
          await call('eth_getBlockByNumber', [tag, full]),
          full ? BlockWithTransactions : BlockWithHashes,
        )
      }
    }
    v.assertNone()
  })

  it('eth_getTransactionByHash / ByBlockHashAndIndex / ByBlockNumberAndIndex: TransactionInfo of every type', async () => {
    const v = new Violations()
    const types: Record<string, string> = { deploy: '0x2', legacy: '0x0', eip2930: '0x1', eip1559: '0x2', revert: '0x2', eip7702: '0x4' }
    for (const name of Object.keys(tx) as (keyof typeof tx)[]) {
      const byHash = await call<Record<string, unknown>>('eth_getTransactionByHash', [tx[name]])
      v.check(`eth_getTransactionByHash([${name}])`, byHash, TransactionInfo)
      v.expect(
        `eth_getTransactionByHash([${name}]).type`,
        byHash?.['type'] === types[name],
        `expected ${types[name]}, got ${show(byHash?.['type'])}`,
      )
      const { blockHash, blockNumber, transactionIndex } = byHash as { blockHash: Hash; blockNumber: Hex; transactionIndex: Hex }
      v.check(
        `eth_getTransactionByBlockHashAndIndex([${name}])`,
        await call('eth_getTransactionByBlockHashAndIndex', [blockHash, transactionIndex]),
        TransactionInfo,
      )
      v.check(
        `eth_getTransactionByBlockNumberAndIndex([${name}])`,
        await call('eth_getTransactionByBlockNumberAndIndex', [blockNumber, transactionIndex]),
        TransactionInfo,
      )
    }
    // the legacy transaction is EIP-155: its chainId is the node's
    const legacy = await call<Record<string, unknown>>('eth_getTransactionByHash', [tx.legacy])
    v.expect(
      'eth_getTransactionByHash([legacy]).chainId',
      legacy['chainId'] === '0x17f5',
      `expected "0x17f5", got ${show(legacy['chainId'])}`,
    )
    v.assertNone()
  })

  it('a queued transaction: PendingTransactionInfo with blockHash/blockNumber/transactionIndex null; txpool_status/txpool_content', async () => {
    const v = new Violations()
    const pending = await call<Record<string, unknown> | null>('eth_getTransactionByHash', [queuedHash])
    v.expect(
      'eth_getTransactionByHash([queued])',
      pending !== null,
      'a transaction in the pool is found (geth looks up pending and queued)',
    )
    if (pending !== null) {
      v.check('eth_getTransactionByHash([queued])', pending, PendingTransactionInfo)
      for (const k of ['blockHash', 'blockNumber', 'transactionIndex'])
        v.expect(`eth_getTransactionByHash([queued]).${k}`, pending[k] === null, `expected null, got ${show(pending[k])}`)
    }
    const status = await call<Record<string, unknown>>('txpool_status')
    v.check('txpool_status', status, TxpoolStatus)
    v.expect('txpool_status.queued', status['queued'] === '0x1', `expected "0x1", got ${show(status['queued'])}`)
    const content = await call<{ queued: Record<string, Record<string, unknown>> }>('txpool_content')
    v.check('txpool_content', content, TxpoolContent)
    const mine = Object.entries(content.queued).find(([a]) => a.toLowerCase() === queuedSender.address.toLowerCase())?.[1]
    v.expect(
      'txpool_content.queued',
      mine?.['5'] !== undefined,
      `expected the queued transaction under its sender and nonce "5", got ${show(content.queued)}`,
    )
    v.assertNone()
  })

  it('eth_getTransactionReceipt / eth_getBlockReceipts: ReceiptInfo for success, revert, creation and plain transfers', async () => {
    const v = new Violations()
    const receipts: Record<string, Record<string, unknown>> = {}
    for (const name of Object.keys(tx) as (keyof typeof tx)[]) {
      const r = await call<Record<string, unknown>>('eth_getTransactionReceipt', [tx[name]])
      receipts[name] = r
      v.check(`eth_getTransactionReceipt([${name}])`, r, ReceiptInfo)
      v.check(`eth_getBlockReceipts(${show(r['blockNumber'])} [${name}])`, await call('eth_getBlockReceipts', [r['blockNumber']]), {
        arrayOf: ReceiptInfo,
      })
      v.check(`eth_getBlockReceipts(hash [${name}])`, await call('eth_getBlockReceipts', [r['blockHash']]), { arrayOf: ReceiptInfo })
      v.expect(
        `eth_getTransactionReceipt([${name}]).status`,
        r['status'] === (name === 'revert' ? '0x0' : '0x1'),
        `got ${show(r['status'])}`,
      )
    }
    v.check('eth_getBlockReceipts(latest)', await call('eth_getBlockReceipts', ['latest']), { arrayOf: ReceiptInfo })
    // creation: contractAddress set, to null; everything else: contractAddress present and null
    v.expect(
      'eth_getTransactionReceipt([deploy]).contractAddress',
      receipts['deploy']!['contractAddress'] === store.toLowerCase(),
      `got ${show(receipts['deploy']!['contractAddress'])}`,
    )
    v.expect(
      'eth_getTransactionReceipt([deploy]).to',
      receipts['deploy']!['to'] === null,
      `expected null, got ${show(receipts['deploy']!['to'])}`,
    )
    for (const name of ['legacy', 'eip2930', 'eip1559', 'revert', 'eip7702']) {
      const r = receipts[name]!
      v.expect(
        `eth_getTransactionReceipt([${name}]).contractAddress`,
        'contractAddress' in r && r['contractAddress'] === null,
        `expected null, got ${show(r['contractAddress'])}`,
      )
    }
    v.expect(
      'eth_getTransactionReceipt([eip1559]).logs',
      (receipts['eip1559']!['logs'] as unknown[]).length === 1,
      'expected the Stored event',
    )
    v.expect(
      'eth_getTransactionReceipt([eip7702]).logs',
      (receipts['eip7702']!['logs'] as unknown[]).length === 1,
      'expected the Stored event of the delegated code',
    )
    v.assertNone()
  })

  it('eth_getLogs, eth_getFilterChanges (block, pending, log filters), eth_getFilterLogs', async () => {
    const v = new Violations()
    const logs = await call<unknown[]>('eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest', address: store }])
    v.check('eth_getLogs', logs, { arrayOf: Log })
    v.expect('eth_getLogs', logs.length === 2, `expected the 2 Stored events of the contract, got ${logs.length}`)
    v.check('eth_getLogs(all)', await call('eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest' }]), { arrayOf: Log })

    const blocks = await call<unknown[]>('eth_getFilterChanges', [blockFilter])
    v.check('eth_getFilterChanges(block filter)', blocks, { arrayOf: 'hash32' })
    v.expect('eth_getFilterChanges(block filter)', blocks.length >= 6, `expected the 6 new block hashes, got ${blocks.length}`)
    const pending = await call<unknown[]>('eth_getFilterChanges', [pendingFilter])
    v.check('eth_getFilterChanges(pending filter)', pending, { arrayOf: 'hash32' })
    v.expect('eth_getFilterChanges(pending filter)', pending.length >= 6, `expected the transaction hashes, got ${pending.length}`)
    const changes = await call<unknown[]>('eth_getFilterChanges', [logFilter])
    v.check('eth_getFilterChanges(log filter)', changes, { arrayOf: Log })
    v.expect('eth_getFilterChanges(log filter)', changes.length === 2, `expected 2 logs, got ${changes.length}`)
    v.check('eth_getFilterChanges(log filter, again)', await call('eth_getFilterChanges', [logFilter]), FilterResults)
    v.check('eth_getFilterLogs(log filter)', await call('eth_getFilterLogs', [logFilter]), { arrayOf: Log })
    v.assertNone()
  })

  it('filter ids are uint quantities (no leading zeros), uninstall answers a boolean', async () => {
    const v = new Violations()
    // ids are random: 200 of them make a non-canonical encoding (a leading zero digit) show up for sure
    const ids = await Promise.all(
      Array.from({ length: 200 }, (_, i) => call<unknown>(i % 2 === 0 ? 'eth_newBlockFilter' : 'eth_newPendingTransactionFilter')),
    )
    ids.push(blockFilter, pendingFilter, logFilter, await call('eth_newFilter', [{ fromBlock: 'latest' }]))
    for (const id of ids) v.check(`filter id ${show(id)}`, id, 'uint')
    for (const id of ids) v.check(`eth_uninstallFilter(${show(id)})`, await call('eth_uninstallFilter', [id]), 'bool')
    v.assertNone()
  })

  it('eth_feeHistory with and without rewardPercentiles', async () => {
    const v = new Violations()
    const withRewards = await call<Record<string, unknown[]>>('eth_feeHistory', ['0x4', 'latest', [25, 75]])
    v.check('eth_feeHistory(4, latest, [25, 75])', withRewards, FeeHistory)
    v.expect(
      'eth_feeHistory(4, latest, [25, 75]).reward',
      withRewards['reward']?.length === 4,
      `expected 4 rows, got ${show(withRewards['reward'])}`,
    )
    v.expect(
      'eth_feeHistory(4, latest, [25, 75]).reward[*]',
      (withRewards['reward'] ?? []).every((row) => Array.isArray(row) && row.length === 2),
      'expected 2 percentiles per block',
    )
    v.expect('eth_feeHistory.baseFeePerGas', withRewards['baseFeePerGas']?.length === 5, 'expected blockCount + 1 base fees')
    v.check('eth_feeHistory(4, latest, [])', await call('eth_feeHistory', ['0x4', 'latest', []]), FeeHistory)
    v.check('eth_feeHistory(4, latest)', await call('eth_feeHistory', ['0x4', 'latest']), FeeHistory)
    v.check('eth_feeHistory(1, 0x1, [50])', await call('eth_feeHistory', ['0x1', '0x1', [50]]), FeeHistory)
    v.assertNone()
  })

  it('eth_getProof, eth_createAccessList, eth_syncing', async () => {
    const v = new Violations()
    const proof = await call<{ storageProof: unknown[] }>('eth_getProof', [store, [SLOT0], 'latest'])
    v.check('eth_getProof(contract, [slot 0])', proof, AccountProof)
    v.expect('eth_getProof(contract, [slot 0]).storageProof', proof.storageProof.length === 1, 'expected one storage proof')
    v.check('eth_getProof(eoa, [])', await call('eth_getProof', [sender.address, [], 'latest']), AccountProof)
    v.check('eth_getProof(unused account, [slot 0])', await call('eth_getProof', [devAccount(19).address, [SLOT0], '0x1']), AccountProof)

    const list = await call<Record<string, unknown>>('eth_createAccessList', [
      { from: sender.address, to: store, data: encodeFunctionData({ abi, functionName: 'set', args: [9n] }) },
      'latest',
    ])
    v.check('eth_createAccessList(set)', list, AccessListResult)
    v.expect(
      'eth_createAccessList(set)',
      Array.isArray(list['accessList']) && typeof list['gasUsed'] === 'string',
      `expected accessList and gasUsed, got ${show(list)}`,
    )
    v.check(
      'eth_createAccessList(fail)',
      await call('eth_createAccessList', [{ from: sender.address, to: store, data: encodeFunctionData({ abi, functionName: 'fail' }) }]),
      AccessListResult,
    )

    const syncing = await call('eth_syncing')
    v.check('eth_syncing', syncing, SyncingStatus)
    v.expect('eth_syncing', syncing === false, `expected false on a dev node, got ${show(syncing)}`)
    v.assertNone()
  })

  it('scalar answers: uint, bytes, hash32, addresses, strings', async () => {
    const v = new Violations()
    const storeCall = { to: store, data: encodeFunctionData({ abi, functionName: 'stored' }) }
    const uints: [string, unknown[]][] = [
      ['eth_chainId', []],
      ['eth_blockNumber', []],
      ['eth_gasPrice', []],
      ['eth_maxPriorityFeePerGas', []],
      ['eth_blobBaseFee', []],
      ['eth_getBalance', [sender.address, 'latest']],
      ['eth_getBalance', [devAccount(19).address, 'earliest']],
      ['eth_getBalance', [`0x${'0'.repeat(40)}`, 'latest']],
      ['eth_getTransactionCount', [sender.address, 'latest']],
      ['eth_getTransactionCount', [devAccount(19).address, 'pending']],
      ['eth_estimateGas', [{ from: sender.address, to: devAccount(1).address, value: '0x1' }]],
      ['eth_estimateGas', [{ from: sender.address, ...storeCall }]],
      ['eth_getBlockTransactionCountByNumber', ['latest']],
      ['eth_getBlockTransactionCountByNumber', ['0x0']],
    ]
    for (const [m, p] of uints) v.check(`${m}(${show(p)})`, await call(m, p), 'uint')
    const latest = await call<{ hash: Hash }>('eth_getBlockByNumber', ['latest', false])
    v.check('eth_getBlockTransactionCountByHash(latest)', await call('eth_getBlockTransactionCountByHash', [latest.hash]), 'uint')
    v.expect('eth_chainId', (await call('eth_chainId')) === '0x17f5', 'expected "0x17f5"')

    v.check('eth_getCode(contract)', await call('eth_getCode', [store, 'latest']), 'bytes')
    v.check('eth_getCode(eoa)', await call('eth_getCode', [sender.address, 'latest']), 'bytes')
    v.check('eth_getCode(delegated eoa)', await call('eth_getCode', [authority.address, 'latest']), 'bytes')
    v.check('eth_call(stored)', await call('eth_call', [storeCall, 'latest']), 'bytes')
    v.check(
      'eth_call(transfer)',
      await call('eth_call', [{ from: sender.address, to: devAccount(1).address, value: '0x1' }, 'latest']),
      'bytes',
    )
    v.check('eth_getStorageAt(contract, 0x0)', await call('eth_getStorageAt', [store, '0x0', 'latest']), 'hash32')
    v.check('eth_getStorageAt(eoa, 0x5)', await call('eth_getStorageAt', [sender.address, '0x5', 'latest']), 'hash32')

    const accounts = await call<unknown[]>('eth_accounts')
    v.check('eth_accounts', accounts, { arrayOf: 'address' })
    v.expect('eth_accounts', accounts.length > 0, 'expected the dev accounts')
    const version = await call('web3_clientVersion')
    v.check('web3_clientVersion', version, 'string')
    v.expect('web3_clientVersion', typeof version === 'string' && version.length > 0, 'expected a non-empty string')
    const net = await call('net_version')
    v.check('net_version', net, 'decimal')
    v.expect('net_version', net === String(DEV_CHAIN_ID), `expected "${DEV_CHAIN_ID}", got ${show(net)}`)
    v.assertNone()
  })

  it('null where not found', async () => {
    const v = new Violations()
    const head = BigInt(await call<Hex>('eth_blockNumber'))
    const future = `0x${(head + 1000n).toString(16)}`
    const latest = await call<{ hash: Hash }>('eth_getBlockByNumber', ['latest', false])
    const nulls: [string, unknown[]][] = [
      ['eth_getBlockByHash', [UNKNOWN_HASH, false]],
      ['eth_getBlockByHash', [UNKNOWN_HASH, true]],
      ['eth_getBlockByNumber', [future, false]],
      ['eth_getBlockByNumber', [future, true]],
      ['eth_getTransactionByHash', [UNKNOWN_HASH]],
      ['eth_getTransactionReceipt', [UNKNOWN_HASH]],
      ['eth_getTransactionReceipt', [queuedHash]], // in the pool, not mined: no receipt
      ['eth_getBlockTransactionCountByHash', [UNKNOWN_HASH]],
      ['eth_getBlockTransactionCountByNumber', [future]],
      ['eth_getTransactionByBlockHashAndIndex', [latest.hash, '0x64']],
      ['eth_getTransactionByBlockHashAndIndex', [UNKNOWN_HASH, '0x0']],
      ['eth_getTransactionByBlockNumberAndIndex', ['latest', '0x64']],
      ['eth_getTransactionByBlockNumberAndIndex', [future, '0x0']],
      ['eth_getBlockReceipts', [UNKNOWN_HASH]],
      ['eth_getBlockReceipts', [future]],
    ]
    for (const [m, p] of nulls) {
      const r = await rpc<unknown>(node.url, m, p).catch((e: Error) => ({ error: e.message }))
      v.expect(`${m}(${show(p)})`, r === null, `expected null, got ${show(r)}`)
    }
    v.assertNone()
  })

  it('eth_subscribe: ids are uint; newHeads, logs and newPendingTransactions notifications have their shapes', async () => {
    const v = new Violations()
    for (const [name, id] of [
      ['newHeads', subHeads],
      ['logs', subLogs],
      ['newPendingTransactions', subPending],
    ] as const)
      v.check(`eth_subscribe(${name}) id`, id, 'uint')
    // ids are random: 150 more make a non-canonical encoding (a leading zero digit) show up for sure
    const more = await Promise.all(Array.from({ length: 150 }, () => ws.call<unknown>('eth_subscribe', ['newHeads'])))
    for (const id of more) v.check(`eth_subscribe(newHeads) id ${show(id)}`, id, 'uint')
    for (const id of more) v.check(`eth_unsubscribe(${show(id)})`, await ws.call('eth_unsubscribe', [id]), 'bool')

    const isNote = (sub: string) => (m: { method?: string; params?: { subscription?: string } }) =>
      m?.method === 'eth_subscription' && m.params?.subscription === sub
    // every block made since the subscription (6), every log of the contract (2), the transactions added (6 mined + 1 queued)
    const expectNotes = async (what: string, sub: string, count: number, shape: Shape): Promise<void> => {
      for (let i = 0; i < count; i++) {
        const note = await within(ws.waitFor(isNote(sub)), 5_000)
        v.expect(`${what} notification ${i}`, note !== undefined, 'not received within 5 s')
        if (note === undefined) return
        v.check(`${what} notification ${i}`, note, shape)
      }
    }
    await expectNotes('newHeads', subHeads, 6, Notification('newHeads', Header))
    await expectNotes('logs', subLogs, 2, Notification('logs', Log))
    await expectNotes('newPendingTransactions(true)', subPending, 6, Notification('newPendingTransactions', PendingTransactionInfo))
    v.assertNone()
  })
})
