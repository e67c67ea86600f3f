// Malformed and hostile requests against a real `parsd --dev` process, over raw HTTP (fetch) and a
// raw WebSocket: every one gets a JSON-RPC error saying why (never an internal error, never a
// crash), and afterwards the node still answers. Also CORS and the --rpc-* limits.
import {
  concatHex,
  createPublicClient,
  createWalletClient,
  http,
  keccak256,
  parseTransaction,
  serializeTransaction,
  toHex,
  toRlp,
  type Hex,
  type PublicClient,
} from 'viem'
import { generatePrivateKey, privateKeyToAccount, sign, type HDAccount } from 'viem/accounts'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startNode, type RunningNode } from './helpers/node.js'
import { RawWs, devAccount, parsChain, post, rpc, rpcError, type JsonRpcError, type JsonRpcResponse } from './helpers/rpc.js'

const GWEI = 1_000_000_000n

/** Write `text` on a fresh TCP connection and return everything the server sends until it closes. */
function rawHttp(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let got = ''
    socket.setEncoding('utf8')
    socket.on('data', (d: string) => {
      got += d
      // one complete answer is enough
      const head = got.indexOf('\r\n\r\n')
      const len = /content-length: (\d+)/i.exec(got)
      if (head >= 0 && len !== null && got.length >= head + 4 + Number(len[1])) socket.destroy()
    })
    socket.on('close', () => resolve(got))
    socket.on('error', (e) => (got.length > 0 ? resolve(got) : reject(e)))
    socket.write(text)
  })
}

/** An EIP-1559 transaction signed without viem's sanity checks (e.g. tip above the fee cap). */
async function signUnchecked1559(
  account: HDAccount,
  t: { nonce: number; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint; gas?: bigint; to?: Hex; value?: bigint },
): Promise<Hex> {
  const fields = [
    toHex(6133),
    t.nonce === 0 ? '0x' : toHex(t.nonce),
    toHex(t.maxPriorityFeePerGas),
    toHex(t.maxFeePerGas),
    toHex(t.gas ?? 21_000n),
    t.to ?? ADDR,
    t.value === undefined || t.value === 0n ? '0x' : toHex(t.value),
    '0x',
    [],
  ] as const
  const unsigned = concatHex(['0x02', toRlp(fields as never)])
  const sig = await sign({ hash: keccak256(unsigned), privateKey: toHex(account.getHdKey().privateKey!) })
  const strip = (h: Hex): Hex => (BigInt(h) === 0n ? '0x' : toHex(BigInt(h)))
  return concatHex(['0x02', toRlp([...fields, sig.yParity === 0 ? '0x' : '0x01', strip(sig.r), strip(sig.s)] as never)])
}
const ADDR = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266'
const HASH = `0x${'11'.repeat(32)}`

/** [method, params, message pattern]: each must be answered -32602 with a message matching the pattern. */
const INVALID_PARAMS: [string, unknown[], RegExp][] = [
  ['eth_getBalance', ['0x1234', 'latest'], /length 4, want 40 for address/],
  ['eth_getBalance', [ADDR.slice(2), 'latest'], /without 0x prefix/],
  ['eth_getBalance', [`0x${'zz'.repeat(20)}`, 'latest'], /invalid hex/],
  ['eth_getBalance', ['0xF39fd6e51aad88f6f4ce6ab8827279cfffb92266', 'latest'], /checksum/],
  ['eth_getBalance', [ADDR, 'latests'], /block number or tag/],
  ['eth_getBalance', [ADDR, '0x01'], /leading zero/],
  ['eth_getBalance', [ADDR, '0x'], /no digits/],
  ['eth_getBalance', [ADDR, '12'], /block number or tag/],
  ['eth_getBalance', [ADDR, '0x10000000000000000'], /64 bits|int64/],
  ['eth_getBalance', [123, 'latest'], /expected a hex string .*got number/],
  ['eth_getBalance', [null, 'latest'], /address|null/],
  ['eth_getBalance', [ADDR, { blockHash: '0x12' }], /length 2, want 64/],
  ['eth_getBalance', [ADDR, { blockHash: HASH, blockNumber: '0x1' }], /both/],
  ['eth_getBalance', [ADDR, 'latest', 'extra'], /too many arguments/],
  ['eth_getBalance', [], /missing value for required argument 0/],
  ['eth_getBlockByHash', ['0x1234', false], /length 4, want 64/],
  ['eth_getBlockByHash', [`${HASH}00`, false], /want 64/],
  ['eth_getBlockByNumber', ['latest'], /missing value for required argument 1/],
  ['eth_getBlockByNumber', ['latest', 'yes'], /boolean/],
  ['eth_getBlockByNumber', [1, false], /got number/],
  ['eth_getTransactionByHash', [`0x${'1'.repeat(63)}`], /want 64/],
  ['eth_getTransactionByBlockNumberAndIndex', ['latest', '0x00'], /leading zero/],
  ['eth_getStorageAt', [ADDR, `0x${'1'.repeat(65)}`, 'latest'], /256 bits|length|want 64/],
  ['eth_getTransactionCount', [ADDR, 'earliest', 'x'], /too many arguments/],
  ['eth_blockNumber', [1], /too many arguments/],
  ['eth_chainId', ['0x1'], /too many arguments/],
  ['eth_call', [{ to: ADDR, data: '0x123' }, 'latest'], /odd length/],
  ['eth_call', [{ to: ADDR, value: '0x0001' }, 'latest'], /leading zero/],
  ['eth_call', [{ to: ADDR, gas: '0x1ffffffffffffffff' }, 'latest'], /64 bits/],
  ['eth_call', [{ to: ADDR, gasPrice: '0x1', maxFeePerGas: '0x2' }, 'latest'], /both gasPrice and/],
  ['eth_call', [{ to: ADDR, data: '0x01', input: '0x02' }, 'latest'], /"data" and "input"/],
  ['eth_call', ['not an object', 'latest'], /transaction object/],
  ['eth_call', [{ to: ADDR }, 'latest', { [ADDR]: { balance: '0x01' } }], /leading zero/],
  ['eth_call', [{ to: ADDR }, 'latest', { [ADDR]: { state: {}, stateDiff: {} } }], /both "state" and "stateDiff"/],
  ['eth_estimateGas', [{ to: '0x12' }], /want 40 for address/],
  ['eth_getLogs', [{ fromBlock: 'banana' }], /block number or tag/],
  ['eth_getLogs', [{ topics: [null, null, null, null, null] }], /too many topic positions/],
  ['eth_getLogs', [{ topics: ['0x12'] }], /want 64/],
  ['eth_getLogs', [{ blockHash: HASH, fromBlock: '0x1' }], /both blockHash and fromBlock/],
  ['eth_getLogs', [{ address: 42 }], /address/],
  ['eth_getLogs', ['latest'], /filter object/],
  ['eth_newFilter', [{ address: ['0x12'] }], /want 40 for address/],
  ['eth_feeHistory', ['0x5', 'latest', [90, 10]], /ascending/],
  ['eth_feeHistory', ['0x5', 'latest', [101]], /between 0 and 100/],
  ['eth_feeHistory', ['five', 'latest'], /block count/],
  ['eth_sendRawTransaction', ['0x'], /empty transaction/],
  ['eth_sendRawTransaction', ['0xzz'], /invalid hex/],
  ['eth_sendRawTransaction', ['0xdeadbeef'], /not a valid signed transaction/],
  ['eth_sendRawTransaction', ['0x02c0'], /not a valid signed transaction/],
  ['eth_sendRawTransaction', [`0x${'ff'.repeat(200)}`], /not a valid signed transaction/],
  ['eth_sendRawTransaction', [1234], /hex string/],
  ['web3_sha3', ['0xabc'], /odd length/],
  ['eth_signTypedData_v4', [ADDR, { types: {}, primaryType: 'Mail', domain: {}, message: {} }], /not defined in types/],
]

describe('hostile requests against a dev node', () => {
  let node: RunningNode
  let pc: PublicClient
  const errors: JsonRpcError[] = []

  beforeAll(async () => {
    // the default block time (400 ms), what `npm start` runs
    node = await startNode()
    pc = createPublicClient({ chain: parsChain(node.url), transport: http(node.url) })
  })
  afterAll(async () => {
    await node?.dispose()
  })

  /** Every error answer is kept: none may be an internal error (-32603). */
  function keep(r: unknown): void {
    const items = Array.isArray(r) ? r : [r]
    for (const x of items)
      if (typeof x === 'object' && x !== null && (x as JsonRpcResponse).error) errors.push((x as JsonRpcResponse).error!)
  }

  async function stillAlive(): Promise<void> {
    expect(node.alive, node.output()).toBe(true)
    const n = await rpc<string>(node.url, 'eth_blockNumber')
    expect(n).toMatch(/^0x[0-9a-f]+$/)
  }

  describe('protocol errors over HTTP', () => {
    it('invalid JSON is -32700 with id null', async () => {
      for (const body of [
        '{"jsonrpc":"2.0",',
        'not json at all',
        '{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}}',
        '\u0000\u0001\u0002',
        '',
      ]) {
        const a = await post(node.url, body)
        expect(a.status).toBe(200)
        expect(a.json).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32700, message: expect.any(String) } })
        keep(a.json)
      }
    })

    it('invalid requests are -32600 and keep the id when there is one', async () => {
      const cases: [unknown, unknown][] = [
        [{ jsonrpc: '1.0', id: 1, method: 'eth_chainId' }, 1],
        [{ id: 2, method: 'eth_chainId' }, 2],
        [{ jsonrpc: '2.0', id: 3 }, 3],
        [{ jsonrpc: '2.0', id: 4, method: 42 }, 4],
        [{ jsonrpc: '2.0', id: 'five', method: 'eth_chainId', params: 'nope' }, 'five'],
        [{ jsonrpc: '2.0', id: { nested: true }, method: 'eth_chainId' }, null],
        [{ jsonrpc: '2.0', id: [1], method: 'eth_chainId' }, null],
        [42, null],
        ['"eth_chainId"', null],
        [null, null],
      ]
      for (const [req, id] of cases) {
        const a = await post(node.url, typeof req === 'string' ? req : JSON.stringify(req))
        const r = a.json as JsonRpcResponse
        expect(r.error?.code, JSON.stringify(req)).toBe(-32600)
        expect(r.error?.message).toMatch(/invalid request/)
        expect(r.id).toEqual(id)
        keep(r)
      }
      const empty = await post(node.url, [])
      expect((empty.json as JsonRpcResponse).error?.code).toBe(-32600)
    })

    it('an unknown method is -32601 naming it; by-name params are -32602', async () => {
      const r = (await post(node.url, { jsonrpc: '2.0', id: 1, method: 'eth_doesNotExist', params: [] })).json as JsonRpcResponse
      expect(r.error).toEqual({ code: -32601, message: 'the method eth_doesNotExist does not exist/is not available' })
      const r2 = (await post(node.url, { jsonrpc: '2.0', id: 1, method: '__proto__', params: [] })).json as JsonRpcResponse
      expect(r2.error?.code).toBe(-32601)
      const r3 = (await post(node.url, { jsonrpc: '2.0', id: 1, method: 'eth_getBalance', params: { address: ADDR } }))
        .json as JsonRpcResponse
      expect(r3.error?.code).toBe(-32602)
      keep([r, r2, r3])
    })

    it('notifications get no answer (204); a batch answers its calls in order', async () => {
      const n = await post(node.url, { jsonrpc: '2.0', method: 'eth_chainId' })
      expect(n.status).toBe(204)
      const batch = await post(node.url, [
        { jsonrpc: '2.0', id: 'a', method: 'eth_chainId' },
        { jsonrpc: '2.0', method: 'eth_chainId' },
        { jsonrpc: '2.0', id: 'b', method: 'eth_nope' },
        { jsonrpc: '2.0', id: 'c', method: 'eth_getBalance', params: ['0x12', 'latest'] },
        17,
        { jsonrpc: '2.0', id: 'd', method: 'net_version' },
      ])
      const out = batch.json as JsonRpcResponse[]
      expect(out.map((x) => x.id)).toEqual(['a', 'b', 'c', null, 'd'])
      expect(out[0]!.result).toBe('0x17f5')
      expect(out.map((x) => x.error?.code ?? 0)).toEqual([0, -32601, -32602, -32600, 0])
      expect(out[4]!.result).toBe('6133')
      keep(out)
    })

    it('a batch over the limit (1000 by default) is refused as a whole; 1000 calls are answered', async () => {
      const call = (i: number) => ({ jsonrpc: '2.0', id: i, method: 'eth_chainId' })
      const big = await post(
        node.url,
        Array.from({ length: 1001 }, (_, i) => call(i)),
      )
      const out = big.json as JsonRpcResponse[]
      expect(out).toHaveLength(1)
      expect(out[0]!.error?.code).toBe(-32600)
      expect(out[0]!.error?.message).toMatch(/batch too large: 1001 calls, at most 1000/)
      const ok = (
        await post(
          node.url,
          Array.from({ length: 1000 }, (_, i) => call(i)),
        )
      ).json as JsonRpcResponse[]
      expect(ok).toHaveLength(1000)
      expect(ok.every((x, i) => x.id === i && x.result === '0x17f5')).toBe(true)
      keep(out)
    })

    it('a body declared over the limit (5 MiB by default) is refused with 413 and a JSON-RPC error, before it is sent', async () => {
      // Raw HTTP: the headers announce 6 MB and the body is never sent; the node must answer at once.
      // (A client streaming the whole body races the node's early close: see the report on EPIPE.)
      const answer = await rawHttp(
        node.rpcPort,
        `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${6 * 1024 * 1024}\r\n\r\n`,
      )
      expect(answer).toMatch(/^HTTP\/1\.1 413 /)
      const json = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as JsonRpcResponse
      expect(json.error?.code).toBe(-32600)
      expect(json.error?.message).toMatch(/too large: body exceeds the limit of 5242880 bytes/)
      await stillAlive()
    })

    it('deeply nested JSON is answered with an error, not a crash', async () => {
      const depth = 100_000
      const arrays = await post(node.url, '['.repeat(depth) + ']'.repeat(depth))
      expect(arrays.status).toBe(200)
      const first = Array.isArray(arrays.json) ? (arrays.json as JsonRpcResponse[])[0] : (arrays.json as JsonRpcResponse)
      expect([-32700, -32600]).toContain(first?.error?.code)
      let nested = '{}'
      for (let i = 0; i < 20_000; i++) nested = `{"a":${nested}}`
      const inParams = await post(node.url, `{"jsonrpc":"2.0","id":7,"method":"eth_call","params":[${nested},"latest"]}`)
      // unknown fields of a call object are ignored (as geth): an answer either way, never an internal error
      expect((inParams.json as JsonRpcResponse).id).toBe(7)
      expect((inParams.json as JsonRpcResponse).error?.code).not.toBe(-32603)
      const inId = await post(node.url, `{"jsonrpc":"2.0","id":${nested},"method":"eth_chainId"}`)
      expect((inId.json as JsonRpcResponse).error?.code).toBe(-32600)
      keep([first, inId.json]) // inParams is asserted on its own above
      await stillAlive()
    })

    it('without --rpc-cors a --dev node allows any origin', async () => {
      const a = await post(node.url, { jsonrpc: '2.0', id: 1, method: 'eth_chainId' }, { origin: 'http://anything.example' })
      expect(a.headers.get('access-control-allow-origin')).toBe('*')
    })

    it('other HTTP methods are 405, GET is a plain-text hint', async () => {
      const put = await fetch(node.url, { method: 'PUT', body: '{}' })
      expect(put.status).toBe(405)
      const get = await fetch(node.url)
      expect(get.status).toBe(200)
      expect(await get.text()).toMatch(/JSON-RPC/)
    })
  })

  describe('parameter validation', () => {
    it.each(INVALID_PARAMS)('%s %j is -32602 saying why', async (method, params, why) => {
      const err = await rpcError(node.url, method, params)
      keep({ error: err })
      expect(err.code, err.message).toBe(-32602)
      expect(err.message).toMatch(why)
    })

    it('the same requests as one batch over a raw WebSocket get the same answers', async () => {
      const ws = await RawWs.open(node.wsUrl)
      const batch = INVALID_PARAMS.map(([method, params], i) => ({ jsonrpc: '2.0', id: i, method, params }))
      ws.sendText(JSON.stringify(batch))
      const answer = await ws.waitFor<JsonRpcResponse[]>((m) => Array.isArray(m))
      expect(answer.map((a) => a.id)).toEqual(batch.map((b) => b.id))
      // eth_subscribe works on a WebSocket, so its answer differs from HTTP's there
      for (const a of answer) expect(a.error?.code, JSON.stringify(batch[a.id as number])).toBe(-32602)
      keep(answer)
      await ws.close()
    })
  })

  describe('garbage and invalid transactions', () => {
    const funded = devAccount(2)
    const chain = () => parsChain(node.url)
    const fees = { maxFeePerGas: 50n * GWEI, maxPriorityFeePerGas: GWEI }

    async function sendRaw(raw: Hex): Promise<JsonRpcError> {
      const err = await rpcError(node.url, 'eth_sendRawTransaction', [raw])
      keep({ error: err })
      return err
    }

    it('a transaction for another chain id is refused (-32000, invalid chain id)', async () => {
      const raw1559 = await funded.signTransaction({ chainId: 1, type: 'eip1559', to: ADDR, value: 1n, gas: 21_000n, nonce: 0, ...fees })
      const e1 = await sendRaw(raw1559)
      expect(e1.code).toBe(-32000)
      expect(e1.message).toMatch(/invalid chain id/)
      const rawLegacy = await funded.signTransaction({
        chainId: 1,
        type: 'legacy',
        to: ADDR,
        value: 1n,
        gas: 21_000n,
        nonce: 0,
        gasPrice: 50n * GWEI,
      })
      const e2 = await sendRaw(rawLegacy)
      expect(e2.code).toBe(-32000)
      expect(e2.message).toMatch(/invalid chain id/)
      // legacy without EIP-155 replay protection (v = 27/28)
      const rawPre155 = await funded.signTransaction({ type: 'legacy', to: ADDR, value: 1n, gas: 21_000n, nonce: 0, gasPrice: 50n * GWEI })
      const e3 = await sendRaw(rawPre155)
      expect(e3.code).toBe(-32000)
      expect(e3.message).toMatch(/replay-protected|EIP-155/)
    })

    it('a signature with s above n/2 (EIP-2) is refused with a clear message', async () => {
      const raw = await funded.signTransaction({ chainId: 6133, type: 'eip1559', to: ADDR, value: 1n, gas: 21_000n, nonce: 0, ...fees })
      const tx = parseTransaction(raw)
      const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
      const bad = serializeTransaction(
        { ...tx, type: 'eip1559' } as never,
        { r: tx.r!, s: toHex(n - BigInt(tx.s!)), yParity: tx.yParity! === 0 ? 1 : 0 } as never,
      )
      const err = await sendRaw(bad)
      expect([-32000, -32602]).toContain(err.code)
      expect(err.message).toMatch(/s-values|signature|invalid sender/i)
    })

    it('a signature with r = 0 is refused as an invalid sender (-32000), not an internal error', async () => {
      // geth: the signature does not recover a sender -> "invalid sender" (-32000)
      const raw = await funded.signTransaction({ chainId: 6133, type: 'eip1559', to: ADDR, value: 1n, gas: 21_000n, nonce: 0, ...fees })
      const tx = parseTransaction(raw)
      const bad = serializeTransaction({ ...tx, type: 'eip1559' } as never, { r: '0x0', s: tx.s!, yParity: tx.yParity! } as never)
      const err = await rpcError(node.url, 'eth_sendRawTransaction', [bad]) // asserted here, not kept for the final check
      expect(err.code, err.message).toBe(-32000)
      expect(err.message).toMatch(/invalid sender|signature/i)
    })

    it('nonce too low, insufficient funds, intrinsic gas, fee below base fee, tip above fee, gas above the cap', async () => {
      const wallet = createWalletClient({ account: funded, chain: chain(), transport: http(node.url) })
      const mined = await wallet.sendTransaction({ to: ADDR, value: 1n, ...fees })
      await pc.waitForTransactionReceipt({ hash: mined, pollingInterval: 50 })
      const nonce = await pc.getTransactionCount({ address: funded.address })
      expect(nonce).toBeGreaterThan(0)
      const sign = (t: Record<string, unknown>) =>
        funded.signTransaction({ chainId: 6133, type: 'eip1559', to: ADDR, value: 1n, gas: 21_000n, nonce, ...fees, ...t } as never)

      const low = await sendRaw(await sign({ nonce: nonce - 1 }))
      expect(low).toEqual({ code: -32000, message: `nonce too low: next nonce ${nonce}, tx nonce ${nonce - 1}` })

      const pauper = privateKeyToAccount(generatePrivateKey())
      const poor = await sendRaw(
        await pauper.signTransaction({ chainId: 6133, type: 'eip1559', to: ADDR, value: 1n, gas: 21_000n, nonce: 0, ...fees }),
      )
      expect(poor.code).toBe(-32000)
      expect(poor.message).toMatch(/^insufficient funds for gas \* price \+ value/)
      const tooMuch = await sendRaw(await sign({ value: 20_000n * 10n ** 18n }))
      expect(tooMuch.message).toMatch(/^insufficient funds for gas \* price \+ value/)

      const intrinsic = await sendRaw(await sign({ gas: 20_000n }))
      expect(intrinsic).toEqual({ code: -32000, message: 'intrinsic gas too low: gas 20000, minimum needed 21000' })
      const intrinsicData = await sendRaw(await sign({ gas: 21_000n, data: '0x01' }))
      expect(intrinsicData.message).toMatch(/^intrinsic gas too low/)

      const base = (await pc.getBlock()).baseFeePerGas!
      const cheap = await sendRaw(await sign({ maxFeePerGas: base / 2n, maxPriorityFeePerGas: 0n }))
      expect(cheap.code).toBe(-32000)
      expect(cheap.message).toMatch(/^max fee per gas less than block base fee/)

      // viem refuses to sign this one, so it is signed by hand
      const tip = await sendRaw(await signUnchecked1559(funded, { nonce, maxFeePerGas: 2n * GWEI, maxPriorityFeePerGas: 3n * GWEI }))
      expect(tip.message, JSON.stringify(tip)).toMatch(
        /priority fee per gas higher than max fee per gas|maxFeePerGas cannot be less than maxPriorityFeePerGas/,
      )
      expect([-32000, -32602]).toContain(tip.code)

      const huge = await sendRaw(await sign({ gas: 40_000_000n }))
      // geth answers -32000 "transaction gas limit too high (cap: 16777216, tx: 40000000)"; EthereumJS
      // refuses to decode it, which is -32602 here: either way the message must say why
      expect([-32000, -32602]).toContain(huge.code)
      expect(huge.message).toMatch(/gas limit .*(too high|exceeds)/i)
      expect(huge.message).toMatch(/16777216/)

      // none of these reached the pool
      expect(await rpc(node.url, 'txpool_status')).toEqual({ pending: '0x0', queued: '0x0' })
    })

    it('already known, and an underpriced replacement', async () => {
      const nonce = await pc.getTransactionCount({ address: funded.address, blockTag: 'pending' })
      // a gap keeps it in the pool (queued) for the replacements to meet
      const queued = await funded.signTransaction({
        chainId: 6133,
        type: 'eip1559',
        to: ADDR,
        value: 1n,
        gas: 21_000n,
        nonce: nonce + 5,
        ...fees,
      })
      expect(await rpc(node.url, 'eth_sendRawTransaction', [queued])).toBe(keccak256(queued))
      const again = await sendRaw(queued)
      expect(again).toEqual({ code: -32000, message: 'already known' })
      const same = await funded.signTransaction({
        chainId: 6133,
        type: 'eip1559',
        to: ADDR,
        value: 2n,
        gas: 21_000n,
        nonce: nonce + 5,
        ...fees,
      })
      expect(await sendRaw(same)).toEqual({ code: -32000, message: 'replacement transaction underpriced' })
      const plus5 = await funded.signTransaction({
        chainId: 6133,
        type: 'eip1559',
        to: ADDR,
        value: 2n,
        gas: 21_000n,
        nonce: nonce + 5,
        maxFeePerGas: 52n * GWEI,
        maxPriorityFeePerGas: (GWEI * 105n) / 100n,
      })
      expect(await sendRaw(plus5)).toEqual({ code: -32000, message: 'replacement transaction underpriced' })
      // 10% more on both fee fields replaces it
      const plus10 = await funded.signTransaction({
        chainId: 6133,
        type: 'eip1559',
        to: ADDR,
        value: 2n,
        gas: 21_000n,
        nonce: nonce + 5,
        maxFeePerGas: 55n * GWEI,
        maxPriorityFeePerGas: (GWEI * 110n) / 100n,
      })
      expect(await rpc(node.url, 'eth_sendRawTransaction', [plus10])).toBe(keccak256(plus10))
      expect(await rpc(node.url, 'eth_getTransactionByHash', [keccak256(queued)])).toBeNull()
      expect(await rpc(node.url, 'txpool_status')).toEqual({ pending: '0x0', queued: '0x1' })
    })

    it('eth_sendTransaction for an account the node does not hold is refused', async () => {
      const stranger = privateKeyToAccount(generatePrivateKey()).address
      const err = await rpcError(node.url, 'eth_sendTransaction', [{ from: stranger, to: ADDR, value: '0x1' }])
      keep({ error: err })
      expect(err.code).toBe(-32000)
      expect(err.message).toMatch(/unknown account/)
      const noFrom = await rpcError(node.url, 'eth_sendTransaction', [{ to: ADDR, value: '0x1' }])
      expect(noFrom.code).toBe(-32602)
    })
  })

  describe('raw WebSocket abuse', () => {
    it('garbage frames get -32700 and the connection keeps serving', async () => {
      const ws = await RawWs.open(node.wsUrl)
      ws.sendText('{"jsonrpc":')
      expect(await ws.waitFor((m) => m?.error?.code === -32700)).toMatchObject({ id: null })
      ws.sendText(Buffer.from([0xff, 0xfe, 0x00, 0x13, 0x37]))
      expect(await ws.waitFor((m) => m?.error?.code === -32700)).toMatchObject({ id: null })
      ws.sendText(JSON.stringify({ jsonrpc: '2.0', id: 'x', method: 'nope' }))
      expect(await ws.waitFor((m) => m?.id === 'x')).toMatchObject({ error: { code: -32601 } })
      expect(await ws.call('eth_chainId')).toBe('0x17f5')
      await ws.close()
    })

    it('a client that disconnects mid-request and many quick connections do not hurt', async () => {
      const sockets = await Promise.all(Array.from({ length: 30 }, () => RawWs.open(node.wsUrl)))
      for (const s of sockets) {
        s.sendText(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] }))
        s.ws.terminate()
      }
      await Promise.all(sockets.map((s) => s.closed))
      await stillAlive()
    })
  })

  it('after all of it the node is alive, answers, made no internal errors, and still takes transactions', async () => {
    await stillAlive()
    expect(errors.length).toBeGreaterThan(50)
    expect(errors.filter((e) => e.code === -32603)).toEqual([])
    const wallet = createWalletClient({ account: devAccount(4), chain: parsChain(node.url), transport: http(node.url) })
    const hash = await wallet.sendTransaction({ to: ADDR, value: 1n })
    expect((await pc.waitForTransactionReceipt({ hash, pollingInterval: 50 })).status).toBe('success')
  })
})

describe('CORS and the --rpc-* limits', () => {
  let node: RunningNode

  beforeAll(async () => {
    node = await startNode({ blockTime: 0, args: ['--rpc-cors', 'http://a.example', '--rpc-body-limit', '4096', '--rpc-batch-limit', '5'] })
  })
  afterAll(async () => {
    await node?.dispose()
  })

  const body = { jsonrpc: '2.0', id: 1, method: 'eth_chainId' }

  it('an allowed Origin gets Access-Control-Allow-Origin, another does not (and is still served)', async () => {
    const ok = await post(node.url, body, { origin: 'http://a.example' })
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://a.example')
    const other = await post(node.url, body, { origin: 'http://b.example' })
    expect(other.headers.get('access-control-allow-origin')).toBeNull()
    expect((other.json as JsonRpcResponse).result).toBe('0x17f5')
    const none = await post(node.url, body)
    expect(none.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('a browser preflight from the allowed origin may POST JSON; from another origin it may not', async () => {
    const pre = await fetch(node.url, {
      method: 'OPTIONS',
      headers: { origin: 'http://a.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    })
    expect(pre.status).toBeLessThan(300)
    expect(pre.headers.get('access-control-allow-origin')).toBe('http://a.example')
    expect(pre.headers.get('access-control-allow-methods')).toMatch(/POST/)
    expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toMatch(/content-type/)
    const denied = await fetch(node.url, {
      method: 'OPTIONS',
      headers: { origin: 'http://b.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    })
    expect(denied.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('a WebSocket from another Origin is refused; from the allowed one (or none) it works', async () => {
    await expect(RawWs.open(node.wsUrl, { origin: 'http://b.example' })).rejects.toThrow(/403/)
    const ok = await RawWs.open(node.wsUrl, { origin: 'http://a.example' })
    expect(await ok.call('eth_chainId')).toBe('0x17f5')
    await ok.close()
    const noOrigin = await RawWs.open(node.wsUrl)
    expect(await noOrigin.call('eth_chainId')).toBe('0x17f5')
    await noOrigin.close()
  })

  it('--rpc-batch-limit 5 and --rpc-body-limit 4096 apply to HTTP and WebSocket', async () => {
    const six = Array.from({ length: 6 }, (_, i) => ({ ...body, id: i }))
    const a = (await post(node.url, six)).json as JsonRpcResponse[]
    expect(a).toHaveLength(1)
    expect(a[0]!.error?.code).toBe(-32600)
    expect(a[0]!.id).toBe(0)
    expect(((await post(node.url, six.slice(0, 5))).json as JsonRpcResponse[]).length).toBe(5)

    const big = JSON.stringify({ ...body, params: [], pad: 'x'.repeat(5000) })
    const tooBig = await post(node.url, big)
    expect(tooBig.status).toBe(413)
    expect((tooBig.json as JsonRpcResponse).error?.message).toMatch(/4096/)

    const ws = await RawWs.open(node.wsUrl)
    ws.sendText(JSON.stringify(six))
    const wa = await ws.waitFor<JsonRpcResponse[]>((m) => Array.isArray(m))
    expect(wa[0]!.error?.code).toBe(-32600)
    // a message over the limit closes the socket with 1009 (message too big)
    ws.sendText(big)
    expect((await ws.closed).code).toBe(1009)
    expect(node.alive).toBe(true)
    expect(await rpc(node.url, 'eth_chainId')).toBe('0x17f5')
  })
})
