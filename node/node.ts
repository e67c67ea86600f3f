import { mkdir, readFile, access, constants, stat, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { Address } from '@ethereumjs/util'
import { ParsError, errorMessage, fromHex, openLevelDb, toHex, type KVStore, type Logger, type Startable } from '../common/index.js'
import { randomBytes, randomInt } from 'node:crypto'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import {
  consensusFromGenesis,
  decodeConsensusMessage,
  DevProducer,
  encodeConsensusMessage,
  EvmEngineChain,
  parseValidatorKeyFile,
  SnowmanEngine,
  type ConsensusConfig,
  type NetBlock,
} from '../consensus/index.js'
import { Chain, TxPool, devGenesis, PARS_CHAIN_ID } from '../evm/index.js'
import { loadNodeKey, P2PHost } from './p2p/host.js'
import { followRegistry, REGISTRY_ADDRESS } from './serviceRegistry.js'
import { resolveNameByRpc, resolveNameOnChain } from './nameRegistry.js'
import { ActionRelay } from './relay.js'
import { TxGossip } from './txGossip.js'
import { followSessionNotices } from './sessionNotices.js'
import {
  ControlServer,
  MessageStore,
  onionKeyPair,
  OnionRouter,
  ServiceNode,
  receiptSigner,
  SessionService,
  decodeResponse,
  encodeRequest,
  ServiceDirectory,
  verifyRegisteredNode,
  type OnionHop,
  type SwarmMap,
  type ServiceTransport,
} from '../session/index.js'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
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
import type { NodeOptions, SessiondOptions } from './options.js'
import { VERSION } from './version.js'
import { createPublicClient, getAddress, http } from 'viem'

export type NodeErrorType =
  | { code: 'DATADIR_UNUSABLE'; path: string }
  | { code: 'DATADIR_LOCKED'; path: string }
  | { code: 'GENESIS_UNREADABLE'; path: string }
  | { code: 'NOT_A_VALIDATOR'; path: string }

/** The gossip topics of a chain. */
export function topicsOf(chainId: bigint): { blocks: string; txs: string } {
  return { blocks: `/pars/${chainId}/blocks/1`, txs: `/pars/${chainId}/txs/1` }
}

const TX_REBROADCASTS = 5
const TX_REBROADCAST_MS = 5000

/**
 * A node's part in the session network: its libp2p host, the directory of service nodes it follows,
 * its own service node (with the relay and the chain notices), and the daemon. A validator network has
 * one; so does `--dev --session` (one service node: itself).
 */
interface SessionNet {
  host: P2PHost
  /** the session network's service node, when this node has an onion key the genesis lists */
  service?: {
    node: ServiceNode
    kv: KVStore
    sweep: NodeJS.Timeout | undefined
    handoffs?: NodeJS.Timeout
    /** the contract action relay (--relay) */
    relay?: ActionRelay
    stopNotices?: () => void
  }
  /** the session daemon (--session) and its control API */
  daemon?: SessionDaemonParts
  /** the service nodes and swarms, following the registry */
  directory: ServiceDirectory
  stopRegistry: () => void
}

/** A validator network's parts, as ParsNode holds them. */
interface Network extends SessionNet {
  engine: SnowmanEngine<NetBlock>
  config: ConsensusConfig
  validator: boolean
  /** stops the transaction rebroadcast */
  stopRebroadcast: () => void
  /** double-signing evidence: both blocks a proposer signed at one height (the last 1,000) */
  evidence: { proposer: string; height: number; a: string; b: string }[]
}

interface SessionDaemonParts {
  service: SessionService
  server: ControlServer
}

/** The chain id and service nodes a node's JSON-RPC reports (eth_chainId, pars_serviceNodes). */
async function serviceNodesByRpc(
  rpc: string,
): Promise<{ chainId: bigint; nodes: { peerId: string; onionKey: Uint8Array; addresses: string[] }[] }> {
  // viem's client, as resolveNameByRpc: a failure names the node and the method
  const client = createPublicClient({ transport: http(rpc, { timeout: 15_000, retryCount: 0 }) })
  let chainId: bigint
  let list: unknown
  try {
    chainId = BigInt(await client.getChainId())
    list = await client.request({ method: 'pars_serviceNodes' } as never)
  } catch (e) {
    throw new ParsError({ code: 'BAD_OPTION', option: 'rpc' }, `--rpc ${rpc}: ${errorMessage(e).split('\n')[0]} (is parsd running there?)`)
  }
  if (!Array.isArray(list)) throw new ParsError({ code: 'BAD_OPTION', option: 'rpc' }, `--rpc ${rpc}: pars_serviceNodes is not a list`)
  const nodes = list.flatMap((n: { peerId?: unknown; onionKey?: unknown; addresses?: unknown }) =>
    typeof n.peerId === 'string' && typeof n.onionKey === 'string' && /^0x[0-9a-f]+$/i.test(n.onionKey) && Array.isArray(n.addresses)
      ? [{ peerId: n.peerId, onionKey: fromHex(n.onionKey), addresses: n.addresses.filter((a): a is string => typeof a === 'string') }]
      : [],
  )
  return { chainId, nodes }
}

/** The service nodes of a network: its validators that list an onion key (see genesisConsensus.ts). */
export function serviceNodesOf(config: ConsensusConfig): OnionHop[] {
  return config.validators.filter((v) => v.onion !== undefined).map((v) => ({ peerId: v.peerId, publicKey: v.onion! }))
}

/** The keystore passphrase of a file (one trailing newline ignored), with one clear line when it cannot be read. */
async function readPassphrase(path: string | undefined): Promise<string | undefined> {
  if (path === undefined) return undefined
  try {
    return (await readFile(path, 'utf8')).replace(/\r?\n$/, '')
  } catch (e) {
    throw new ParsError({ code: 'BAD_OPTION', option: 'session-passphrase-file' }, `--session-passphrase-file ${path}: ${errorMessage(e)}`)
  }
}

/** The session daemon and its control API over a p2p host (parsd --session, and sessiond). */
async function createSessionDaemon(
  o: { datadir: string; sessionPort: number; sessionPassphraseFile?: string; coverTraffic: number },
  host: P2PHost,
  nodes: { hops: () => readonly OnionHop[]; swarms?: () => SwarmMap },
  local: ServiceNode | undefined,
  logger: Logger,
  chainId: bigint,
  resolveName?: (name: string) => Promise<string | undefined>,
): Promise<SessionDaemonParts> {
  const transport: ServiceTransport = {
    // a node that is its own first hop answers itself (libp2p does not dial itself)
    request: (peer, protocol, bytes) =>
      local !== undefined && peer === host.peerId
        ? protocol === 'onion'
          ? local.handleOnion(bytes)
          : local.handle(bytes, peer)
        : host.request(peer, protocol === 'onion' ? ONION_PROTOCOL : SERVICE_PROTOCOL, bytes),
  }
  const passphrase = await readPassphrase(o.sessionPassphraseFile)
  const service = new SessionService({
    datadir: o.datadir,
    ...(passphrase !== undefined ? { passphrase } : {}),
    version: VERSION,
    chainId,
    transport,
    hops: nodes.hops,
    ...(nodes.swarms !== undefined ? { swarms: nodes.swarms } : {}),
    ...(resolveName !== undefined ? { resolveName } : {}),
    logger: logger.child('sessiond'),
    ...(o.coverTraffic > 0 ? { coverTrafficMs: o.coverTraffic } : {}),
  })
  const server = new ControlServer({ service, datadir: o.datadir, port: o.sessionPort, logger: logger.child('control') })
  return { service, server }
}

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
/** The service node's onion key seed (32 bytes, hex; written by testnet init, its public key in the genesis). */
export const ONION_KEY_FILE = 'onion.key'
/** Service requests between swarm members, and onion layers from clients and other hops (libp2p protocols). */
export const SERVICE_PROTOCOL = '/pars/session/1'
export const ONION_PROTOCOL = '/pars/onion/1'
/** how often a service node retries handing records to new swarm members it could not reach */
const HANDOFF_RETRY_MS = 10_000
/** how often sessiond asks a service node for the registered ones */
const NODE_LIST_REFRESH_MS = 60_000
/** session requests a second from one client peer, and from another service node (token buckets, burst x2) */
const CLIENT_RATE = 50
const SERVICE_PEER_RATE = 2_000

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
    private readonly network: Network | undefined,
    /** the session network part: the validator network's, or --dev --session's */
    private readonly sessionNet: SessionNet | undefined,
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
      const network = opts.dev ? undefined : await ParsNode.createNetwork(opts, kv, chain, pool, logger)
      if ((opts.session || opts.relay) && !opts.dev && network === undefined)
        throw new ParsError(
          { code: 'BAD_OPTION', option: opts.session ? 'session' : 'relay' },
          `--${opts.session ? 'session' : 'relay'}: this chain has no validator network, so no service nodes`,
        )
      const sessionNet = opts.dev && opts.session ? await ParsNode.createDevSession(opts, chain, pool, logger) : network
      const deps: RpcDeps = {
        chain,
        pool,
        filters,
        callCache: new CallCache(),
        logger: logger.child('rpc'),
        clientVersion: `Pars/v${VERSION}/${process.platform}-${process.arch}/node${process.versions.node}`,
        limits: { ...defaultRpcLimits, gasCap: opts.rpcGasCap, logsMaxRange: opts.rpcLogsRange },
        suggestedTip: SUGGESTED_TIP,
        network: { peerCount: () => network?.host.peerCount() ?? 0, listening: () => true },
        syncing: () => false,
      }
      if (devAccounts !== undefined) deps.devAccounts = devAccounts
      if (network !== undefined) deps.consensus = ParsNode.consensusInfo(network, chain)
      if (sessionNet !== undefined) {
        const { host, directory } = sessionNet
        deps.serviceNodes = () =>
          Promise.all(
            directory.hops().map(async (h) => ({ peerId: h.peerId, onionKey: h.publicKey, addresses: await host.addressesOf(h.peerId) })),
          )
      }
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
      return new ParsNode(logger, kv, chain, pool, filters, rpc, producer, devAccounts, network, sessionNet)
    } catch (e) {
      await kv.close()
      throw e
    }
  }

  /**
   * A chain whose genesis names validators runs Snow consensus over libp2p: this node is validator i
   * when --validator is given and its key matches the genesis, and a follower otherwise.
   */
  private static async createNetwork(
    opts: NodeOptions,
    kv: KVStore,
    chain: Chain,
    pool: TxPool,
    logger: Logger,
  ): Promise<Network | undefined> {
    const config = consensusFromGenesis(await Chain.storedGenesis(kv))
    if (config === undefined) return undefined
    const privateKey = await loadNodeKey(opts.datadir)
    const peerId = peerIdFromPrivateKey(privateKey).toString()
    let self: { peerId: string; key: ReturnType<typeof parseValidatorKeyFile>; address: Uint8Array } | undefined
    if (opts.validator) {
      const path = opts.validatorKey ?? join(opts.datadir, 'validator.key')
      let text: string
      try {
        text = await readFile(path, 'utf8')
      } catch (e) {
        throw new ParsError({ code: 'NOT_A_VALIDATOR', path }, `--validator: the validator key ${path} cannot be read: ${errorMessage(e)}`)
      }
      const key = parseValidatorKeyFile(text, path)
      const entry = config.validators.find((v) => v.peerId === peerId)
      if (entry === undefined) {
        throw new ParsError(
          { code: 'NOT_A_VALIDATOR', path },
          `--validator: this node (peer id ${peerId}, from ${join(opts.datadir, 'node.key')}) is not in the genesis validator set`,
        )
      }
      if (toHex(entry.keys.ed25519) !== toHex(key.ed25519.publicKey) || toHex(entry.keys.mldsa) !== toHex(key.mldsa.publicKey)) {
        throw new ParsError({ code: 'NOT_A_VALIDATOR', path }, `--validator: ${path} is not the key the genesis lists for ${peerId}`)
      }
      self = { peerId, key, address: entry.address }
    }
    const topics = topicsOf(chain.chainId)
    const host = new P2PHost({
      privateKey,
      listen: [`/ip4/${opts.p2pAddr}/tcp/${opts.p2pPort}`],
      bootstrap: opts.bootstrap,
      mdns: opts.mdns,
      topics: [topics.blocks, topics.txs],
      logger: logger.child('p2p'),
    })
    const engineChain = await EvmEngineChain.create({
      chain,
      pool,
      logger: logger.child('consensus'),
      validators: config.validators,
      ...(self ? { self } : {}),
    })
    const engineLogger = logger.child('snowman')
    const evidence: Network['evidence'] = []
    const engine = new SnowmanEngine<NetBlock>({
      self: peerId,
      validators: config.set,
      params: config.params,
      chain: engineChain,
      transport: {
        send: (to, m) => host.send(to, encodeConsensusMessage(m)),
        broadcast: (m) => host.publish(topics.blocks, encodeConsensusMessage(m)),
      },
      clock: {
        now: () => Date.now(),
        setTimer: (ms, fn) => {
          const t = setTimeout(fn, ms)
          return () => clearTimeout(t)
        },
      },
      randomInt: (n) => randomInt(n),
      timing: config.timing,
      logger: engineLogger,
      events: {
        misbehaviour: (peer, reason) => host.penalize(peer, reason),
        equivocation: (proposer, a, b) => {
          evidence.push({ proposer, height: a.height, a: a.id, b: b.id })
          if (evidence.length > 1000) evidence.shift()
          engineLogger.warn('equivocation: two blocks from one proposer at one height', { proposer, height: a.height, a: a.id, b: b.id })
        },
      },
    })
    // peer input is judged here: what does not decode costs the sender score
    host.onFrame((from, bytes) => {
      let m
      try {
        m = decodeConsensusMessage(bytes)
      } catch (e) {
        host.penalize(from, errorMessage(e))
        return
      }
      engine.handle(from, m)
    })
    host.onGossip(topics.blocks, (from, bytes) => {
      try {
        engine.handle(from, decodeConsensusMessage(bytes))
        return TopicValidatorResult.Accept
      } catch {
        return TopicValidatorResult.Reject
      }
    })
    // transactions reach the proposers by gossip, in batches (node/txGossip.ts)
    const txGossip = new TxGossip({
      publish: (bytes) => host.publish(topics.txs, bytes),
      pool,
      common: chain.common,
      rebroadcasts: TX_REBROADCASTS,
      rebroadcastMs: TX_REBROADCAST_MS,
    })
    host.onGossip(topics.txs, (_from, bytes) => txGossip.receive(bytes))
    pool.on('added', (tx) => {
      txGossip.added(tx)
      engine.poke()
    })
    txGossip.start()
    const directory = new ServiceDirectory(serviceNodesOf(config), chain.chainId, REGISTRY_ADDRESS)
    const relay = opts.relay ? await ParsNode.createRelay(opts, chain, pool, (...a) => service!.node.sendNotice(...a), logger) : undefined
    const listed = config.validators.find((v) => v.peerId === peerId && v.onion !== undefined)?.onion
    const service = await ParsNode.createServiceNode(opts, listed, privateKey, host, directory, logger, relay)
    if (relay !== undefined && service === undefined)
      throw new ParsError(
        { code: 'BAD_OPTION', option: 'relay' },
        '--relay: this node does not serve the session network (see the onion.key warning)',
      )
    const daemon = opts.session
      ? await createSessionDaemon(
          opts,
          host,
          { hops: () => directory.hops(), swarms: () => directory.swarms },
          service?.node,
          logger,
          chain.chainId,
          (name) => resolveNameOnChain(chain, name),
        )
      : undefined
    return {
      directory,
      stopRegistry: () => undefined,
      host,
      engine,
      config,
      validator: self !== undefined,
      stopRebroadcast: () => txGossip.stop(),
      evidence,
      ...(service ? { service: { ...service, ...(relay !== undefined ? { relay } : {}) } } : {}),
      ...(daemon ? { daemon } : {}),
    }
  }

  /**
   * `--dev --session`: the dev node is the session network's one service node (a libp2p host on
   * --p2p-port for sessiond and other clients, an onion key in DATADIR/onion.key), with the relay on
   * (paying from the last dev account unless --relay-key says otherwise) and the daemon.
   */
  private static async createDevSession(opts: NodeOptions, chain: Chain, pool: TxPool, logger: Logger): Promise<SessionNet> {
    const privateKey = await loadNodeKey(opts.datadir)
    const peerId = peerIdFromPrivateKey(privateKey).toString()
    const host = new P2PHost({
      privateKey,
      listen: [`/ip4/${opts.p2pAddr}/tcp/${opts.p2pPort}`],
      bootstrap: [],
      mdns: false,
      topics: [],
      logger: logger.child('p2p'),
    })
    const keys = await onionKeyPair(await ParsNode.onionSeed(opts.datadir, false, logger))
    const directory = new ServiceDirectory([{ peerId, publicKey: keys.publicKey }], chain.chainId, REGISTRY_ADDRESS)
    const relay = await ParsNode.createRelay(opts, chain, pool, (...a) => service!.node.sendNotice(...a), logger)
    const service = await ParsNode.createServiceNode(opts, keys.publicKey, privateKey, host, directory, logger, relay)
    if (service === undefined)
      throw new ParsError({ code: 'BAD_OPTION', option: 'session' }, '--session: the dev service node could not start')
    const daemon = await createSessionDaemon(
      opts,
      host,
      { hops: () => directory.hops(), swarms: () => directory.swarms },
      service.node,
      logger,
      chain.chainId,
      (name) => resolveNameOnChain(chain, name),
    )
    return { host, directory, stopRegistry: () => undefined, service: { ...service, relay }, daemon }
  }

  /** The contract action relay of --relay: its account from --relay-key (in --dev, the last dev account by default). */
  private static async createRelay(
    opts: NodeOptions,
    chain: Chain,
    pool: TxPool,
    sendNotice: ConstructorParameters<typeof ActionRelay>[0]['sendNotice'],
    logger: Logger,
  ): Promise<ActionRelay> {
    let key: Uint8Array
    if (opts.relayKey !== undefined) {
      let text: string
      try {
        text = (await readFile(opts.relayKey, 'utf8')).trim()
      } catch (e) {
        throw new ParsError({ code: 'BAD_OPTION', option: 'relay-key' }, `--relay-key ${opts.relayKey}: ${errorMessage(e)}`)
      }
      if (!/^(0x)?[0-9a-fA-F]{64}$/.test(text))
        throw new ParsError({ code: 'BAD_OPTION', option: 'relay-key' }, `--relay-key ${opts.relayKey}: expected a 32-byte hex private key`)
      key = fromHex(text.startsWith('0x') ? text : `0x${text}`)
    } else {
      key = deriveAccounts(DEV_MNEMONIC, DEV_ACCOUNT_COUNT).at(-1)!.privateKey
    }
    return new ActionRelay(
      { chain, pool, logger: logger.child('relay'), sendNotice },
      { key, targets: opts.relayTargets, perIdPerMinute: opts.relayRate, gasCap: 5_000_000n, tip: SUGGESTED_TIP },
    )
  }

  /**
   * The session network's service node (storage in DATADIR/session/service, onion relaying): a
   * validator whose genesis entry lists an onion key, or a node with DATADIR/onion.key that registers
   * (or has registered) it with stake in the ServiceNodeRegistry — clients use it once it is listed.
   */
  private static async createServiceNode(
    opts: NodeOptions,
    /** the onion key the genesis lists for this node, if any */
    listed: Uint8Array | undefined,
    /** the node's libp2p key: its peer id, and the key its storage receipts are signed with */
    nodeKey: PrivateKey,
    host: P2PHost,
    directory: ServiceDirectory,
    logger: Logger,
    relay?: ActionRelay,
  ): Promise<Network['service']> {
    const path = join(opts.datadir, ONION_KEY_FILE)
    let seed: Uint8Array
    try {
      seed = await ParsNode.onionSeed(opts.datadir, listed !== undefined, logger)
    } catch (e) {
      logger.warn('onion.key cannot be read: not serving the session network', { path, error: errorMessage(e) })
      return undefined
    }
    const keys = await onionKeyPair(seed)
    const peerId = peerIdFromPrivateKey(nodeKey).toString()
    if (listed !== undefined && toHex(keys.publicKey) !== toHex(listed)) {
      logger.warn('onion.key is not the key the genesis lists for this node: not serving the session network', { path })
      return undefined
    }
    await ensureDir(join(opts.datadir, 'session'))
    const kv = await openLevelDb(join(opts.datadir, 'session', 'service'))
    const store = new MessageStore(kv)
    const serviceLogger = logger.child('service')
    const node = new ServiceNode({
      self: peerId,
      store,
      swarms: () => directory.swarms,
      registered: () => directory.registeredNodes(),
      onion: new OnionRouter(keys.privateKey),
      ...(nodeKey.type === 'Ed25519' ? { signer: receiptSigner(nodeKey.raw.subarray(0, 32)) } : {}),
      transport: {
        request: (peer, protocol, bytes) => host.request(peer, protocol === 'onion' ? ONION_PROTOCOL : SERVICE_PROTOCOL, bytes),
      },
      ...(relay !== undefined ? { relay } : {}),
      logger: serviceLogger,
    })
    return { node, kv, sweep: undefined }
  }

  /** The seed of DATADIR/onion.key, made when absent unless the genesis lists this node's key (`mustExist`). */
  private static async onionSeed(datadir: string, mustExist: boolean, logger: Logger): Promise<Uint8Array> {
    const path = join(datadir, ONION_KEY_FILE)
    try {
      return fromHex((await readFile(path, 'utf8')).trim())
    } catch (e) {
      if (mustExist || (e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
      // any full node is ready to serve: it does once registered with stake (parsctl service register)
      const seed = randomBytes(32)
      await writeFile(path, toHex(seed) + '\n', { mode: 0o600, flag: 'wx' })
      logger.info('made an onion key: register this node with stake to serve the session network', { path })
      return seed
    }
  }

  private static consensusInfo(n: Network, chain: Chain): NonNullable<RpcDeps['consensus']> {
    return {
      status: () => ({
        mode: n.validator ? 'validator' : 'follower',
        peerId: n.host.peerId,
        height: chain.head.header.number,
        finalizedHeight: chain.finalized.header.number,
        peers: n.host.peerCount(),
        validators: n.config.set.size,
        syncedBlocks: n.engine.syncedBlocks,
        params: n.config.params,
      }),
      validators: () => {
        const connected = new Set(n.host.peers())
        return n.config.validators.map((v) => {
          const r = n.engine.responsiveness.get(v.peerId)
          return {
            peerId: v.peerId,
            address: getAddress(toHex(v.address)),
            stake: v.stake,
            connected: connected.has(v.peerId) || v.peerId === n.host.peerId,
            asked: r?.asked ?? 0,
            answered: r?.answered ?? 0,
            equivocations: n.evidence.filter((e) => e.proposer === v.peerId).length,
          }
        })
      },
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
    // a dev node answers RPC once all of it runs (its daemon's control file is written by then)
    if (this.producer !== undefined && this.sessionNet !== undefined) await this.startSessionNet(this.sessionNet)
    await this.rpc.start()
    const a = this.rpc.address()
    this.logger.info('JSON-RPC listening', { http: `http://${a.host}:${a.port}`, ws: `ws://${a.host}:${a.port}` })
    if (this.devAccounts !== undefined) process.stdout.write(devAccountsBanner(this.devAccounts))
    if (this.producer !== undefined) {
      await this.producer.start()
      this.logger.info('dev validator producing blocks', { blockTime: this.producer.blockTime })
    } else if (this.network !== undefined) {
      await this.startSessionNet(this.network, () => this.network!.engine.start())
      this.logger.info(this.network.validator ? 'validator: taking part in consensus' : 'following the validator network', {
        validators: this.network.config.set.size,
        params: this.network.config.params,
      })
    } else {
      this.logger.info('no validator key: following the chain, making no blocks')
    }
  }

  /** Start the host, serve the session network, follow the registry, start the daemon (`beforeRegistry`: consensus). */
  private async startSessionNet(net: SessionNet, beforeRegistry?: () => void): Promise<void> {
    await net.host.start()
    const service = net.service
    if (service !== undefined) {
      // other service nodes relay and replicate for many clients at once: a client gets the low rate
      const directory = net.directory
      const rate = (from: string): number => (directory.swarms.swarmOfNode(from) !== undefined ? SERVICE_PEER_RATE : CLIENT_RATE)
      await net.host.handleRequests(SERVICE_PROTOCOL, (from, bytes) => service.node.handle(bytes, from), rate)
      await net.host.handleRequests(ONION_PROTOCOL, (_from, bytes) => service.node.handleOnion(bytes), rate)
      service.sweep = setInterval(() => void service.node.sweep().catch(() => undefined), 60_000)
      service.sweep.unref()
      service.handoffs = setInterval(() => void service.node.retryHandoffs().catch(() => undefined), HANDOFF_RETRY_MS)
      service.handoffs.unref()
      service.stopNotices = await followSessionNotices(this.chain, service.node, service.kv, this.logger.child('notices'))
      service.relay?.start()
      this.logger.info('serving the session network (message storage, onion relay)')
    }
    beforeRegistry?.()
    net.stopRegistry = await followRegistry(
      this.chain,
      net.directory,
      (before, after) => void service?.node.rebalance(before, after).catch(() => undefined),
      this.logger.child('registry'),
    )
    if (net.daemon !== undefined) {
      await net.daemon.service.start()
      await net.daemon.server.start()
    }
  }

  async stop(): Promise<void> {
    await this.rpc.stop()
    await this.producer?.stop()
    this.network?.stopRebroadcast()
    const net = this.sessionNet
    if (net?.daemon !== undefined) {
      await net.daemon.server.stop()
      await net.daemon.service.stop()
    }
    net?.stopRegistry()
    this.network?.engine.stop()
    await net?.host.stop()
    if (net?.service !== undefined) {
      net.service.stopNotices?.()
      await net.service.relay?.stop()
      clearInterval(net.service.sweep)
      clearInterval(net.service.handoffs)
      await net.service.kv.close()
    }
    await this.filters.stop()
    await this.kv.close()
    this.logger.info('stopped')
  }
}

/**
 * `sessiond`: the session daemon alone, a light node. It keeps no chain: the service nodes are the
 * genesis's, and it reaches them over libp2p with a fresh peer key at every start (a guard node cannot
 * link one run to the next). Its control API is the one `parsd --session` serves.
 */
export class SessiondNode implements Startable {
  private refreshTimer: NodeJS.Timeout | undefined

  private constructor(
    private readonly logger: Logger,
    private readonly host: P2PHost,
    private readonly daemon: SessionDaemonParts,
    private readonly refresh: () => Promise<void>,
  ) {}

  static async create(opts: SessiondOptions, logger: Logger): Promise<SessiondNode> {
    let chainId: bigint
    let hops: OnionHop[]
    let bootstrap = opts.bootstrap
    const rpc = opts.rpc
    if (opts.genesisFile !== undefined) {
      const genesis = (await readGenesisFile(opts.genesisFile)) as { config?: { chainId?: unknown } }
      const config = consensusFromGenesis(genesis)
      chainId = BigInt(typeof genesis.config?.chainId === 'number' ? genesis.config.chainId : PARS_CHAIN_ID)
      hops = config === undefined ? [] : serviceNodesOf(config)
      if (hops.length === 0)
        throw new ParsError(
          { code: 'GENESIS_UNREADABLE', path: opts.genesisFile },
          `${opts.genesisFile} lists no service nodes (validators with an onion key in config.pars)`,
        )
    } else {
      // no genesis: the node at --rpc says which chain and which service nodes (and where they listen)
      const asked = await serviceNodesByRpc(rpc!)
      chainId = asked.chainId
      hops = asked.nodes.map((n) => ({ peerId: n.peerId, publicKey: n.onionKey }))
      if (bootstrap.length === 0) bootstrap = asked.nodes.flatMap((n) => n.addresses)
      if (hops.length === 0 || bootstrap.length === 0)
        throw new ParsError(
          { code: 'BAD_OPTION', option: 'rpc' },
          `--rpc ${rpc}: that node knows no service nodes it can give addresses for (is it running --session, or a network?)`,
        )
    }
    try {
      await ensureDir(opts.datadir)
    } catch (e) {
      throw new ParsError({ code: 'DATADIR_UNUSABLE', path: opts.datadir }, `datadir ${opts.datadir} is not usable: ${errorMessage(e)}`)
    }
    const { generateKeyPair } = await import('@libp2p/crypto/keys')
    const host = new P2PHost({
      privateKey: await generateKeyPair('Ed25519'),
      listen: [`/ip4/127.0.0.1/tcp/${opts.p2pPort}`],
      bootstrap,
      mdns: false,
      topics: [],
      logger: logger.child('p2p'),
    })
    // the genesis nodes, then the registered ones a service node lists (each checked: they cannot be forged)
    let known: readonly OnionHop[] = hops
    const refresh = async (): Promise<void> => {
      if (opts.genesisFile === undefined) {
        try {
          known = (await serviceNodesByRpc(rpc!)).nodes.map((n) => ({ peerId: n.peerId, publicKey: n.onionKey }))
        } catch (e) {
          logger.debug('the service nodes could not be fetched from --rpc; trying again later', { error: errorMessage(e) })
        }
        return
      }
      const asked = hops[Math.floor(Math.random() * hops.length)]!
      try {
        const answer = decodeResponse(await host.request(asked.peerId, SERVICE_PROTOCOL, encodeRequest({ type: 'nodes' })))
        if (answer.type !== 'nodes') return
        const extra = answer.nodes
          .filter((n) => !hops.some((h) => h.peerId === n.peerId) && verifyRegisteredNode(chainId, REGISTRY_ADDRESS, n))
          .map((n) => ({ peerId: n.peerId, publicKey: n.onionKey }))
        known = [...hops, ...extra]
      } catch (e) {
        logger.debug('the registered service nodes could not be fetched; trying again later', {
          from: asked.peerId,
          error: errorMessage(e),
        })
      }
    }
    const daemon = await createSessionDaemon(
      opts,
      host,
      { hops: () => known },
      undefined,
      logger,
      chainId,
      rpc === undefined ? undefined : (name) => resolveNameByRpc(rpc, name),
    )
    return new SessiondNode(logger, host, daemon, refresh)
  }

  async start(): Promise<void> {
    await this.host.start()
    await this.refresh()
    this.refreshTimer = setInterval(() => void this.refresh(), NODE_LIST_REFRESH_MS)
    this.refreshTimer.unref()
    await this.daemon.service.start()
    await this.daemon.server.start()
    this.logger.info('sessiond running', { control: this.daemon.server.url })
  }

  async stop(): Promise<void> {
    clearInterval(this.refreshTimer)
    await this.daemon.server.stop()
    await this.daemon.service.stop()
    await this.host.stop()
    this.logger.info('stopped')
  }
}
