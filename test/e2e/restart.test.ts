// Durability of a real `parsd --dev` datadir: a clean stop (SIGTERM) keeps everything, and kill -9 at
// random moments while transactions arrive and blocks are made loses nothing the node had reported
// (blocks, with the same hashes, and receipts), and leaves state consistent with the receipts.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { concatHex, keccak256, toHex, type Address, type Hash, type Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount, type HDAccount } from 'viem/accounts'
import { afterAll, describe, expect, it } from 'vitest'
import { startNode, type RunningNode } from './helpers/node.js'
import { DEV_BALANCE, RawWs, devAccount, post, rpc, type JsonRpcResponse } from './helpers/rpc.js'

const GWEI = 1_000_000_000n

// Runtime: LOG1(memory[0..32), topic = CALLER), i.e. CALLER PUSH1 0x20 PUSH1 0 LOG1 STOP;
// init code copies the 7 runtime bytes and returns them.
const LOGGER_RUNTIME = '0x3360206000a100'
const LOGGER_INIT = concatHex(['0x6007600c60003960076000f3', LOGGER_RUNTIME])

interface Receipt {
  transactionHash: Hash
  blockHash: Hash
  blockNumber: Hex
  transactionIndex: Hex
  status: Hex
  gasUsed: Hex
  effectiveGasPrice: Hex
  from: Address
  to: Address | null
  contractAddress: Address | null
  logs: { address: Address; topics: Hex[]; data: Hex; logIndex: Hex }[]
}

function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/** Many JSON-RPC calls in one HTTP batch; results in order (errors throw). */
async function batch<T = unknown>(url: string, calls: [string, unknown[]][]): Promise<T[]> {
  if (calls.length === 0) return []
  const out: T[] = []
  for (let i = 0; i < calls.length; i += 500) {
    const chunk = calls.slice(i, i + 500)
    const a = await post(
      url,
      chunk.map(([method, params], j) => ({ jsonrpc: '2.0', id: j, method, params })),
    )
    const answers = a.json as JsonRpcResponse[]
    for (const r of answers) {
      if (r.error !== undefined) throw new Error(`${chunk[r.id as number]![0]}: ${JSON.stringify(r.error)}`)
    }
    answers.sort((x, y) => (x.id as number) - (y.id as number))
    out.push(...answers.map((r) => r.result as T))
  }
  return out
}

/** Signs transactions deterministically (same nonce, same bytes), so a resend after a crash is the same transaction. */
class Sender {
  private readonly signed = new Map<number, Hex>()
  constructor(
    readonly account: HDAccount,
    private readonly build: (nonce: number) => { to: Address; value: bigint; data?: Hex; gas: bigint },
  ) {}

  async raw(nonce: number): Promise<Hex> {
    let raw = this.signed.get(nonce)
    if (raw === undefined) {
      const t = this.build(nonce)
      raw = await this.account.signTransaction({
        chainId: 6133,
        type: 'eip1559',
        nonce,
        maxFeePerGas: 20n * GWEI,
        maxPriorityFeePerGas: GWEI,
        ...t,
      })
      this.signed.set(nonce, raw)
    }
    return raw
  }

  async hash(nonce: number): Promise<Hash> {
    return keccak256(await this.raw(nonce))
  }

  value(nonce: number): bigint {
    return this.build(nonce).value
  }
}

describe('a clean stop (SIGTERM) keeps the chain', () => {
  const datadir = tempDir('pars-e2e-restart-')
  let node: RunningNode | undefined

  afterAll(async () => {
    await node?.stop()
    rmSync(datadir, { recursive: true, force: true })
  })

  it('same head hash, blocks, balances, receipts and logs after a restart; new transactions follow on', async () => {
    node = await startNode({ datadir, blockTime: 100 })
    const url = node.url
    const a1 = devAccount(1)
    const a2 = devAccount(2)
    const recipient = privateKeyToAccount(generatePrivateKey()).address
    const deploy = new Sender(a2, () => ({ to: undefined as unknown as Address, value: 0n, data: LOGGER_INIT, gas: 100_000n }))
    // deploy the logger (a2 nonce 0), then transfers from a1 and logger calls from a2, several per block
    const deployHash = await rpc<Hash>(url, 'eth_sendRawTransaction', [await deploy.raw(0)])
    let deployReceipt: Receipt | null = null
    const ws = await RawWs.open(node.wsUrl)
    const heads = await ws.call<string>('eth_subscribe', ['newHeads'])
    while (deployReceipt === null) {
      await ws.notification(heads)
      deployReceipt = await rpc<Receipt | null>(url, 'eth_getTransactionReceipt', [deployHash])
    }
    const logger = deployReceipt.contractAddress!
    const transfers = new Sender(a1, (n) => ({ to: recipient, value: 1_000n + BigInt(n), gas: 21_000n }))
    const calls = new Sender(a2, () => ({ to: logger, value: 0n, gas: 60_000n }))
    const hashes: Hash[] = [deployHash]
    for (let i = 0; i < 6; i++) {
      hashes.push(await rpc<Hash>(url, 'eth_sendRawTransaction', [await transfers.raw(i)]))
      if (i < 4) hashes.push(await rpc<Hash>(url, 'eth_sendRawTransaction', [await calls.raw(i + 1)]))
    }
    // wait, on newHeads, until every receipt is there
    let receipts: (Receipt | null)[] = []
    for (;;) {
      receipts = await batch<Receipt | null>(
        url,
        hashes.map((h) => ['eth_getTransactionReceipt', [h]]),
      )
      if (receipts.every((r) => r !== null)) break
      await ws.notification(heads)
    }
    await ws.close()
    expect(receipts.every((r) => r!.status === '0x1')).toBe(true)
    expect(receipts.filter((r) => r!.logs.length === 1)).toHaveLength(4)

    const snapshot = async (n: RunningNode) => {
      const head = await rpc<{ number: Hex; hash: Hash }>(n.url, 'eth_getBlockByNumber', ['latest', false])
      const numbers = Array.from({ length: Number(head.number) + 1 }, (_, i) => toHex(i))
      return {
        head,
        blocks: await batch(
          n.url,
          numbers.map((x) => ['eth_getBlockByNumber', [x, true]]),
        ),
        receipts: await batch(
          n.url,
          hashes.map((h) => ['eth_getTransactionReceipt', [h]]),
        ),
        blockReceipts: await batch(
          n.url,
          numbers.map((x) => ['eth_getBlockReceipts', [x]]),
        ),
        logs: await rpc(n.url, 'eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest' }]),
        balances: await batch(
          n.url,
          [a1.address, a2.address, recipient, logger].map((a) => ['eth_getBalance', [a, 'latest']]),
        ),
        nonces: await batch(
          n.url,
          [a1.address, a2.address].map((a) => ['eth_getTransactionCount', [a, 'latest']]),
        ),
        code: await rpc(n.url, 'eth_getCode', [logger, 'latest']),
        finalized: await rpc<{ hash: Hash }>(n.url, 'eth_getBlockByNumber', ['finalized', false]),
      }
    }
    const before = await snapshot(node)
    expect(Number(before.head.number)).toBeGreaterThanOrEqual(2)
    expect((before.logs as unknown[]).length).toBe(4)
    expect(before.code).toBe(LOGGER_RUNTIME)

    await node.stop()
    expect(node.proc.exitCode, node.output()).toBe(0)
    expect(node.output()).toMatch(/shutting down/)

    node = await startNode({ datadir, blockTime: 100 })
    const after = await snapshot(node)
    expect(after).toEqual(before)

    // the chain continues from the same head, nonces included
    const next = await rpc<Hash>(node.url, 'eth_sendRawTransaction', [await transfers.raw(6)])
    const ws2 = await RawWs.open(node.wsUrl)
    const heads2 = await ws2.call<string>('eth_subscribe', ['newHeads'])
    let r: Receipt | null = await rpc<Receipt | null>(node.url, 'eth_getTransactionReceipt', [next])
    while (r === null) {
      await ws2.notification(heads2)
      r = await rpc<Receipt | null>(node.url, 'eth_getTransactionReceipt', [next])
    }
    await ws2.close()
    expect(BigInt(r.blockNumber)).toBe(BigInt(before.head.number) + 1n)
    const b = await rpc<{ parentHash: Hash }>(node.url, 'eth_getBlockByNumber', [r.blockNumber, false])
    expect(b.parentHash).toBe(before.head.hash)
  })
})

describe('kill -9 at random moments while transactions are sent and blocks made', () => {
  const datadir = tempDir('pars-e2e-crash-')
  let node: RunningNode | undefined

  afterAll(async () => {
    await node?.kill9()
    rmSync(datadir, { recursive: true, force: true })
  })

  it('after every crash the node has every block and receipt it reported, and balances match the receipts', async () => {
    const recipient = privateKeyToAccount(generatePrivateKey()).address
    const transfers = new Sender(devAccount(3), (n) => ({ to: recipient, value: 1_000n + BigInt(n), gas: 21_000n }))
    const deployer = devAccount(4)
    let logger: Address | undefined
    // the deployer's nonce 0 creates the logger contract, its later nonces call it
    const calls = new Sender(deployer, (n) =>
      n === 0
        ? { to: undefined as unknown as Address, value: 0n, data: LOGGER_INIT, gas: 100_000n }
        : { to: logger!, value: 0n, gas: 60_000n },
    )
    const deployHash = await calls.hash(0)
    const senders = [transfers, calls]

    /** everything any node process reported: block number -> hash, tx hash -> receipt */
    const seenBlocks = new Map<bigint, Hash>()
    const seenReceipts = new Map<Hash, Receipt>()
    const ITERATIONS = 5

    for (let iteration = 0; iteration < ITERATIONS; iteration++) {
      const blockTime = iteration % 2 === 0 ? 0 : 50
      node = await startNode({ datadir, blockTime })
      const url = node.url
      await verify(node, iteration)
      if (logger === undefined && seenReceipts.has(deployHash)) logger = seenReceipts.get(deployHash)!.contractAddress!

      const ws = await RawWs.open(node.wsUrl)
      const heads = await ws.call<string>('eth_subscribe', ['newHeads'])
      let stopping = false
      let newBlocks = 0
      const target = 2 + Math.floor(Math.random() * 12)
      let reachTarget!: () => void
      const reached = new Promise<void>((r) => (reachTarget = r))
      let onHead: (() => void)[] = []
      const nextHead = (): Promise<void> => new Promise((r) => onHead.push(r))

      // observer: every newHeads notification is recorded, with the block's receipts
      const observe = (async () => {
        for (;;) {
          const head = await Promise.race([ws.notification<{ number: Hex; hash: Hash }>(heads), ws.closed.then(() => undefined)])
          if (head === undefined) return
          const n = BigInt(head.number)
          seenBlocks.set(n, head.hash)
          const res = await Promise.race([ws.request('eth_getBlockReceipts', [head.hash]), ws.closed.then(() => undefined)])
          if (res === undefined) return
          if (res.result !== undefined && res.result !== null) {
            for (const r of res.result as Receipt[]) {
              seenReceipts.set(r.transactionHash, r)
              if (r.transactionHash === deployHash) logger = r.contractAddress!
            }
          }
          newBlocks++
          if (newBlocks >= target) reachTarget()
          const waiting = onHead
          onHead = []
          for (const w of waiting) w()
        }
      })()

      // senders: pipelined, at most 12 unconfirmed each; nonces continue from the chain
      const startNonces = await Promise.all(
        senders.map(async (s) => Number(await rpc<Hex>(url, 'eth_getTransactionCount', [s.account.address, 'latest']))),
      )
      const loops = senders.map(async (s, i) => {
        let nonce = startNonces[i]!
        let confirmed = nonce
        while (!stopping) {
          if (s === calls && nonce > 0 && logger === undefined) {
            await nextHead() // the logger must exist before it is called
            continue
          }
          // count what the node has confirmed (receipts seen for this sender's nonces)
          while (seenReceipts.has(await s.hash(confirmed))) confirmed++
          if (nonce - confirmed >= 12) {
            await nextHead()
            continue
          }
          const raw = await s.raw(nonce)
          try {
            const r = await rpcOrDown(url, raw)
            if (r.error !== undefined && !/already known/.test(r.error.message))
              throw new Error(`send nonce ${nonce}: ${JSON.stringify(r.error)}`)
          } catch (e) {
            if (stopping) return
            throw e
          }
          nonce++
        }
      })

      await Promise.race([
        reached,
        Promise.all([observe, ...loops]).then(() => {
          throw new Error('the senders stopped before the kill')
        }),
      ])
      // a random moment within the next few milliseconds, while sends and blocks are under way
      await new Promise((r) => setTimeout(r, Math.random() * 25))
      stopping = true
      await node.kill9()
      for (const w of onHead) w()
      await Promise.all([observe, ...loops])
      await ws.close()
    }

    node = await startNode({ datadir, blockTime: 0 })
    await verify(node, ITERATIONS)
    expect(seenBlocks.size).toBeGreaterThan(ITERATIONS * 2)
    expect(seenReceipts.size).toBeGreaterThan(ITERATIONS * 2)

    /** The checks after each restart. */
    async function verify(n: RunningNode, iteration: number): Promise<void> {
      const ctx = `after crash ${iteration}`
      const head = BigInt(await rpc<Hex>(n.url, 'eth_blockNumber'))
      const maxSeen = [...seenBlocks.keys()].reduce((m, x) => (x > m ? x : m), 0n)
      expect(head, ctx).toBeGreaterThanOrEqual(maxSeen)
      // every reported block, with the same hash
      const numbers = [...seenBlocks.keys()]
      const blocks = await batch<{ hash: Hash } | null>(
        n.url,
        numbers.map((x) => ['eth_getBlockByNumber', [toHex(x), false]]),
      )
      numbers.forEach((x, i) => expect(blocks[i]?.hash, `${ctx}: block ${x}`).toBe(seenBlocks.get(x)))
      // every reported receipt, unchanged
      const hashes = [...seenReceipts.keys()]
      const receipts = await batch<Receipt | null>(
        n.url,
        hashes.map((h) => ['eth_getTransactionReceipt', [h]]),
      )
      hashes.forEach((h, i) => expect(receipts[i], `${ctx}: receipt ${h}`).toEqual(seenReceipts.get(h)))

      // state agrees with the chain: each sender paid exactly the value and fees of its mined transactions
      let received = 0n
      for (const s of senders) {
        const mined = Number(await rpc<Hex>(n.url, 'eth_getTransactionCount', [s.account.address, 'latest']))
        const own = await batch<Receipt | null>(
          n.url,
          await Promise.all(
            Array.from({ length: mined }, async (_, k) => ['eth_getTransactionReceipt', [await s.hash(k)]] as [string, unknown[]]),
          ),
        )
        let spent = 0n
        own.forEach((r, k) => {
          expect(r, `${ctx}: ${s.account.address} nonce ${k} is mined but its receipt is missing`).not.toBeNull()
          expect(r!.status, `${ctx}: nonce ${k}`).toBe('0x1')
          spent += BigInt(r!.gasUsed) * BigInt(r!.effectiveGasPrice) + s.value(k)
          if (s === transfers) received += s.value(k)
        })
        const balance = BigInt(await rpc<Hex>(n.url, 'eth_getBalance', [s.account.address, 'latest']))
        expect(balance + spent, `${ctx}: ${s.account.address}`).toBe(DEV_BALANCE)
        // the next nonce is not on the chain
        expect(await rpc(n.url, 'eth_getTransactionReceipt', [await s.hash(mined)])).toBeNull()
      }
      expect(BigInt(await rpc<Hex>(n.url, 'eth_getBalance', [recipient, 'latest'])), ctx).toBe(received)
      // logs: one per mined logger call, found by address
      if (logger !== undefined) {
        const calledNonces = Number(await rpc<Hex>(n.url, 'eth_getTransactionCount', [deployer.address, 'latest'])) - 1
        const logs = await rpc<unknown[]>(n.url, 'eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest', address: logger }])
        expect(logs.length, ctx).toBe(calledNonces)
      }
    }
  })
})

/** eth_sendRawTransaction that reports a dead node as a thrown error. */
async function rpcOrDown(url: string, raw: Hex): Promise<JsonRpcResponse> {
  const a = await post(url, { jsonrpc: '2.0', id: 1, method: 'eth_sendRawTransaction', params: [raw] }, {}, 10_000)
  return a.json as JsonRpcResponse
}
