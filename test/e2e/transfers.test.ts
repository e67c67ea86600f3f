// Value transfers against real `parsd --dev` processes, the way a wallet or a script does them with
// viem: node-signed (eth_sendTransaction) and locally signed (eth_sendRawTransaction) transactions of
// every type, nonces, receipts and lookups, block tags, fees, the pool, and one block per transaction
// with --block-time 0.
import {
  createPublicClient,
  createWalletClient,
  http,
  keccak256,
  type Address,
  type Chain,
  type Hash,
  type PublicClient,
  type TransactionReceipt,
} from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEV_CHAIN_ID, startNode, type RunningNode } from './helpers/node.js'
import { DEV_BALANCE, devAccount, parsChain, rpc } from './helpers/rpc.js'

const COINBASE: Address = '0x00000000000000000000000000000000c0ffee00'
const GWEI = 1_000_000_000n

function freshAddress(): Address {
  return privateKeyToAccount(generatePrivateKey()).address
}

describe('transfers on a dev node (block time 250 ms)', () => {
  let node: RunningNode
  let chain: Chain
  let pc: PublicClient

  beforeAll(async () => {
    node = await startNode({ blockTime: 250, args: ['--coinbase', COINBASE] })
    chain = parsChain(node.url)
    pc = createPublicClient({ chain, transport: http(node.url) })
  })
  afterAll(async () => {
    await node?.dispose()
  })

  const receipt = (hash: Hash): Promise<TransactionReceipt> => pc.waitForTransactionReceipt({ hash, pollingInterval: 50, timeout: 30_000 })

  /** The coinbase gets exactly the tips of a block: sum of gasUsed * (effectiveGasPrice - baseFee). */
  async function expectCoinbasePaidTips(blockNumber: bigint): Promise<void> {
    const block = await pc.getBlock({ blockNumber })
    const receipts = await pc.getBlockReceipts({ blockNumber })
    const tips = receipts.reduce((s, r) => s + r.gasUsed * (r.effectiveGasPrice - block.baseFeePerGas!), 0n)
    const before = await pc.getBalance({ address: COINBASE, blockNumber: blockNumber - 1n })
    const after = await pc.getBalance({ address: COINBASE, blockNumber })
    expect(after - before).toBe(tips)
  }

  it('eth_accounts lists the 20 dev accounts of the test mnemonic', async () => {
    const accounts = await rpc<string[]>(node.url, 'eth_accounts')
    expect(accounts).toHaveLength(20)
    for (let i = 0; i < 20; i++) expect(accounts[i]!.toLowerCase()).toBe(devAccount(i).address.toLowerCase())
    expect(await pc.getBalance({ address: devAccount(19).address, blockTag: 'earliest' })).toBe(DEV_BALANCE)
  })

  it('eth_sendTransaction from a dev account (the node signs): balances change by exactly value + gasUsed * effectiveGasPrice', async () => {
    const from = devAccount(1).address
    const to = freshAddress()
    const value = 123_456_789_000_000_000n
    const wallet = createWalletClient({ account: from, chain, transport: http(node.url) })
    const hash = await wallet.sendTransaction({ to, value })
    const r = await receipt(hash)
    expect(r.status).toBe('success')
    expect(r.from.toLowerCase()).toBe(from.toLowerCase())
    expect(r.to?.toLowerCase()).toBe(to.toLowerCase())
    expect(r.gasUsed).toBe(21_000n)
    expect(r.cumulativeGasUsed).toBeGreaterThanOrEqual(r.gasUsed)
    expect(r.type).toBe('eip1559')
    expect(r.contractAddress ?? null).toBeNull()

    const block = await pc.getBlock({ blockNumber: r.blockNumber })
    expect(block.hash).toBe(r.blockHash)
    expect(r.effectiveGasPrice).toBeGreaterThanOrEqual(block.baseFeePerGas!)

    const fromBefore = await pc.getBalance({ address: from, blockNumber: r.blockNumber - 1n })
    const fromAfter = await pc.getBalance({ address: from, blockNumber: r.blockNumber })
    expect(fromBefore - fromAfter).toBe(value + r.gasUsed * r.effectiveGasPrice)
    expect(await pc.getBalance({ address: to, blockNumber: r.blockNumber - 1n })).toBe(0n)
    expect(await pc.getBalance({ address: to })).toBe(value)
    await expectCoinbasePaidTips(r.blockNumber)

    const tx = await pc.getTransaction({ hash })
    expect(tx.from.toLowerCase()).toBe(from.toLowerCase())
    expect(tx.to?.toLowerCase()).toBe(to.toLowerCase())
    expect(tx.value).toBe(value)
    expect(tx.chainId).toBe(DEV_CHAIN_ID)
    expect(tx.blockHash).toBe(r.blockHash)
    expect(tx.transactionIndex).toBe(r.transactionIndex)
  })

  it('eth_sendRawTransaction: legacy (EIP-155), EIP-2930 and EIP-1559 transactions signed locally', async () => {
    const account = devAccount(2)
    const wallet = createWalletClient({ account, chain, transport: http(node.url) })
    const to = freshAddress()
    const slot = `0x${'00'.repeat(31)}07` as const
    const gasPrice = await pc.getGasPrice()
    const nonce0 = await pc.getTransactionCount({ address: account.address, blockTag: 'pending' })

    // sign locally, submit raw: the node answers with the hash of the signed bytes
    const rawLegacy = await wallet.signTransaction({ type: 'legacy', to, value: 1n, gasPrice, gas: 21_000n, nonce: nonce0 })
    const rawAccessList = await wallet.signTransaction({
      type: 'eip2930',
      to,
      value: 2n,
      gasPrice,
      nonce: nonce0 + 1,
      accessList: [{ address: to, storageKeys: [slot] }],
      gas: 30_000n,
    })
    const rawFeeMarket = await wallet.signTransaction({
      type: 'eip1559',
      to,
      value: 3n,
      maxFeePerGas: 100n * GWEI,
      maxPriorityFeePerGas: 2n * GWEI,
      gas: 21_000n,
      nonce: nonce0 + 2,
    })
    const hashes: Hash[] = []
    for (const raw of [rawLegacy, rawAccessList, rawFeeMarket]) {
      const h = await pc.sendRawTransaction({ serializedTransaction: raw })
      expect(h).toBe(keccak256(raw))
      hashes.push(h)
    }
    const [legacy, accessList, feeMarket] = await Promise.all(hashes.map(receipt))
    for (const r of [legacy!, accessList!, feeMarket!]) expect(r.status).toBe('success')
    expect(legacy!.type).toBe('legacy')
    expect(accessList!.type).toBe('eip2930')
    expect(feeMarket!.type).toBe('eip1559')
    // 21000 + one address (2400) + one storage key (1900) for the access-list transaction
    expect(accessList!.gasUsed).toBe(21_000n + 2_400n + 1_900n)
    expect(legacy!.effectiveGasPrice).toBe(gasPrice)
    expect(accessList!.effectiveGasPrice).toBe(gasPrice)
    const base = (await pc.getBlock({ blockNumber: feeMarket!.blockNumber })).baseFeePerGas!
    expect(feeMarket!.effectiveGasPrice).toBe(base + 2n * GWEI)

    const txLegacy = await pc.getTransaction({ hash: hashes[0]! })
    expect(txLegacy.type).toBe('legacy')
    expect(txLegacy.chainId).toBe(DEV_CHAIN_ID)
    expect([BigInt(DEV_CHAIN_ID) * 2n + 35n, BigInt(DEV_CHAIN_ID) * 2n + 36n]).toContain(txLegacy.v)
    expect(txLegacy.gasPrice).toBe(gasPrice)
    expect(txLegacy.nonce).toBe(nonce0)

    const txAl = await pc.getTransaction({ hash: hashes[1]! })
    expect(txAl.type).toBe('eip2930')
    expect(txAl.accessList?.map((e) => ({ address: e.address.toLowerCase(), storageKeys: e.storageKeys }))).toEqual([
      { address: to.toLowerCase(), storageKeys: [slot] },
    ])
    expect([0, 1]).toContain(txAl.yParity)

    const tx1559 = await pc.getTransaction({ hash: hashes[2]! })
    expect(tx1559.type).toBe('eip1559')
    expect(tx1559.maxFeePerGas).toBe(100n * GWEI)
    expect(tx1559.maxPriorityFeePerGas).toBe(2n * GWEI)
    expect(tx1559.nonce).toBe(nonce0 + 2)

    expect(await pc.getBalance({ address: to })).toBe(6n)
    expect(await pc.getTransactionCount({ address: account.address })).toBe(nonce0 + 3)
  })

  it('quick successive sends: getTransactionCount(pending) counts the pool, and the transactions land in nonce order', async () => {
    const account = devAccount(3)
    const wallet = createWalletClient({ account, chain, transport: http(node.url) })
    const to = freshAddress()
    const start = await pc.getTransactionCount({ address: account.address, blockTag: 'pending' })
    const hashes: Hash[] = []
    for (let i = 0; i < 8; i++) {
      // viem reads the nonce with eth_getTransactionCount(address, 'pending') for every send
      hashes.push(await wallet.sendTransaction({ to, value: BigInt(i + 1) }))
      expect(await pc.getTransactionCount({ address: account.address, blockTag: 'pending' })).toBe(start + i + 1)
    }
    const receipts = await Promise.all(hashes.map(receipt))
    const txs = await Promise.all(hashes.map((hash) => pc.getTransaction({ hash })))
    expect(txs.map((t) => t.nonce)).toEqual(hashes.map((_, i) => start + i))
    // chain order (block, index) is nonce order
    const order = receipts
      .map((r, i) => ({ i, block: r.blockNumber, index: r.transactionIndex }))
      .sort((a, b) => (a.block === b.block ? a.index - b.index : a.block < b.block ? -1 : 1))
      .map((x) => x.i)
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    expect(await pc.getBalance({ address: to })).toBe(36n)
    expect(await pc.getTransactionCount({ address: account.address, blockTag: 'latest' })).toBe(start + 8)
  })

  it('quick successive eth_sendTransaction calls: the node fills distinct nonces from its pool', async () => {
    const from = devAccount(4).address
    const wallet = createWalletClient({ account: from, chain, transport: http(node.url) })
    const to = freshAddress()
    const start = await pc.getTransactionCount({ address: from })
    const hashes: Hash[] = []
    for (let i = 0; i < 4; i++) hashes.push(await wallet.sendTransaction({ to, value: 10n }))
    await Promise.all(hashes.map(receipt))
    const nonces = (await Promise.all(hashes.map((hash) => pc.getTransaction({ hash })))).map((t) => t.nonce)
    expect(nonces).toEqual([start, start + 1, start + 2, start + 3])
    expect(await pc.getBalance({ address: to })).toBe(40n)
  })

  it('transactions, receipts and blocks are found by hash, by block and index, with full transactions', async () => {
    const account = devAccount(6)
    const wallet = createWalletClient({ account, chain, transport: http(node.url) })
    const to = freshAddress()
    const hashes = [await wallet.sendTransaction({ to, value: 1n }), await wallet.sendTransaction({ to, value: 2n })]
    const receipts = await Promise.all(hashes.map(receipt))
    for (const r of receipts) {
      const byNumber = await pc.getBlock({ blockNumber: r.blockNumber, includeTransactions: true })
      const byHash = await pc.getBlock({ blockHash: r.blockHash, includeTransactions: true })
      expect(byHash).toEqual(byNumber)
      expect(byNumber.hash).toBe(r.blockHash)
      expect(byNumber.number).toBe(r.blockNumber)
      const full = byNumber.transactions[r.transactionIndex]!
      expect(full.hash).toBe(r.transactionHash)
      expect(await pc.getTransaction({ hash: r.transactionHash })).toEqual(full)
      expect(await pc.getTransaction({ blockHash: r.blockHash, index: r.transactionIndex })).toEqual(full)
      expect(await pc.getTransaction({ blockNumber: r.blockNumber, index: r.transactionIndex })).toEqual(full)
      expect(await pc.getBlockTransactionCount({ blockNumber: r.blockNumber })).toBe(byNumber.transactions.length)
      expect(await pc.getBlockTransactionCount({ blockHash: r.blockHash })).toBe(byNumber.transactions.length)

      const hashesOnly = await pc.getBlock({ blockNumber: r.blockNumber })
      expect(hashesOnly.transactions).toEqual(byNumber.transactions.map((t) => t.hash))
      const blockReceipts = await pc.getBlockReceipts({ blockHash: r.blockHash })
      expect(blockReceipts.map((x) => x.transactionHash)).toEqual(hashesOnly.transactions)
      expect(blockReceipts[r.transactionIndex]).toEqual(await pc.getTransactionReceipt({ hash: r.transactionHash }))
      expect(byNumber.parentHash).toBe((await pc.getBlock({ blockNumber: r.blockNumber - 1n })).hash)
    }
    // unknown things are null, not errors
    const unknown = `0x${'ab'.repeat(32)}`
    expect(await rpc(node.url, 'eth_getTransactionByHash', [unknown])).toBeNull()
    expect(await rpc(node.url, 'eth_getTransactionReceipt', [unknown])).toBeNull()
    expect(await rpc(node.url, 'eth_getBlockByHash', [unknown, false])).toBeNull()
    expect(await rpc(node.url, 'eth_getBlockByNumber', ['0xffffff', false])).toBeNull()
    expect(
      await rpc(node.url, 'eth_getTransactionByBlockNumberAndIndex', [`0x${receipts[0]!.blockNumber.toString(16)}`, '0x63']),
    ).toBeNull()
  })

  it('block tags: latest, pending, safe, finalized (dev blocks are final at once) and earliest', async () => {
    const wallet = createWalletClient({ account: devAccount(7), chain, transport: http(node.url) })
    const r = await receipt(await wallet.sendTransaction({ to: freshAddress(), value: 1n }))
    const latest = await pc.getBlock({ blockTag: 'latest' })
    expect(latest.number).toBeGreaterThanOrEqual(r.blockNumber)
    expect(await pc.getBlockNumber({ cacheTime: 0 })).toBe(latest.number)
    const safe = await pc.getBlock({ blockTag: 'safe' })
    const finalized = await pc.getBlock({ blockTag: 'finalized' })
    expect(finalized.number).toBe(latest.number)
    expect(safe.number).toBe(latest.number)
    expect(safe.hash).toBe(latest.hash)
    const pending = await pc.getBlock({ blockTag: 'pending' })
    expect(pending.number).toBeGreaterThanOrEqual(latest.number)
    const earliest = await pc.getBlock({ blockTag: 'earliest' })
    expect(earliest.number).toBe(0n)
    expect(earliest.parentHash).toBe(`0x${'00'.repeat(32)}`)
    expect(earliest.hash).toBe((await pc.getBlock({ blockNumber: 0n })).hash)
    // state by tag
    expect(await pc.getBalance({ address: devAccount(7).address, blockTag: 'earliest' })).toBe(DEV_BALANCE)
    const nowBalance = await pc.getBalance({ address: devAccount(7).address, blockTag: 'latest' })
    expect(await pc.getBalance({ address: devAccount(7).address, blockTag: 'finalized' })).toBe(nowBalance)
    expect(await pc.getBalance({ address: devAccount(7).address, blockTag: 'safe' })).toBe(nowBalance)
    expect(nowBalance).toBeLessThan(DEV_BALANCE)
  })

  it('eth_feeHistory, eth_gasPrice and eth_maxPriorityFeePerGas agree with the blocks', async () => {
    const latest = await pc.getBlockNumber({ cacheTime: 0 })
    expect(latest).toBeGreaterThanOrEqual(4n)
    const h = await pc.getFeeHistory({ blockCount: 4, blockTag: 'latest', rewardPercentiles: [10, 50, 90] })
    expect(h.oldestBlock).toBe(latest - 3n)
    expect(h.baseFeePerGas).toHaveLength(5)
    expect(h.gasUsedRatio).toHaveLength(4)
    expect(h.reward).toHaveLength(4)
    for (let i = 0; i < 4; i++) {
      const b = await pc.getBlock({ blockNumber: h.oldestBlock + BigInt(i) })
      expect(h.baseFeePerGas[i]).toBe(b.baseFeePerGas)
      expect(h.gasUsedRatio[i]).toBeCloseTo(Number(b.gasUsed) / Number(b.gasLimit), 12)
      expect(h.reward![i]).toHaveLength(3)
    }
    // the extra entry is the next block's base fee, what eth_gasPrice builds on
    const tip = await pc.estimateMaxPriorityFeePerGas()
    expect(tip).toBe(await pc.request({ method: 'eth_maxPriorityFeePerGas' }).then(BigInt))
    expect(tip).toBeGreaterThan(0n)
    const gasPrice = await pc.getGasPrice()
    expect(gasPrice).toBe(h.baseFeePerGas[4]! + tip)

    // the fees viem derives from these are accepted and mined
    const fees = await pc.estimateFeesPerGas()
    const wallet = createWalletClient({ account: devAccount(8), chain, transport: http(node.url) })
    const r = await receipt(await wallet.sendTransaction({ to: freshAddress(), value: 1n, ...fees }))
    expect(r.status).toBe('success')
    // the block with only that 1 gwei-tip transaction pays 1 gwei at every percentile
    const hr = await pc.getFeeHistory({ blockCount: 1, blockNumber: r.blockNumber, rewardPercentiles: [50] })
    // (tests here run one after another: that transaction is alone in its block)
    expect(await pc.getBlockTransactionCount({ blockNumber: r.blockNumber })).toBe(1)
    const base = (await pc.getBlock({ blockNumber: r.blockNumber })).baseFeePerGas!
    expect(hr.reward![0]![0]).toBe(r.effectiveGasPrice - base)
  })

  it('txpool: a future-nonce transaction waits in queued, and is promoted and mined when the gap is filled', async () => {
    const account = devAccount(5)
    const wallet = createWalletClient({ account, chain, transport: http(node.url) })
    const to = freshAddress()
    const n = await pc.getTransactionCount({ address: account.address, blockTag: 'pending' })
    const fees = { maxFeePerGas: 50n * GWEI, maxPriorityFeePerGas: GWEI, gas: 21_000n }
    const rawLater = await wallet.signTransaction({ to, value: 2n, nonce: n + 1, ...fees })
    const later = await pc.sendRawTransaction({ serializedTransaction: rawLater })

    expect(await rpc(node.url, 'txpool_status')).toEqual({ pending: '0x0', queued: '0x1' })
    const content = await rpc<{
      pending: Record<string, Record<string, { hash: string; nonce: string }>>
      queued: Record<string, Record<string, { hash: string; nonce: string }>>
    }>(node.url, 'txpool_content')
    const sender = Object.keys(content.queued).find((a) => a.toLowerCase() === account.address.toLowerCase())
    expect(sender, JSON.stringify(content)).toBeDefined()
    expect(content.queued[sender!]![String(n + 1)]!.hash).toBe(later)
    expect(content.queued[sender!]![String(n + 1)]!.nonce).toBe(`0x${(n + 1).toString(16)}`)
    expect(Object.keys(content.pending)).toHaveLength(0)
    // the gap keeps the pending nonce where it was; the pool still knows the transaction
    expect(await pc.getTransactionCount({ address: account.address, blockTag: 'pending' })).toBe(n)
    const pooled = await pc.getTransaction({ hash: later })
    expect(pooled.blockNumber).toBeNull()
    expect(pooled.nonce).toBe(n + 1)

    const first = await pc.sendRawTransaction({ serializedTransaction: await wallet.signTransaction({ to, value: 1n, nonce: n, ...fees }) })
    const [r1, r2] = await Promise.all([receipt(first), receipt(later)])
    expect(r1!.status).toBe('success')
    expect(r2!.status).toBe('success')
    expect(r1!.blockNumber < r2!.blockNumber || (r1!.blockNumber === r2!.blockNumber && r1!.transactionIndex < r2!.transactionIndex)).toBe(
      true,
    )
    expect(await rpc(node.url, 'txpool_status')).toEqual({ pending: '0x0', queued: '0x0' })
    expect(await rpc(node.url, 'txpool_content')).toEqual({ pending: {}, queued: {} })
    expect(await pc.getBalance({ address: to })).toBe(3n)
  })
})

describe('--block-time 0: one block per transaction', () => {
  let node: RunningNode
  let pc: PublicClient
  let chain: Chain
  const receipt = (hash: Hash): Promise<TransactionReceipt> => pc.waitForTransactionReceipt({ hash, pollingInterval: 50, timeout: 30_000 })

  beforeAll(async () => {
    node = await startNode({ blockTime: 0, args: ['--coinbase', COINBASE] })
    chain = parsChain(node.url)
    pc = createPublicClient({ chain, transport: http(node.url) })
  })
  afterAll(async () => {
    await node?.dispose()
  })

  it('every transaction gets its own block, in nonce order, and no empty blocks are made', async () => {
    const account = devAccount(1)
    const wallet = createWalletClient({ account, chain, transport: http(node.url) })
    const to = freshAddress()
    const fees = { maxFeePerGas: 50n * GWEI, maxPriorityFeePerGas: GWEI, gas: 21_000n }
    const n0 = await pc.getTransactionCount({ address: account.address, blockTag: 'pending' })
    const hashes: Hash[] = []
    // signed first, then sent back to back, so several are in the pool at once
    const raws = await Promise.all([0, 1, 2, 3, 4].map((i) => wallet.signTransaction({ to, value: BigInt(i + 1), nonce: n0 + i, ...fees })))
    for (const raw of raws) hashes.push(await pc.sendRawTransaction({ serializedTransaction: raw }))
    const receipts = await Promise.all(hashes.map((hash) => pc.waitForTransactionReceipt({ hash, pollingInterval: 50, timeout: 30_000 })))
    const numbers = receipts.map((r) => r.blockNumber)
    for (let i = 1; i < numbers.length; i++) expect(numbers[i]).toBe(numbers[i - 1]! + 1n)
    for (const r of receipts) {
      expect(r.transactionIndex).toBe(0)
      expect(await pc.getBlockTransactionCount({ blockNumber: r.blockNumber })).toBe(1)
      const block = await pc.getBlock({ blockNumber: r.blockNumber })
      // the coinbase gets exactly this transaction's tip
      const paid =
        (await pc.getBalance({ address: COINBASE, blockNumber: r.blockNumber })) -
        (await pc.getBalance({ address: COINBASE, blockNumber: r.blockNumber - 1n }))
      expect(paid).toBe(r.gasUsed * (r.effectiveGasPrice - block.baseFeePerGas!))
    }
    const head = await pc.getBlockNumber({ cacheTime: 0 })
    expect(head).toBe(numbers.at(-1))
    // this node only ever saw these transactions: blocks 1..head hold exactly one each
    expect(head).toBe(5n)
    for (let b = 1n; b <= head; b++) expect(await pc.getBlockTransactionCount({ blockNumber: b })).toBe(1)
    expect(await pc.getBalance({ address: to })).toBe(15n)
  })

  it('a future-nonce transaction is answered at once (it waits in the pool) and is mined when the gap is filled', async () => {
    // Automine answers eth_sendRawTransaction once the transaction is in a block; a transaction
    // that cannot be mined yet (nonce gap) must still be answered with its hash, as anvil and
    // Hardhat do, not left hanging until a later transaction fills the gap.
    const account = devAccount(2)
    const wallet = createWalletClient({ account, chain, transport: http(node.url) })
    const to = freshAddress()
    const fees = { maxFeePerGas: 50n * GWEI, maxPriorityFeePerGas: GWEI, gas: 21_000n }
    const n = await pc.getTransactionCount({ address: account.address, blockTag: 'pending' })
    const later = await wallet.signTransaction({ to, value: 2n, nonce: n + 1, ...fees })
    const first = await wallet.signTransaction({ to, value: 1n, nonce: n, ...fees })
    expect(await rpc(node.url, 'eth_sendRawTransaction', [later], 5_000)).toBe(keccak256(later))
    expect(await rpc(node.url, 'txpool_status')).toEqual({ pending: '0x0', queued: '0x1' })
    expect(await rpc(node.url, 'eth_sendRawTransaction', [first], 5_000)).toBe(keccak256(first))
    const [r1, r2] = await Promise.all([receipt(keccak256(first)), receipt(keccak256(later))])
    expect(r2!.blockNumber).toBe(r1!.blockNumber + 1n)
    expect(await pc.getBalance({ address: to })).toBe(3n)
  })
})
