import { createBlock, type Block } from '@ethereumjs/block'
import { createCommonFromGethGenesis, parseGethGenesisState, type Common, type GethGenesis, type GenesisState } from '@ethereumjs/common'
import { ParsError } from '../common/index.js'
import { nodeCrypto } from './crypto.js'
import { preloadParams } from './commonParams.js'
import { SYSTEM_CONTRACTS } from './systemContracts.js'

export const PARS_CHAIN_ID = 6133

/**
 * The hardfork every Pars chain runs from genesis. Osaka is the newest hardfork EthereumJS 10.1 ships
 * as final (Amsterdam is marked experimental there and changes on patch releases; the BPO forks only
 * retune blob parameters). See docs/architecture.md.
 */
export const PARS_HARDFORK = 'osaka'

export type GenesisErrorType = { code: 'BAD_GENESIS'; field: string }

function bad(field: string, why: string): ParsError<GenesisErrorType> {
  return new ParsError({ code: 'BAD_GENESIS', field }, `genesis: ${field}: ${why}`)
}

const HEX = /^0x[0-9a-fA-F]*$/
const ADDRESS_NO_PREFIX = /^(0x)?[0-9a-fA-F]{40}$/

function checkHex(v: unknown, field: string, required: boolean): void {
  if (v === undefined || v === null) {
    if (required) throw bad(field, 'missing')
    return
  }
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return
  if (typeof v !== 'string' || !HEX.test(v) || v.length < 3) throw bad(field, `must be a 0x-prefixed hex number, got ${JSON.stringify(v)}`)
}

function checkInt(v: unknown, field: string): void {
  if (v === undefined || v === null) return
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw bad(field, `must be a non-negative integer, got ${JSON.stringify(v)}`)
}

/**
 * Check a parsed geth-format genesis file and return it typed. Every problem names the field and why,
 * so an operator can fix the file without reading code.
 */
export function validateGethGenesis(json: unknown): GethGenesis {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad('(root)', 'must be a JSON object')
  const g = json as Record<string, unknown>
  const config = g['config']
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw bad('config', 'missing or not an object')
  const c = config as Record<string, unknown>
  const chainId = c['chainId']
  if (typeof chainId !== 'number' || !Number.isSafeInteger(chainId) || chainId <= 0) {
    throw bad('config.chainId', `must be a positive integer, got ${JSON.stringify(chainId)}`)
  }
  for (const [k, v] of Object.entries(c)) {
    if (/(Block|Time)$/.test(k)) checkInt(v, `config.${k}`)
  }
  checkHex(g['gasLimit'], 'gasLimit', true)
  checkHex(g['timestamp'], 'timestamp', false)
  checkHex(g['difficulty'], 'difficulty', false)
  checkHex(g['nonce'], 'nonce', false)
  checkHex(g['baseFeePerGas'], 'baseFeePerGas', false)
  if (
    g['extraData'] !== undefined &&
    (typeof g['extraData'] !== 'string' || !HEX.test(g['extraData']) || g['extraData'].length % 2 !== 0)
  ) {
    throw bad('extraData', 'must be 0x-prefixed hex bytes')
  }
  if (typeof g['extraData'] === 'string' && (g['extraData'].length - 2) / 2 > 32) throw bad('extraData', 'longer than 32 bytes')
  if (g['coinbase'] !== undefined && (typeof g['coinbase'] !== 'string' || !ADDRESS_NO_PREFIX.test(g['coinbase']))) {
    throw bad('coinbase', 'must be a 20-byte address')
  }
  const alloc = g['alloc']
  if (alloc === undefined) throw bad('alloc', 'missing (use {} for none)')
  if (typeof alloc !== 'object' || alloc === null || Array.isArray(alloc)) throw bad('alloc', 'must be an object of address -> account')
  for (const [addr, acct] of Object.entries(alloc as Record<string, unknown>)) {
    const f = `alloc.${addr}`
    if (!ADDRESS_NO_PREFIX.test(addr)) throw bad(f, 'key is not a 20-byte hex address')
    if (typeof acct !== 'object' || acct === null) throw bad(f, 'must be an object')
    const a = acct as Record<string, unknown>
    if (a['balance'] === undefined) throw bad(`${f}.balance`, 'missing')
    if (typeof a['balance'] !== 'string' || !/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(a['balance'])) {
      throw bad(`${f}.balance`, `must be a decimal or 0x-hex string, got ${JSON.stringify(a['balance'])}`)
    }
    if (a['code'] !== undefined && (typeof a['code'] !== 'string' || !HEX.test(a['code']) || a['code'].length % 2 !== 0)) {
      throw bad(`${f}.code`, 'must be 0x-prefixed hex bytes')
    }
    if (a['nonce'] !== undefined) checkHex(a['nonce'], `${f}.nonce`, false)
    if (a['storage'] !== undefined) {
      if (typeof a['storage'] !== 'object' || a['storage'] === null) throw bad(`${f}.storage`, 'must be an object')
      for (const [k, v] of Object.entries(a['storage'] as Record<string, unknown>)) {
        if (!HEX.test(k) || k.length < 3 || k.length > 66) throw bad(`${f}.storage.${k}`, 'key must be a hex slot of at most 32 bytes')
        if (typeof v !== 'string' || !HEX.test(v) || v.length > 66) throw bad(`${f}.storage.${k}`, 'value must be 32-byte hex')
      }
    }
  }
  return json as unknown as GethGenesis
}

/**
 * Normalise balances given in decimal (geth accepts both) to hex for EthereumJS, and fill in the
 * header fields geth lets a genesis leave out (nonce, difficulty, timestamp: 0) but EthereumJS requires.
 */
function normaliseAlloc(g: GethGenesis): GethGenesis {
  const alloc: GethGenesis['alloc'] = {}
  for (const [addr, acct] of Object.entries(g.alloc)) {
    const balance = acct.balance.startsWith('0x') ? acct.balance : `0x${BigInt(acct.balance).toString(16)}`
    const out: GethGenesis['alloc'][string] = { ...acct, balance }
    if (acct.storage !== undefined) {
      // geth takes slots and values shorter than 32 bytes and left-pads them
      out.storage = Object.fromEntries(
        Object.entries(acct.storage).map(([k, v]) => [`0x${k.slice(2).padStart(64, '0')}`, `0x${v.slice(2).padStart(64, '0')}`]),
      )
    }
    alloc[addr.startsWith('0x') ? addr.toLowerCase() : `0x${addr.toLowerCase()}`] = out
  }
  return { ...g, nonce: g.nonce ?? '0x0', difficulty: g.difficulty ?? '0x0', timestamp: g.timestamp ?? '0x0', alloc }
}

export interface ChainSpec {
  genesis: GethGenesis
  common: Common
  genesisState: GenesisState
}

export function chainSpecFromGenesis(genesisJson: unknown): ChainSpec {
  const genesis = normaliseAlloc(validateGethGenesis(genesisJson))
  let common: Common
  try {
    common = preloadParams(createCommonFromGethGenesis(genesis, { chain: genesis.name ?? 'pars', customCrypto: nodeCrypto }))
  } catch (e) {
    throw bad('config', `not a usable chain configuration (${e instanceof Error ? e.message : String(e)})`)
  }
  return { genesis, common, genesisState: parseGethGenesisState(genesis) }
}

/** The genesis block for a spec, given the state root its alloc produces. */
export function genesisBlock(spec: ChainSpec, stateRoot: Uint8Array): Block {
  const g = spec.genesis
  const common = spec.common.copy()
  const timestamp = BigInt(g.timestamp ?? '0x0')
  common.setHardforkBy({ blockNumber: 0n, timestamp })
  const header: Record<string, unknown> = {
    number: 0n,
    gasLimit: g.gasLimit,
    timestamp,
    extraData: g.extraData ?? '0x',
    difficulty: g.difficulty ?? '0x0',
    nonce: g.nonce !== undefined ? `0x${BigInt(g.nonce).toString(16).padStart(16, '0')}` : undefined,
    mixHash: g.mixHash,
    coinbase: g.coinbase,
    stateRoot,
  }
  // Without one, the header takes EIP-1559's initial base fee (as geth does); `common` here has no
  // block parameters loaded, so common.param('initialBaseFee') would throw.
  if (common.isActivatedEIP(1559) && g.baseFeePerGas !== undefined && g.baseFeePerGas !== null) {
    header['baseFeePerGas'] = g.baseFeePerGas
  }
  if (common.isActivatedEIP(4844)) header['excessBlobGas'] = g.excessBlobGas ?? '0x0'
  return createBlock({ header: header as never }, { common, setHardfork: false })
}

/**
 * Whether a chain runs the Pars precompiles (0x0600...). A genesis turns them on with
 * `"config": { "parsPrecompiles": true }` (geth ignores the key); chains from other genesis files run
 * Ethereum's precompiles only, so their blocks execute exactly as their own clients execute them.
 */
export function parsPrecompilesEnabled(g: GethGenesis): boolean {
  return (g.config as unknown as Record<string, unknown>)['parsPrecompiles'] === true
}

export interface DevGenesisOptions {
  chainId?: number
  alloc: Record<string, { balance: bigint }>
  gasLimit?: bigint
  timestamp?: bigint
  extraData?: string
}

/** A genesis for a chain at the Pars hardfork from block 0 (dev mode, testnets). */
export function devGenesis(opts: DevGenesisOptions): GethGenesis {
  const alloc: GethGenesis['alloc'] = {}
  for (const [addr, { balance }] of Object.entries(opts.alloc)) alloc[addr.toLowerCase()] = { balance: `0x${balance.toString(16)}` }
  // the system contracts (ServiceNodeRegistry, ...) live at fixed addresses in every Pars genesis
  for (const c of SYSTEM_CONTRACTS)
    alloc[c.address] = { ...alloc[c.address], balance: alloc[c.address]?.balance ?? '0x0', code: c.code, nonce: '0x1' }
  return {
    config: {
      chainId: opts.chainId ?? PARS_CHAIN_ID,
      homesteadBlock: 0,
      eip150Block: 0,
      eip155Block: 0,
      eip158Block: 0,
      byzantiumBlock: 0,
      constantinopleBlock: 0,
      petersburgBlock: 0,
      istanbulBlock: 0,
      berlinBlock: 0,
      londonBlock: 0,
      mergeNetsplitBlock: 0,
      terminalTotalDifficulty: 0,
      terminalTotalDifficultyPassed: true,
      shanghaiTime: 0,
      cancunTime: 0,
      pragueTime: 0,
      osakaTime: 0,
      parsPrecompiles: true,
      blobSchedule: {
        cancun: { target: 3, max: 6, baseFeeUpdateFraction: 3338477 },
        prague: { target: 6, max: 9, baseFeeUpdateFraction: 5007716 },
        osaka: { target: 6, max: 9, baseFeeUpdateFraction: 5007716 },
      },
    } as GethGenesis['config'],
    nonce: '0x0',
    timestamp: `0x${(opts.timestamp ?? 0n).toString(16)}`,
    extraData: opts.extraData ?? '0x',
    gasLimit: `0x${(opts.gasLimit ?? 30_000_000n).toString(16)}`,
    difficulty: '0x0',
    mixHash: `0x${'00'.repeat(32)}`,
    coinbase: `0x${'00'.repeat(20)}`,
    baseFeePerGas: '0x3b9aca00',
    alloc,
  }
}
