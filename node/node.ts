import { mkdir, readFile, access, constants, stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { Address } from '@ethereumjs/util'
import { ParsError, errorMessage, fromHex, openLevelDb, toHex, type KVStore, type Logger, type Startable } from '../common/index.js'
import { DevProducer } from '../consensus/index.js'
import { Chain, TxPool, devGenesis, PARS_CHAIN_ID } from '../evm/index.js'
import {
  CallCache,
  Filters,
  RpcServer,
  createMethods,
  defaultRpcLimits,
  type DevAccount,
  type RpcDeps,
  type RpcErrorName,
} from '../rpc/index.js'
import { DEV_ACCOUNT_COUNT, DEV_BALANCE, DEV_MNEMONIC, deriveAccounts } from './dev.js'
import type { NodeOptions } from './options.js'
import { VERSION } from './version.js'
import { getAddress } from 'viem'

export type NodeErrorType =
  { code: 'DATADIR_UNUSABLE'; path: string } | { code: 'DATADIR_LOCKED'; path: string } | { code: 'GENESIS_UNREADABLE'; path: string }

/** How domain errors appear to JSON-RPC callers (the one place that decides it). */
export const DOMAIN_RPC_CODES: Record<string, RpcErrorName> = {
  TX_REJECTED: 'SERVER_ERROR',
  EXECUTION_REVERTED: 'EXECUTION_REVERTED',
  EXECUTION_FAILED: 'SERVER_ERROR',
  GAS_REQUIRED_EXCEEDS: 'SERVER_ERROR',
  LOG_LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  UNKNOWN_BLOCK: 'SERVER_ERROR',
}

/** Suggested priority fee: 1 gwei, as anvil and geth's dev mode suggest. */
export const SUGGESTED_TIP = 1_000_000_000n

export const CHAINDATA_DIR = 'chaindata'

/** Read and parse a genesis file, with one clear line when it cannot be. */
export async function readGenesisFile(path: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    throw new ParsError({ code: 'GENESIS_UNREADABLE', path }, `genesis file ${path} cannot be read: ${errorMessage(e)}`)
  }
  try {
    return JSON.parse(text)
  } catch (e) {
    throw new ParsError({ code: 'GENESIS_UNREADABLE', path }, `genesis file ${path} is not valid JSON: ${errorMessage(e)}`)
  }
}

/**
 * `mkdir -p`, one level at a time. Node 20's recursive mkdir never returns for some paths (under
 * /proc, for one), which would leave parsd hanging instead of saying the datadir is unusable.
 */
export async function ensureDir(path: string): Promise<void> {
  const missing: string[] = []
  let p = resolve(path)
  for (;;) {
    try {
      const st = await stat(p)
      if (!st.isDirectory()) throw new Error(`${p} is not a directory`)
      break
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
      missing.push(p)
      const up = dirname(p)
      if (up === p) break
      p = up
    }
  }
  for (const dir of missing.reverse()) {
    try {
      await mkdir(dir)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    }
  }
}

/** Create the datadir if needed and open its chain database. */
export async function openChainDb(datadir: string): Promise<KVStore> {
  try {
    await ensureDir(datadir)
    await access(datadir, constants.R_OK | constants.W_OK)
  } catch (e) {
    throw new ParsError({ code: 'DATADIR_UNUSABLE', path: datadir }, `datadir ${datadir} is not usable: ${errorMessage(e)}`)
  }
  const path = join(datadir, CHAINDATA_DIR)
  try {
    return await openLevelDb(path)
  } catch (e) {
    const cause = (e as { cause?: unknown }).cause
    const detail = errorMessage(cause ?? e)
    if (/lock/i.test(detail)) {
      throw new ParsError({ code: 'DATADIR_LOCKED', path: datadir }, `datadir ${datadir} is in use by another parsd process`)
    }
    throw new ParsError({ code: 'DATADIR_UNUSABLE', path: datadir }, `chain database in ${path} cannot be opened: ${detail}`)
  }
}

/** The genesis a datadir starts from: the given file, the dev genesis, or none (existing datadir). */
async function genesisFor(opts: NodeOptions, devAccounts: readonly DevAccount[] | undefined): Promise<unknown | undefined> {
  if (opts.genesisFile !== undefined) return readGenesisFile(opts.genesisFile)
  if (devAccounts === undefined) return undefined
  const alloc: Record<string, { balance: bigint }> = {}
  for (const a of devAccounts) alloc[toHex(a.address)] = { balance: DEV_BALANCE }
  return devGenesis({ chainId: PARS_CHAIN_ID, alloc, timestamp: BigInt(Math.floor(Date.now() / 1000)) })
}

/** Open (initialising if new) the chain of a datadir. */
export async function openChain(opts: NodeOptions, kv: KVStore, logger: Logger, devAccounts?: readonly DevAccount[]): Promise<Chain> {
  const stored = await Chain.storedGenesis(kv)
  // an existing dev datadir keeps its own genesis (the dev genesis is stamped with its creation time)
  const genesis = stored !== undefined && opts.genesisFile === undefined ? undefined : await genesisFor(opts, devAccounts)
  return Chain.open({ kv, logger: logger.child('chain') }, genesis)
}

/** The dev accounts and their keys, as anvil and `hardhat node` print them at start. */
export function devAccountsBanner(accounts: readonly DevAccount[]): string {
  const lines = ['', `Dev accounts (${DEV_BALANCE / 10n ** 18n} PARS each), mnemonic: ${DEV_MNEMONIC}`, '']
  accounts.forEach((a, i) => lines.push(`(${i}) ${getAddress(toHex(a.address))}  ${toHex(a.privateKey)}`))
  lines.push('', 'These keys are public: never send real value to them.', '')
  return lines.join('\n')
}

/**
 * The Pars node: the ONE place that constructs the parts and connects them. Each part gets only the
 * components it uses and its own child logger; nothing starts before start().
 */
export class ParsNode implements Startable {
  private constructor(
    private readonly logger: Logger,
    private readonly kv: KVStore,
    readonly chain: Chain,
    readonly pool: TxPool,
    private readonly filters: Filters,
    readonly rpc: RpcServer,
    private readonly producer: DevProducer | undefined,
    private readonly devAccounts: readonly DevAccount[] | undefined,
  ) {}

  static async create(opts: NodeOptions, logger: Logger): Promise<ParsNode> {
    const devAccounts = opts.dev ? deriveAccounts(DEV_MNEMONIC, DEV_ACCOUNT_COUNT) : undefined
    const kv = await openChainDb(opts.datadir)
    try {
      const chain = await openChain(opts, kv, logger, devAccounts)
      const pool = new TxPool({
        common: chain.common,
        logger: logger.child('txpool'),
        state: {
          getAccount: async (address) => {
            const a = await chain.reader(chain.head).getAccount(new Address(address))
            return { nonce: a?.nonce ?? 0n, balance: a?.balance ?? 0n }
          },
          nextBaseFee: () => chain.nextBaseFee(),
          blockGasLimit: () => chain.head.header.gasLimit,
        },
      })
      const filters = new Filters({ chain, pool, logger: logger.child('filters') })
      const deps: RpcDeps = {
        chain,
        pool,
        filters,
        callCache: new CallCache(),
        logger: logger.child('rpc'),
        clientVersion: `Pars/v${VERSION}/${process.platform}-${process.arch}/node${process.versions.node}`,
        limits: { ...defaultRpcLimits, gasCap: opts.rpcGasCap, logsMaxRange: opts.rpcLogsRange },
        suggestedTip: SUGGESTED_TIP,
        network: { peerCount: () => 0, listening: () => true },
        syncing: () => false,
      }
      if (devAccounts !== undefined) deps.devAccounts = devAccounts
      const producer = opts.dev
        ? new DevProducer(
            { chain, pool, logger: logger.child('producer') },
            { blockTime: opts.blockTime, coinbase: fromHex(opts.coinbase ?? '0x' + '00'.repeat(20)) },
          )
        : undefined
      if (producer !== undefined) deps.afterSubmit = (hash) => producer.waitForInclusion(hash)
      const rpc = new RpcServer({
        methods: createMethods(deps),
        logger: logger.child('rpc'),
        host: opts.rpcAddr,
        port: opts.rpcPort,
        cors: opts.rpcCors,
        bodyLimit: opts.rpcBodyLimit,
        maxBatch: opts.rpcBatchLimit,
        domainCodes: DOMAIN_RPC_CODES,
      })
      return new ParsNode(logger, kv, chain, pool, filters, rpc, producer, devAccounts)
    } catch (e) {
      await kv.close()
      throw e
    }
  }

  async start(): Promise<void> {
    const head = this.chain.head
    this.logger.info('chain', {
      chainId: this.chain.chainId,
      head: head.header.number,
      hash: toHex(head.hash()),
      hardfork: this.chain.common.hardfork(),
    })
    await this.filters.start()
    await this.rpc.start()
    const a = this.rpc.address()
    this.logger.info('JSON-RPC listening', { http: `http://${a.host}:${a.port}`, ws: `ws://${a.host}:${a.port}` })
    if (this.devAccounts !== undefined) process.stdout.write(devAccountsBanner(this.devAccounts))
    if (this.producer !== undefined) {
      await this.producer.start()
      this.logger.info('dev validator producing blocks', { blockTime: this.producer.blockTime })
    } else {
      this.logger.info('no validator key: following the chain, making no blocks')
    }
  }

  async stop(): Promise<void> {
    await this.rpc.stop()
    await this.producer?.stop()
    await this.filters.stop()
    await this.kv.close()
    this.logger.info('stopped')
  }
}
