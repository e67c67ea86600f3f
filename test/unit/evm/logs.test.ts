import { keccak_256 } from '@noble/hashes/sha3.js'
import { beforeAll, describe, expect, it } from 'vitest'
import { ParsError, toHex, utf8 } from '../../../common/index.js'
import { matchesLog, queryLogs, type Chain, type LocatedLog, type LogFilter, type StoredLog } from '../../../evm/index.js'
import { ACCOUNTS, mine, openTestChain, signTx } from '../helpers/chain.js'
import { callTx, compileTestContracts, deploy, topicOf, type TestContracts } from '../helpers/contracts.js'

const [A, B, C, D] = ACCOUNTS as [(typeof ACCOUNTS)[0], (typeof ACCOUNTS)[0], (typeof ACCOUNTS)[0], (typeof ACCOUNTS)[0]]

const STORED = keccak_256(utf8.encode('Stored(address,uint256,bytes32)'))
const PING = keccak_256(utf8.encode('Ping(uint256,uint256)'))

/** What a log is, for comparisons: emitter, event, block, and its positions. */
function describeLog(l: LocatedLog): string {
  const event = toHex(l.topics[0]!) === toHex(STORED) ? 'Stored' : toHex(l.topics[0]!) === toHex(PING) ? 'Ping' : '?'
  const args = l.topics.slice(1).map((t) => BigInt(toHex(t)).toString(16))
  return `${event}(${args.join(',')})@${l.blockNumber}`
}

describe('queryLogs', () => {
  let chain: Chain
  let c: TestContracts
  let s1: Uint8Array
  let s2: Uint8Array
  const all = (f: Partial<LogFilter>, from = 0n, to = 100n, max = 10_000): Promise<LocatedLog[]> =>
    queryLogs(chain, from, to, { addresses: [], topics: [], ...f }, max)
  const names = async (f: Partial<LogFilter>, from?: bigint, to?: bigint): Promise<string[]> => (await all(f, from, to)).map(describeLog)
  const addrArg = (a: Uint8Array): string => BigInt(toHex(a)).toString(16)

  beforeAll(async () => {
    c = compileTestContracts()
    ;({ chain } = await openTestChain())
    s1 = await deploy(chain, A, c.Store, 0n) // block 1
    s2 = await deploy(chain, A, c.Store, 1n) // block 2
    const cm = chain.common
    // block 3: two logs, one per contract
    await mine(chain, [callTx(cm, A, s1, c.Store, 'set', [1n], { nonce: 2n }), callTx(cm, B, s2, c.Store, 'set', [2n], { nonce: 0n })])
    // block 4: no logs at all
    await mine(chain, [signTx(cm, D, { nonce: 0n })])
    // block 5: logs from both contracts around a plain transfer
    await mine(chain, [
      callTx(cm, C, s1, c.Store, 'ping', [7n, 8n], { nonce: 0n }),
      signTx(cm, D, { nonce: 1n }),
      callTx(cm, A, s2, c.Store, 'set', [3n], { nonce: 3n }),
    ])
    // block 6
    await mine(chain, [callTx(cm, B, s2, c.Store, 'ping', [8n, 7n], { nonce: 1n })])
    expect(chain.head.header.number).toBe(6n)
  })

  it('finds logs by emitting address', async () => {
    expect(await names({ addresses: [s1] })).toEqual([`Stored(${addrArg(A.address)},1)@3`, 'Ping(7,8)@5'])
    expect(await names({ addresses: [s2] })).toEqual([
      `Stored(${addrArg(B.address)},2)@3`,
      `Stored(${addrArg(A.address)},3)@5`,
      'Ping(8,7)@6',
    ])
  })

  it('an address list is an OR, and results come in chain order', async () => {
    const logs = await all({ addresses: [s2, s1] })
    expect(logs.map(describeLog)).toEqual([
      `Stored(${addrArg(A.address)},1)@3`,
      `Stored(${addrArg(B.address)},2)@3`,
      'Ping(7,8)@5',
      `Stored(${addrArg(A.address)},3)@5`,
      'Ping(8,7)@6',
    ])
    expect(logs.map((l) => [l.blockNumber, l.transactionIndex, l.logIndex])).toEqual([
      [3n, 0, 0],
      [3n, 1, 1],
      [5n, 0, 0],
      [5n, 2, 1], // log index counts across the block's transactions, the transfer has none
      [6n, 0, 0],
    ])
  })

  it('locates each log: block hash and time, transaction hash, data', async () => {
    const [log] = await all({ addresses: [s1], topics: [[PING]] })
    const block = (await chain.getBlockByNumber(5n))!
    expect(toHex(log!.blockHash)).toBe(toHex(block.hash()))
    expect(log!.blockTimestamp).toBe(block.header.timestamp)
    expect(toHex(log!.transactionHash)).toBe(toHex(block.transactions[0]!.hash()))
    expect(toHex(log!.address)).toBe(toHex(s1))
    expect(log!.removed).toBe(false)
    expect(log!.data).toHaveLength(0)
    const [stored] = await all({ addresses: [s1], topics: [[STORED]] })
    expect(new TextDecoder().decode(stored!.data).replace(/\0+$/, '')).toBe('stored')
  })

  it('finds logs by a topic at its position only', async () => {
    expect(await names({ topics: [[PING]] })).toEqual(['Ping(7,8)@5', 'Ping(8,7)@6'])
    expect(await names({ topics: [null, [topicOf(8n)]] })).toEqual(['Ping(8,7)@6'])
    expect(await names({ topics: [null, null, [topicOf(8n)]] })).toEqual(['Ping(7,8)@5'])
    expect(await names({ topics: [[topicOf(8n)]] })).toEqual([])
  })

  it('combines address and topics (AND), with OR-lists inside a position', async () => {
    expect(await names({ addresses: [s2], topics: [[STORED, PING]] })).toEqual([
      `Stored(${addrArg(B.address)},2)@3`,
      `Stored(${addrArg(A.address)},3)@5`,
      'Ping(8,7)@6',
    ])
    expect(await names({ topics: [[STORED], [topicOf(A.address), topicOf(C.address)]] })).toEqual([
      `Stored(${addrArg(A.address)},1)@3`,
      `Stored(${addrArg(A.address)},3)@5`,
    ])
    expect(await names({ addresses: [s1], topics: [[STORED], [topicOf(B.address)]] })).toEqual([])
  })

  it('null (and an empty list) is a wildcard; a filter longer than a log never matches it (geth)', async () => {
    expect(await names({ topics: [null, null, null] })).toHaveLength(5)
    expect(await names({ topics: [[PING], [], []] })).toEqual(['Ping(7,8)@5', 'Ping(8,7)@6'])
    // Ping has 3 topics: a 4-position filter does not match it, even with wildcards
    expect(await names({ topics: [[PING], null, null, null] })).toEqual([])
    expect(await names({ topics: [[PING], null, null, [topicOf(1n)]] })).toEqual([])
  })

  it('limits the search to [from, to]', async () => {
    expect(await names({}, 4n, 5n)).toEqual(['Ping(7,8)@5', `Stored(${addrArg(A.address)},3)@5`])
    expect(await names({ addresses: [s2] }, 3n, 3n)).toEqual([`Stored(${addrArg(B.address)},2)@3`])
    expect(await names({ addresses: [s2] }, 4n, 4n)).toEqual([])
    expect(await names({ topics: [[PING]] }, 6n, 6n)).toEqual(['Ping(8,7)@6'])
    // a range past the head ends at the head
    expect(await names({}, 6n, 1000n)).toEqual(['Ping(8,7)@6'])
    expect(await names({}, 7n, 1000n)).toEqual([])
  })

  it('with no address and no topic, returns every log in the range', async () => {
    expect(await names({})).toHaveLength(5)
  })

  it('throws LOG_LIMIT_EXCEEDED past the result limit', async () => {
    expect(await all({}, 0n, 100n, 5)).toHaveLength(5)
    const e = await all({}, 0n, 100n, 4).catch((err: unknown) => err)
    expect(e).toBeInstanceOf(ParsError)
    expect((e as ParsError).code).toBe('LOG_LIMIT_EXCEEDED')
    expect((e as ParsError).message).toBe('query returned more than 4 results; narrow the block range or filter')
    await expect(all({ addresses: [s1] }, 0n, 100n, 1)).rejects.toMatchObject({ code: 'LOG_LIMIT_EXCEEDED' })
  })
})

describe('matchesLog', () => {
  const a1 = new Uint8Array(20).fill(1)
  const a2 = new Uint8Array(20).fill(2)
  const t = (n: number): Uint8Array => new Uint8Array(32).fill(n)
  const log = (topics: Uint8Array[], address = a1): StoredLog => ({ address, topics, data: new Uint8Array(0) })
  const f = (addresses: Uint8Array[], topics: LogFilter['topics']): LogFilter => ({ addresses, topics })

  it('an empty filter matches every log, including one without topics', () => {
    expect(matchesLog(log([]), f([], []))).toBe(true)
    expect(matchesLog(log([t(1), t(2)]), f([], []))).toBe(true)
  })

  it('addresses: any of the list', () => {
    expect(matchesLog(log([], a2), f([a1, a2], []))).toBe(true)
    expect(matchesLog(log([], a2), f([a1], []))).toBe(false)
  })

  it('topics: position by position, OR inside a position, null or [] for anything', () => {
    const l = log([t(1), t(2), t(3)])
    expect(matchesLog(l, f([], [[t(1)]]))).toBe(true)
    expect(matchesLog(l, f([], [[t(2)]]))).toBe(false)
    expect(matchesLog(l, f([], [null, [t(9), t(2)]]))).toBe(true)
    expect(matchesLog(l, f([], [[], [], [t(3)]]))).toBe(true)
    expect(matchesLog(l, f([], [[t(1)], [t(3)]]))).toBe(false)
    expect(matchesLog(l, f([a1], [[t(1)], null, [t(3)]]))).toBe(true)
    expect(matchesLog(l, f([a2], [[t(1)], null, [t(3)]]))).toBe(false)
  })

  it('a filter longer than the log never matches it, wildcards or not (geth)', () => {
    const l = log([t(1)])
    expect(matchesLog(l, f([], [[t(1)]]))).toBe(true)
    expect(matchesLog(l, f([], [[t(1)], null, []]))).toBe(false)
    expect(matchesLog(l, f([], [[t(1)], [t(2)]]))).toBe(false)
    expect(matchesLog(log([]), f([], [null]))).toBe(false)
    expect(matchesLog(log([]), f([], []))).toBe(true)
  })
})
