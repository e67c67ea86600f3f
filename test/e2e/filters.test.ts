// Filters and subscriptions on a real `parsd --dev` process: polling filters over HTTP (as viem's
// createEventFilter/createBlockFilter/getFilterChanges use them) and eth_subscribe over WebSocket,
// through viem's watch* actions and through a raw `ws` socket. Every wait is on an event.
import {
  createPublicClient,
  createWalletClient,
  encodeFunctionData,
  http,
  keccak256,
  pad,
  parseAbi,
  toHex,
  webSocket,
  type Address,
  type Block,
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
import { RawWs, compileSolidity, devAccount, parsChain, rpc, rpcError } from './helpers/rpc.js'

const SOURCE = `
// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
contract Emitter {
    event Tick(uint256 indexed kind, uint256 value);
    event Tock(address indexed who);
    function tick(uint256 kind, uint256 value) external { emit Tick(kind, value); }
    function tock() external { emit Tock(msg.sender); }
    function both(uint256 kind) external { emit Tick(kind, 0); emit Tock(msg.sender); }
}
`
const abi = parseAbi([
  'event Tick(uint256 indexed kind, uint256 value)',
  'event Tock(address indexed who)',
  'function tick(uint256 kind, uint256 value)',
  'function tock()',
  'function both(uint256 kind)',
])
const TICK = keccak256(toHex('Tick(uint256,uint256)'))
const TOCK = keccak256(toHex('Tock(address)'))

/** A promise and the function that resolves it: callbacks resolve, tests await. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

describe('filters and subscriptions on a dev node', () => {
  let node: RunningNode
  let chain: Chain
  let pc: PublicClient
  let wallet: WalletClient
  let emitter: Address
  let emitter2: Address
  const sender = devAccount(0)

  const receipt = (hash: Hash): Promise<TransactionReceipt> => pc.waitForTransactionReceipt({ hash, pollingInterval: 50, timeout: 30_000 })
  const send = async (to: Address, data: Hex): Promise<TransactionReceipt> =>
    receipt(await wallet.sendTransaction({ to, data, account: sender, chain }))
  const tick = (kind: bigint, value: bigint, to: Address = emitter) =>
    send(to, encodeFunctionData({ abi, functionName: 'tick', args: [kind, value] }))
  const tock = (to: Address = emitter) => send(to, encodeFunctionData({ abi, functionName: 'tock' }))
  const transfer = async (): Promise<Hash> =>
    wallet.sendTransaction({ to: privateKeyToAccount(generatePrivateKey()).address, value: 1n, account: sender, chain })

  beforeAll(async () => {
    const { Emitter } = compileSolidity(SOURCE)
    node = await startNode({ blockTime: 0 })
    chain = parsChain(node.url)
    pc = createPublicClient({ chain, transport: http(node.url) })
    wallet = createWalletClient({ account: sender, chain, transport: http(node.url) })
    emitter = (await receipt(await wallet.deployContract({ abi: Emitter!.abi, bytecode: Emitter!.bytecode, account: sender, chain })))
      .contractAddress!
    emitter2 = (await receipt(await wallet.deployContract({ abi: Emitter!.abi, bytecode: Emitter!.bytecode, account: sender, chain })))
      .contractAddress!
  })
  afterAll(async () => {
    await node?.dispose()
  })

  describe('polling filters (HTTP)', () => {
    it('eth_newBlockFilter: getFilterChanges returns each new block hash once, in order', async () => {
      const filter = await pc.createBlockFilter()
      expect(await pc.getFilterChanges({ filter })).toEqual([])
      const r1 = await tock()
      const r2 = await tock()
      expect(await pc.getFilterChanges({ filter })).toEqual([r1.blockHash, r2.blockHash])
      expect(await pc.getFilterChanges({ filter })).toEqual([])
      expect(await pc.uninstallFilter({ filter })).toBe(true)
    })

    it('eth_newPendingTransactionFilter: getFilterChanges returns the hashes of arriving transactions', async () => {
      const filter = await pc.createPendingTransactionFilter()
      const h1 = await transfer()
      const h2 = await transfer()
      expect(await pc.getFilterChanges({ filter })).toEqual([h1, h2])
      await Promise.all([receipt(h1), receipt(h2)])
      expect(await pc.getFilterChanges({ filter })).toEqual([])
      expect(await pc.uninstallFilter({ filter })).toBe(true)
    })

    it('eth_newFilter: only matching logs, getFilterLogs over its range, uninstall', async () => {
      const from = await pc.getBlockNumber({ cacheTime: 0 })
      // Tick with kind 1 or 3 at the first emitter only
      const filter = await pc.createContractEventFilter({
        address: emitter,
        abi,
        eventName: 'Tick',
        args: { kind: [1n, 3n] },
        fromBlock: from,
      })
      const hit1 = await tick(1n, 10n)
      await tick(2n, 20n) // other kind
      await tick(1n, 30n, emitter2) // other address
      await tock() // other event
      const hit2 = await tick(3n, 40n)
      const changes = await pc.getFilterChanges({ filter })
      expect(changes.map((l) => l.transactionHash)).toEqual([hit1.transactionHash, hit2.transactionHash])
      expect(changes.map((l) => (l.args as { value: bigint }).value)).toEqual([10n, 40n])
      expect(changes.map((l) => l.eventName)).toEqual(['Tick', 'Tick'])
      expect(await pc.getFilterChanges({ filter })).toEqual([])
      // getFilterLogs re-reads the whole range, polled or not
      const all = await pc.getFilterLogs({ filter })
      expect(all.map((l) => l.transactionHash)).toEqual([hit1.transactionHash, hit2.transactionHash])

      // a raw filter with an address list and a topic OR-list
      const raw = await rpc<Hex>(node.url, 'eth_newFilter', [{ address: [emitter, emitter2], topics: [[TICK, TOCK]] }])
      const t1 = await tock(emitter2)
      const t2 = await tick(9n, 9n)
      const rawChanges = await rpc<{ transactionHash: Hash; topics: Hex[] }[]>(node.url, 'eth_getFilterChanges', [raw])
      expect(rawChanges.map((l) => l.transactionHash)).toEqual([t1.transactionHash, t2.transactionHash])
      expect(rawChanges.map((l) => l.topics[0])).toEqual([TOCK, TICK])

      // uninstall: true once, then false; a removed filter is "filter not found"
      expect(await pc.uninstallFilter({ filter })).toBe(true)
      expect(await pc.uninstallFilter({ filter })).toBe(false)
      const err = await rpcError(node.url, 'eth_getFilterChanges', [filter.id])
      expect(err.code).toBe(-32000)
      expect(err.message).toBe('filter not found')
      expect((await rpcError(node.url, 'eth_getFilterLogs', [filter.id])).message).toBe('filter not found')
      expect(await rpc(node.url, 'eth_uninstallFilter', [raw])).toBe(true)
    })

    it('eth_newFilter with a block range stops delivering logs after toBlock', async () => {
      const head = await pc.getBlockNumber({ cacheTime: 0 })
      const id = await rpc<Hex>(node.url, 'eth_newFilter', [{ fromBlock: toHex(head + 1n), toBlock: toHex(head + 1n), address: emitter }])
      const inside = await tock() // block head+1 (block time 0: one block per transaction)
      expect(inside.blockNumber).toBe(head + 1n)
      await tock() // head+2: outside the range
      const changes = await rpc<{ transactionHash: Hash }[]>(node.url, 'eth_getFilterChanges', [id])
      expect(changes.map((l) => l.transactionHash)).toEqual([inside.transactionHash])
      const logs = await rpc<{ transactionHash: Hash }[]>(node.url, 'eth_getFilterLogs', [id])
      expect(logs.map((l) => l.transactionHash)).toEqual([inside.transactionHash])
      expect(await rpc(node.url, 'eth_uninstallFilter', [id])).toBe(true)
    })
  })

  describe('viem watch* over the webSocket transport', () => {
    let ws: PublicClient

    beforeAll(() => {
      ws = createPublicClient({ chain, transport: webSocket(node.wsUrl) })
    })
    afterAll(async () => {
      const rpcClient = await (ws.transport as unknown as { getRpcClient?: () => Promise<{ close(): void }> }).getRpcClient?.()
      rpcClient?.close()
    })

    it('watchBlocks delivers the block that includes a new transaction', async () => {
      const blocks: Block[] = []
      let target: Hash | undefined
      const got = deferred<Block>()
      const check = (): void => {
        const b = blocks.find((x) => x.hash === target)
        if (b !== undefined) got.resolve(b)
      }
      const unwatch = ws.watchBlocks({
        onBlock: (b) => {
          blocks.push(b as Block)
          check()
        },
        onError: (e) => got.resolve(Promise.reject(e) as never),
      })
      // watchBlocks subscribes asynchronously: blocks made until the first one is delivered prove it live
      while (blocks.length === 0) await tock()
      const r = await tock()
      target = r.blockHash
      check()
      const b = await got.promise
      unwatch()
      expect(b.number).toBe(r.blockNumber)
      expect(b.transactions).toContain(r.transactionHash)
      // blocks arrive in order, without gaps
      const numbers = blocks.map((x) => x.number!)
      for (let i = 1; i < numbers.length; i++) expect(numbers[i]).toBe(numbers[i - 1]! + 1n)
    })

    it('watchContractEvent delivers only the matching events, decoded', async () => {
      const matched = deferred<{ kind: bigint; value: bigint; tx: Hash }[]>()
      const got: { kind: bigint; value: bigint; tx: Hash }[] = []
      const unwatch = ws.watchContractEvent({
        address: emitter,
        abi,
        eventName: 'Tick',
        args: { kind: 7n },
        onLogs: (logs) => {
          for (const l of logs) got.push({ kind: l.args.kind!, value: l.args.value!, tx: l.transactionHash! })
          if (got.some((g) => g.value === 2n)) matched.resolve(got)
        },
        onError: (e) => matched.resolve(Promise.reject(e) as never),
      })
      // the subscription is live once a matching event sent after watching began arrives
      while (got.length === 0) await tick(7n, 1n)
      const skip1 = await tick(8n, 2n) // other kind
      const skip2 = await tick(7n, 2n, emitter2) // other address
      const hit = await tick(7n, 2n)
      const all = await matched.promise
      unwatch()
      expect(all.every((g) => g.kind === 7n)).toBe(true)
      expect(all.map((g) => g.tx)).not.toContain(skip1.transactionHash)
      expect(all.map((g) => g.tx)).not.toContain(skip2.transactionHash)
      expect(all.at(-1)).toEqual({ kind: 7n, value: 2n, tx: hit.transactionHash })
    })

    it('watchPendingTransactions delivers the hash of a sent transaction', async () => {
      const hashes = new Set<Hash>()
      let want: Hash | undefined
      const got = deferred<void>()
      const unwatch = ws.watchPendingTransactions({
        onTransactions: (hs) => {
          for (const h of hs) hashes.add(h)
          if (want !== undefined && hashes.has(want)) got.resolve()
        },
        onError: (e) => got.resolve(Promise.reject(e) as never),
      })
      // keep sending until one sent after subscribing shows up, then demand the next one exactly
      while (hashes.size === 0) await receipt(await transfer())
      want = await transfer()
      if (hashes.has(want)) got.resolve()
      await got.promise
      unwatch()
      expect(hashes.has(want)).toBe(true)
    })
  })

  describe('raw eth_subscribe / eth_unsubscribe over a WebSocket', () => {
    let sock: RawWs

    beforeAll(async () => {
      sock = await RawWs.open(node.wsUrl)
    })
    afterAll(async () => {
      await sock?.close()
    })

    it('newHeads: a header per block with the block hash; eth_unsubscribe stops it', async () => {
      const sub = await sock.call<string>('eth_subscribe', ['newHeads'])
      expect(sub).toMatch(/^0x[0-9a-f]+$/)
      const control = await sock.call<string>('eth_subscribe', ['newHeads'])
      const r = await tock()
      const head = await sock.notification(sub, (h) => h.hash === r.blockHash)
      expect(head.number).toBe(toHex(r.blockNumber))
      expect(head.parentHash).toBe((await pc.getBlock({ blockNumber: r.blockNumber - 1n })).hash)
      expect(head.stateRoot).toMatch(/^0x[0-9a-f]{64}$/)
      expect(head.baseFeePerGas).toMatch(/^0x/)
      await sock.notification(control, (h) => h.hash === r.blockHash)

      expect(await sock.call('eth_unsubscribe', [sub])).toBe(true)
      expect(await sock.call('eth_unsubscribe', [sub])).toBe(false)
      const r2 = await tock()
      // the control subscription sees the next block; by then the removed one would have been sent first
      await sock.notification(control, (h) => h.hash === r2.blockHash)
      expect(sock.unclaimed((m) => m?.params?.subscription === sub)).toEqual([])
      expect(await sock.call('eth_unsubscribe', [control])).toBe(true)
    })

    it('logs: only logs matching the address and topics, with their positions', async () => {
      const sub = await sock.call<string>('eth_subscribe', ['logs', { address: emitter, topics: [TICK, pad(toHex(5n))] }])
      const control = await sock.call<string>('eth_subscribe', ['newHeads'])
      const miss1 = await tick(6n, 1n)
      const miss2 = await tick(5n, 1n, emitter2)
      const miss3 = await tock()
      const hit = await tick(5n, 77n)
      const log = await sock.notification(sub)
      expect(log.transactionHash).toBe(hit.transactionHash)
      expect(log.address.toLowerCase()).toBe(emitter.toLowerCase())
      expect(log.topics).toEqual([TICK, pad(toHex(5n))])
      expect(BigInt(log.data)).toBe(77n)
      expect(log.blockHash).toBe(hit.blockHash)
      expect(log.blockNumber).toBe(toHex(hit.blockNumber))
      expect(log.logIndex).toBe('0x0')
      expect(log.removed).toBe(false)
      for (const m of [miss1, miss2, miss3]) await sock.notification(control, (h) => h.hash === m.blockHash)
      await sock.notification(control, (h) => h.hash === hit.blockHash)
      expect(sock.unclaimed((m) => m?.params?.subscription === sub)).toEqual([])

      // two logs of one transaction arrive in order, with their log indexes
      const any = await sock.call<string>('eth_subscribe', ['logs', { address: emitter }])
      const both = await send(emitter, encodeFunctionData({ abi, functionName: 'both', args: [5n] }))
      const first = await sock.notification(any)
      const second = await sock.notification(any)
      expect([first.topics[0], second.topics[0]]).toEqual([TICK, TOCK])
      expect([first.logIndex, second.logIndex]).toEqual(['0x0', '0x1'])
      expect(first.transactionHash).toBe(both.transactionHash)
      // the Tick(5) of that transaction matched the first subscription too
      expect((await sock.notification(sub)).transactionHash).toBe(both.transactionHash)
      for (const s of [sub, control, any]) expect(await sock.call('eth_unsubscribe', [s])).toBe(true)
    })

    it('newPendingTransactions: hashes, or full transactions with `true`', async () => {
      const hashes = await sock.call<string>('eth_subscribe', ['newPendingTransactions'])
      const full = await sock.call<string>('eth_subscribe', ['newPendingTransactions', true])
      const h = await transfer()
      expect(await sock.notification(hashes, (x) => x === h)).toBe(h)
      const tx = await sock.notification(full, (x) => x.hash === h)
      expect(tx.from.toLowerCase()).toBe(sender.address.toLowerCase())
      expect(tx.value).toBe('0x1')
      expect(tx.chainId).toBe(toHex(6133))
      await receipt(h)
      for (const s of [hashes, full]) expect(await sock.call('eth_unsubscribe', [s])).toBe(true)
    })

    it('subscriptions end with their connection; eth_subscribe needs a WebSocket', async () => {
      const other = await RawWs.open(node.wsUrl)
      const sub = await other.call<string>('eth_subscribe', ['newHeads'])
      await other.close()
      // another connection cannot remove it, and after the close it is gone anyway
      expect(await sock.call('eth_unsubscribe', [sub])).toBe(false)
      const err = await rpcError(node.url, 'eth_subscribe', ['newHeads'])
      expect(err.code).toBe(-32004)
      expect(err.message).toMatch(/notifications not supported/)
      const bad = await sock.request('eth_subscribe', ['newBananas'])
      expect(bad.error?.code).toBe(-32602)
      // the node still produces and answers
      const r = await tock()
      expect(r.status).toBe('success')
    })
  })
})
