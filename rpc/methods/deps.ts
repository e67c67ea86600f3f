import type { Block } from '@ethereumjs/block'
import { Address, type Account } from '@ethereumjs/util'
import type { Chain, TxPool } from '../../evm/index.js'
import { equalBytes, toHex, type Logger } from '../../common/index.js'
import { RpcError } from '../errors.js'
import type { BlockTag, BlockTagOrHash } from '../validation.js'
import type { Filters } from '../filters.js'
import type { CallCache } from '../callCache.js'

/** The dev accounts that eth_sendTransaction / eth_sign / eth_signTypedData_v4 sign for (--dev only). */
export interface DevAccount {
  address: Uint8Array
  privateKey: Uint8Array
}

export interface RpcLimits {
  /** widest eth_getLogs block range */
  logsMaxRange: bigint
  /** most logs one eth_getLogs returns */
  logsMaxResults: number
  /** most gas eth_call / eth_estimateGas may use */
  gasCap: bigint
  /** most blocks eth_feeHistory covers */
  feeHistoryMaxBlocks: number
}

export const defaultRpcLimits: RpcLimits = {
  logsMaxRange: 10_000n,
  logsMaxResults: 10_000,
  gasCap: 50_000_000n,
  feeHistoryMaxBlocks: 1024,
}

export interface SyncStatus {
  startingBlock: bigint
  currentBlock: bigint
  highestBlock: bigint
}

/** What pars_status and pars_getValidators report. */
export interface ConsensusInfo {
  status(): {
    mode: 'dev' | 'validator' | 'follower'
    peerId?: string
    height: bigint
    finalizedHeight: bigint
    peers: number
    validators: number
    /** blocks taken by range sync since start */
    syncedBlocks?: number
    params?: { k: number; alphaPreference: number; alphaConfidence: number; beta: number }
  }
  validators(): {
    peerId: string
    address: string
    stake: bigint
    connected: boolean
    asked: number
    answered: number
    equivocations: number
  }[]
}

/** What the RPC methods use. The node builds one of these; methods get nothing else. */
export interface RpcDeps {
  chain: Chain
  pool: TxPool
  filters: Filters
  /** eth_call answers by block and request */
  callCache: CallCache
  logger: Logger
  clientVersion: string
  limits: RpcLimits
  /** present only in --dev */
  devAccounts?: readonly DevAccount[]
  /** suggested priority fee (wei) */
  suggestedTip: bigint
  network: { peerCount(): number; listening(): boolean }
  syncing(): SyncStatus | false
  /** consensus state for pars_status / pars_getValidators (a validator network; --dev reports itself) */
  consensus?: ConsensusInfo
  /** the session network's service nodes (pars_serviceNodes), when this node takes part in one */
  serviceNodes?: () => Promise<{ peerId: string; onionKey: Uint8Array; addresses: string[] }[]>
  /** awaited after a transaction is accepted, before answering (automine: until it is in a block) */
  afterSubmit?: (hash: Uint8Array) => Promise<void>
}

/** The block a tag (latest, pending, safe, finalized, earliest) names; `undefined` for a number or hash. */
function taggedBlock(chain: Chain, tag: BlockTag | BlockTagOrHash): Block | undefined {
  if (tag.kind !== 'tag') return undefined
  switch (tag.tag) {
    case 'latest':
    case 'pending':
      return chain.head
    case 'safe':
      return chain.safe
    case 'finalized':
      return chain.finalized
    case 'earliest':
      return chain.genesis
  }
  return undefined
}

/** The block a tag names; undefined for a number or hash the node does not have. */
export async function findBlock(d: RpcDeps, tag: BlockTag | BlockTagOrHash): Promise<Block | undefined> {
  const chain = d.chain
  switch (tag.kind) {
    case 'tag':
      return taggedBlock(chain, tag)
    case 'number':
      return chain.getBlockByNumber(tag.number)
    case 'hash': {
      const b = await chain.getBlockByHash(tag.hash)
      return b
    }
  }
  return undefined
}

/**
 * `answer` of the account at `address` in the block `tag` names. Synchronous when the tag names a
 * block and that block's reader has already decoded the account (a wallet asking again for a
 * balance or a nonce): the request is then answered without a promise in its path.
 */
export function withAccount<T>(
  d: RpcDeps,
  tag: BlockTag | BlockTagOrHash,
  address: Uint8Array,
  answer: (account: Account | undefined) => T,
): T | Promise<T> {
  const at = new Address(address)
  const block = taggedBlock(d.chain, tag)
  if (block !== undefined) {
    const reader = d.chain.reader(block)
    const known = reader.cachedAccount(at)
    if (known !== undefined) return answer(known ?? undefined)
    return reader.getAccount(at).then(answer)
  }
  return requireBlock(d, tag).then(async (b) => answer(await d.chain.reader(b).getAccount(at)))
}

/** As findBlock, but a missing block is an error (state queries), worded as geth does. */
export async function requireBlock(d: RpcDeps, tag: BlockTag | BlockTagOrHash): Promise<Block> {
  const b = await findBlock(d, tag)
  if (b === undefined) {
    throw new RpcError('SERVER_ERROR', tag.kind === 'hash' ? 'header for hash not found' : 'header not found')
  }
  return b
}

/** The dev account that signs for `address`; an "unknown account" error (as geth) otherwise. */
export function devAccountFor(d: RpcDeps, address: Uint8Array): DevAccount {
  const account = (d.devAccounts ?? []).find((a) => equalBytes(a.address, address))
  if (account === undefined) throw new RpcError('SERVER_ERROR', `unknown account ${toHex(address)}`)
  return account
}

export type MethodFactory = (d: RpcDeps) => (params: readonly unknown[], ctx: import('../types.js').RpcContext) => unknown
