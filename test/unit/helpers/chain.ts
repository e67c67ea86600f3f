/**
 * Shared fixtures for the evm/, consensus/ and node/ unit tests: a chain on a memory-level database
 * with funded dev accounts, a pool reading the chain's head, a dev producer, and real signed
 * transactions.
 */
import { once } from 'node:events'
import type { Common } from '@ethereumjs/common'
import { createTx, type TypedTransaction, type TypedTxData } from '@ethereumjs/tx'
import { Address } from '@ethereumjs/util'
import { privateKeyToAccount } from 'viem/accounts'
import { fromHex, nullLogger, openMemoryDb, toHex, type Hex, type KVStore } from '../../../common/index.js'
import { DevProducer, type DevProducerOptions } from '../../../consensus/index.js'
import {
  Chain,
  TxPool,
  devGenesis,
  type BuiltBlock,
  type DevGenesisOptions,
  type NewHeadEvent,
  type StoredReceipt,
  type TxPoolOptions,
} from '../../../evm/index.js'
import type { Block } from '@ethereumjs/block'

/** The first accounts of `test test ... junk` (Hardhat's and anvil's well-known dev keys). */
export const DEV_KEYS: readonly Hex[] = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
  '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba',
]

export interface TestAccount {
  privateKey: Uint8Array
  address: Uint8Array
  /** lowercase 0x address */
  hex: Hex
}

export const ACCOUNTS: readonly TestAccount[] = DEV_KEYS.map((k) => {
  const hex = privateKeyToAccount(k).address.toLowerCase() as Hex
  return { privateKey: fromHex(k), address: fromHex(hex), hex }
})

/** An address nobody holds a key for: a plain value recipient. */
export const RECIPIENT = fromHex('0x000000000000000000000000000000000000beef')

export const ETHER = 10n ** 18n
export const GWEI = 10n ** 9n
/** What every test account starts with. */
export const FUNDED = 100n * ETHER
/** A fixed genesis time, so two chains made from the same options have the same genesis hash. */
export const GENESIS_TIME = 1_700_000_000n

export function testGenesis(opts: Partial<DevGenesisOptions> = {}): ReturnType<typeof devGenesis> {
  const alloc: DevGenesisOptions['alloc'] = {}
  for (const a of ACCOUNTS) alloc[a.hex] = { balance: FUNDED }
  return devGenesis({ timestamp: GENESIS_TIME, ...opts, alloc: opts.alloc ?? alloc })
}

export async function openTestChain(opts: { kv?: KVStore; genesis?: unknown } = {}): Promise<{ chain: Chain; kv: KVStore }> {
  const kv = opts.kv ?? (await openMemoryDb())
  const chain = await Chain.open({ kv, logger: nullLogger('chain') }, 'genesis' in opts ? opts.genesis : testGenesis())
  return { chain, kv }
}

/** A pool that reads the chain's head, wired as node/node.ts wires it. */
export function poolFor(chain: Chain, opts: Partial<TxPoolOptions> = {}): TxPool {
  return new TxPool(
    {
      common: chain.common,
      logger: nullLogger('txpool'),
      state: {
        getAccount: async (address) => {
          const a = await chain.reader(chain.head).getAccount(new Address(address))
          return { nonce: a?.nonce ?? 0n, balance: a?.balance ?? 0n }
        },
        nextBaseFee: () => chain.nextBaseFee(),
        blockGasLimit: () => chain.head.header.gasLimit,
      },
    },
    opts,
  )
}

export interface DevNode {
  kv: KVStore
  chain: Chain
  pool: TxPool
  producer: DevProducer
}

export async function openDevNode(
  opts: { blockTime?: number; kv?: KVStore; pool?: Partial<TxPoolOptions>; coinbase?: Uint8Array } = {},
): Promise<DevNode> {
  const { chain, kv } = await openTestChain(opts.kv === undefined ? {} : { kv: opts.kv })
  const pool = poolFor(chain, opts.pool)
  const producerOpts: DevProducerOptions = { blockTime: opts.blockTime ?? 0, coinbase: opts.coinbase ?? fromHex('0x' + 'c0'.repeat(20)) }
  const producer = new DevProducer({ chain, pool, logger: nullLogger('producer') }, producerOpts)
  return { kv, chain, pool, producer }
}

/** The fields of a test transaction; what is left out gets the defaults of signTx(). */
export interface TxFields {
  type?: 0 | 1 | 2
  nonce?: bigint
  gasLimit?: bigint
  /** undefined: contract creation */
  to?: Uint8Array | undefined
  value?: bigint
  data?: Uint8Array
  /** legacy and EIP-2930 */
  gasPrice?: bigint
  /** EIP-1559 */
  maxFeePerGas?: bigint
  maxPriorityFeePerGas?: bigint
  chainId?: bigint
}

/**
 * A signed transaction from `from`. Defaults: EIP-1559, 21,000 gas, 2 gwei fee cap, 1 gwei tip,
 * 1 wei to RECIPIENT, the chain's chain id, nonce 0.
 */
export function signTx(common: Common, from: TestAccount, fields: TxFields = {}): TypedTransaction {
  const type = fields.type ?? 2
  const data: Record<string, unknown> = {
    nonce: 0n,
    gasLimit: 21_000n,
    to: RECIPIENT,
    value: 1n,
    ...fields,
    type,
  }
  if ('to' in fields && fields.to === undefined) delete data['to']
  if (type === 0 || type === 1) {
    data['gasPrice'] ??= 2n * GWEI
  } else {
    data['maxFeePerGas'] ??= 2n * GWEI
    data['maxPriorityFeePerGas'] ??= 1n * GWEI
  }
  if (type !== 0) data['chainId'] ??= common.chainId()
  return createTx(data as TypedTxData, { common }).sign(from.privateKey)
}

/** Deterministic block building: `txs` in order, timestamp parent + 1, a fixed coinbase. */
export function builder(chain: Chain, txs: Iterable<TypedTransaction>, opts: { coinbase?: Uint8Array } = {}) {
  return (parent: Block): Promise<BuiltBlock> =>
    chain.buildOn(parent, {
      timestamp: parent.header.timestamp + 1n,
      coinbase: opts.coinbase ?? fromHex('0x' + 'c0'.repeat(20)),
      candidates: txs,
      mixHash: new Uint8Array(32),
    })
}

/** Build and commit one block holding `txs`; fails the test if any of them was dropped. */
export async function mine(
  chain: Chain,
  txs: readonly TypedTransaction[],
  opts: { allowEmpty?: boolean } = {},
): Promise<{ block: Block; receipts: StoredReceipt[] }> {
  const { built, committed } = await chain.produce(builder(chain, txs), { final: true, allowEmpty: opts.allowEmpty ?? false })
  if (built.dropped.length > 0) throw new Error(`mine: dropped ${built.dropped.map((d) => d.reason).join('; ')}`)
  if (!committed) throw new Error('mine: block not committed')
  return { block: built.block, receipts: built.receipts }
}

export async function balanceOf(chain: Chain, address: Uint8Array, block = chain.head): Promise<bigint> {
  return (await chain.reader(block).getAccount(new Address(address)))?.balance ?? 0n
}

export async function nonceOf(chain: Chain, address: Uint8Array, block = chain.head): Promise<bigint> {
  return (await chain.reader(block).getAccount(new Address(address)))?.nonce ?? 0n
}

/** Resolves with the next `n` newHead events of `chain`. */
export function nextHeads(chain: Chain, n: number): Promise<NewHeadEvent[]> {
  return new Promise((resolve) => {
    const seen: NewHeadEvent[] = []
    const on = (e: NewHeadEvent): void => {
      seen.push(e)
      if (seen.length === n) {
        chain.off('newHead', on)
        resolve(seen)
      }
    }
    chain.on('newHead', on)
  })
}

export async function nextHead(chain: Chain): Promise<NewHeadEvent> {
  const [e] = await once(chain, 'newHead')
  return e as NewHeadEvent
}

/** Every key and value of a store, to check that a failed operation changed nothing. */
export async function dumpKv(kv: KVStore): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for await (const [k, v] of kv.iterator()) out.set(toHex(k), toHex(v))
  return out
}

export { toHex, fromHex }

/**
 * `v` with every byte array as 0x-hex, for deep comparisons: LevelDB may hand back Buffers where
 * the code built Uint8Arrays, and the two hold the same bytes.
 */
export function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return toHex(v)
  if (Array.isArray(v)) return v.map(plain)
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]))
  return v
}
