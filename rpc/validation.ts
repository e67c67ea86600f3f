import type { AccountOverride, StateOverrides } from '../evm/index.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { invalidParams } from './errors.js'

/**
 * Parameter validators for the Ethereum JSON-RPC API. Each one takes the raw JSON value and a
 * parameter name (its position in the params array, or a label), returns the parsed value, and throws
 * `invalidParams` (-32602) with a message naming the parameter and the problem:
 *
 *   invalid argument 0: hex string has length 38, want 40 for address
 *   invalid argument 0: to: hex string without 0x prefix
 *   missing value for required argument 1
 *
 * Formats follow the execution-apis schemas and geth's decoders: hex strings need the 0x prefix,
 * quantities have no leading zeros ("0x0" for zero) and fit 256 bits, fixed-size byte strings must
 * have exactly the right length. Optional fields that are `null` count as absent (as in geth).
 */

/** A parameter's position in the params array, or a label for it. */
export type ParamName = number | string

export type BlockTagName = 'latest' | 'pending' | 'safe' | 'finalized' | 'earliest'

export type BlockTag = { kind: 'tag'; tag: BlockTagName } | { kind: 'number'; number: bigint }

export type BlockTagOrHash = BlockTag | { kind: 'hash'; hash: Uint8Array; requireCanonical: boolean }

export interface AccessListEntry {
  address: Uint8Array
  storageKeys: Uint8Array[]
}

/** One EIP-7702 authorization tuple. */
export interface AuthorizationEntry {
  chainId: bigint
  address: Uint8Array
  nonce: bigint
  yParity: number
  r: bigint
  s: bigint
}

/** The transaction object of eth_call, eth_estimateGas, eth_sendTransaction, eth_createAccessList. */
export interface TransactionRequest {
  from?: Uint8Array
  /** null: contract creation (absent or null in the request) */
  to: Uint8Array | null
  gas?: bigint
  gasPrice?: bigint
  maxFeePerGas?: bigint
  maxPriorityFeePerGas?: bigint
  maxFeePerBlobGas?: bigint
  value?: bigint
  nonce?: bigint
  /** `input`, or `data` when only that is given */
  data?: Uint8Array
  accessList?: AccessListEntry[]
  type?: number
  chainId?: bigint
  authorizationList?: AuthorizationEntry[]
  blobVersionedHashes?: Uint8Array[]
}

/** Keyed by lowercase 0x-prefixed address hex (the EVM layer's own type). */
export type StateOverride = StateOverrides

export interface FilterOptions {
  fromBlock?: BlockTag
  toBlock?: BlockTag
  blockHash?: Uint8Array
  /** empty: any address */
  addresses: Uint8Array[]
  /** per position: null matches anything, otherwise any of the listed topics */
  topics: (Uint8Array[] | null)[]
}

export interface TypedDataField {
  name: string
  type: string
}

export interface TypedDataInput {
  types: Record<string, TypedDataField[]>
  primaryType: string
  domain: Record<string, unknown>
  message: Record<string, unknown>
}

/** Limits on eth_getLogs / eth_newFilter criteria (geth's values). */
export const MAX_FILTER_TOPICS = 4
export const MAX_FILTER_ADDRESSES = 1000

const MAX_INT64 = 0x7fffffffffffffffn
const BLOCK_TAGS: ReadonlySet<string> = new Set(['latest', 'pending', 'safe', 'finalized', 'earliest'])

// ---------------------------------------------------------------------------------------------
// failure helpers

function fail(name: ParamName, field: string, problem: string): never {
  throw invalidParams(field === '' ? `invalid argument ${name}: ${problem}` : `invalid argument ${name}: ${field}: ${problem}`)
}

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  return typeof v
}

function missing(v: unknown, name: ParamName, field: string): boolean {
  if (v !== undefined) return false
  if (field === '') throw invalidParams(`missing value for required argument ${name}`)
  fail(name, field, 'missing value')
}

function fieldPath(parent: string, child: string): string {
  return parent === '' ? child : `${parent}.${child}`
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

// ---------------------------------------------------------------------------------------------
// hex primitives

function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48 // 0-9
  if (c >= 97 && c <= 102) return c - 87 // a-f
  if (c >= 65 && c <= 70) return c - 55 // A-F
  return -1
}

function hasPrefix(s: string): boolean {
  return s.length >= 2 && s.charCodeAt(0) === 48 && (s.charCodeAt(1) === 120 || s.charCodeAt(1) === 88)
}

/** Checks type and prefix; returns the string. */
function hexString(v: unknown, name: ParamName, field: string, what: string): string {
  missing(v, name, field)
  if (typeof v !== 'string') fail(name, field, `expected a hex string for ${what}, got ${describe(v)}`)
  if (v.length === 0) fail(name, field, 'empty hex string')
  if (!hasPrefix(v)) fail(name, field, 'hex string without 0x prefix')
  return v
}

/** Decodes the digits after the prefix into `out` (length already checked); false on a bad digit. */
function decodeInto(s: string, out: Uint8Array): boolean {
  for (let i = 0, j = 2; i < out.length; i++, j += 2) {
    const hi = nibble(s.charCodeAt(j))
    const lo = nibble(s.charCodeAt(j + 1))
    if (hi < 0 || lo < 0) return false
    out[i] = (hi << 4) | lo
  }
  return true
}

function fixedBytes(v: unknown, name: ParamName, field: string, size: number, what: string): Uint8Array {
  const s = hexString(v, name, field, what)
  const digits = s.length - 2
  if (digits !== size * 2) fail(name, field, `hex string has length ${digits}, want ${size * 2} for ${what}`)
  const out = new Uint8Array(size)
  if (!decodeInto(s, out)) fail(name, field, 'invalid hex string')
  return out
}

function parseAddress(v: unknown, name: ParamName, field: string): Uint8Array {
  const out = fixedBytes(v, name, field, 20, 'address')
  const s = v as string
  // EIP-55: a mixed-case address carries a checksum, and a wrong one is most likely a typo
  let lower = false
  let upper = false
  for (let i = 2; i < 42; i++) {
    const c = s.charCodeAt(i)
    if (c >= 97 && c <= 102) lower = true
    else if (c >= 65 && c <= 70) upper = true
  }
  if (lower && upper && !checksumMatches(s)) fail(name, field, 'address has an invalid EIP-55 checksum')
  return out
}

/**
 * Mixed-case addresses already found to carry a valid checksum. A memo of a pure function (no
 * behaviour depends on what it holds; several nodes in one process share it harmlessly), bounded:
 * hashing an address costs more than the rest of an eth_getBalance, and clients repeat addresses.
 */
const validChecksums = new Set<string>()
const MAX_REMEMBERED_CHECKSUMS = 4096

function checksumMatches(s: string): boolean {
  if (validChecksums.has(s)) return true
  const ok = checksumMatchesUncached(s)
  if (ok) {
    if (validChecksums.size >= MAX_REMEMBERED_CHECKSUMS) validChecksums.clear()
    validChecksums.add(s)
  }
  return ok
}

function checksumMatchesUncached(s: string): boolean {
  const body = s.slice(2)
  const hash = keccak_256(new TextEncoder().encode(body.toLowerCase()))
  for (let i = 0; i < 40; i++) {
    const c = body.charCodeAt(i)
    if (c < 65) continue // digit
    const h = (hash[i >> 1]! >> (i % 2 === 0 ? 4 : 0)) & 0x0f
    const isUpper = c <= 70
    if (h >= 8 !== isUpper) return false
  }
  return true
}

function parseData(v: unknown, name: ParamName, field: string): Uint8Array {
  const s = hexString(v, name, field, 'data')
  if (s.length % 2 !== 0) fail(name, field, 'hex string of odd length')
  const out = new Uint8Array((s.length - 2) / 2)
  if (!decodeInto(s, out)) fail(name, field, 'invalid hex string')
  return out
}

function parseQuantity(v: unknown, name: ParamName, field: string, bits: 64 | 256): bigint {
  const s = hexString(v, name, field, 'quantity')
  const digits = s.length - 2
  if (digits === 0) fail(name, field, 'hex number "0x" has no digits')
  if (digits > 1 && s.charCodeAt(2) === 48) fail(name, field, 'hex number with leading zero digits')
  for (let i = 2; i < s.length; i++) if (nibble(s.charCodeAt(i)) < 0) fail(name, field, 'invalid hex string')
  if (digits > bits / 4) fail(name, field, `hex number > ${bits} bits`)
  return BigInt(s.charCodeAt(1) === 120 ? s : '0x' + s.slice(2))
}

function parseBool(v: unknown, name: ParamName, field: string): boolean {
  missing(v, name, field)
  if (typeof v !== 'boolean') fail(name, field, `expected a boolean, got ${describe(v)}`)
  return v
}

function parseBlockTag(v: unknown, name: ParamName, field: string): BlockTag {
  missing(v, name, field)
  if (typeof v === 'string' && BLOCK_TAGS.has(v)) return { kind: 'tag', tag: v as BlockTagName }
  if (typeof v !== 'string') fail(name, field, `expected a block number or tag, got ${describe(v)}`)
  if (!hasPrefix(v)) {
    fail(
      name,
      field,
      `invalid block number or tag "${clip(v)}" (want a 0x-prefixed hex number or one of latest, pending, safe, finalized, earliest)`,
    )
  }
  const n = parseQuantity(v, name, field, 64)
  if (n > MAX_INT64) fail(name, field, 'block number larger than int64')
  return { kind: 'number', number: n }
}

function clip(s: string): string {
  return s.length > 32 ? s.slice(0, 32) + '...' : s
}

function optionalField<T>(
  obj: Record<string, unknown>,
  key: string,
  name: ParamName,
  parent: string,
  parse: (v: unknown, name: ParamName, field: string) => T,
): T | undefined {
  const v = obj[key]
  if (v === undefined || v === null) return undefined
  return parse(v, name, fieldPath(parent, key))
}

function arrayOf<T>(v: unknown, name: ParamName, field: string, parse: (item: unknown, name: ParamName, field: string) => T): T[] {
  missing(v, name, field)
  if (!Array.isArray(v)) fail(name, field, `expected an array, got ${describe(v)}`)
  const out = new Array<T>(v.length)
  for (let i = 0; i < v.length; i++) out[i] = parse(v[i], name, `${field}[${i}]`)
  return out
}

const hash32Field = (v: unknown, name: ParamName, field: string): Uint8Array => fixedBytes(v, name, field, 32, 'hash')
const u256Field = (v: unknown, name: ParamName, field: string): bigint => parseQuantity(v, name, field, 256)
const u64Field = (v: unknown, name: ParamName, field: string): bigint => parseQuantity(v, name, field, 64)

// ---------------------------------------------------------------------------------------------
// public validators

/** 20-byte address: 0x + 40 hex digits; a mixed-case address must carry a valid EIP-55 checksum. */
export function address(v: unknown, name: ParamName = 0): Uint8Array {
  return parseAddress(v, name, '')
}

/** 32-byte hash: 0x + 64 hex digits. */
export function hash32(v: unknown, name: ParamName = 0): Uint8Array {
  return fixedBytes(v, name, '', 32, 'hash')
}

/** Unsigned quantity up to 256 bits: 0x-prefixed hex, no leading zeros ("0x0" for zero). */
export function quantity(v: unknown, name: ParamName = 0): bigint {
  return parseQuantity(v, name, '', 256)
}

/** Unsigned quantity up to 64 bits (gas, nonce, counts). */
export function uint64(v: unknown, name: ParamName = 0): bigint {
  return parseQuantity(v, name, '', 64)
}

/** A quantity as a JS number, at most `max` (default Number.MAX_SAFE_INTEGER). */
export function quantityAsNumber(v: unknown, name: ParamName = 0, max: number = Number.MAX_SAFE_INTEGER): number {
  const n = parseQuantity(v, name, '', 64)
  if (n > BigInt(max)) fail(name, '', `number ${n} exceeds the maximum ${max}`)
  return Number(n)
}

/** Arbitrary bytes: 0x + an even number of hex digits ("0x" is empty data). */
export function data(v: unknown, name: ParamName = 0): Uint8Array {
  return parseData(v, name, '')
}

export function bool(v: unknown, name: ParamName = 0): boolean {
  return parseBool(v, name, '')
}

/** "latest" | "pending" | "safe" | "finalized" | "earliest" | 0x block number (at most int64). */
export function blockTag(v: unknown, name: ParamName = 0): BlockTag {
  return parseBlockTag(v, name, '')
}

/**
 * A block tag or number, a 32-byte block hash string, or an EIP-1898 object:
 * `{ blockHash, requireCanonical? }` or `{ blockNumber }` (blockNumber takes tags too).
 */
export function blockTagOrHash(v: unknown, name: ParamName = 0): BlockTagOrHash {
  missing(v, name, '')
  if (typeof v === 'string') {
    if (v.length === 66 && hasPrefix(v)) return { kind: 'hash', hash: fixedBytes(v, name, '', 32, 'hash'), requireCanonical: false }
    return parseBlockTag(v, name, '')
  }
  if (!isRecord(v)) fail(name, '', `expected a block number, tag, hash or {blockHash}/{blockNumber} object, got ${describe(v)}`)
  const hasHash = v['blockHash'] !== undefined && v['blockHash'] !== null
  const hasNumber = v['blockNumber'] !== undefined && v['blockNumber'] !== null
  if (hasHash && hasNumber) fail(name, '', 'cannot specify both blockHash and blockNumber, choose one or the other')
  if (hasHash) {
    const hash = fixedBytes(v['blockHash'], name, 'blockHash', 32, 'hash')
    const rc = v['requireCanonical']
    const requireCanonical = rc === undefined || rc === null ? false : parseBool(rc, name, 'requireCanonical')
    return { kind: 'hash', hash, requireCanonical }
  }
  if (hasNumber) return parseBlockTag(v['blockNumber'], name, 'blockNumber')
  return fail(name, '', 'either blockHash or blockNumber must be specified')
}

const LATEST: BlockTag = Object.freeze({ kind: 'tag', tag: 'latest' })

/** The block a state query names; `latest` when the parameter is left out. */
export function blockTagOrLatest(v: unknown, name: ParamName): BlockTagOrHash {
  return v === undefined ? LATEST : blockTagOrHash(v, name)
}

/** `undefined` when the value is absent or null, otherwise `parse(v, name)`: for optional params. */
export function optional<T>(v: unknown, name: ParamName, parse: (v: unknown, name: ParamName) => T): T | undefined {
  return v === undefined || v === null ? undefined : parse(v, name)
}

/** Throws -32602 unless min <= params.length <= max. */
export function checkParamCount(params: readonly unknown[], min: number, max: number = min): void {
  if (params.length < min) throw invalidParams(`missing value for required argument ${params.length}`)
  if (params.length > max) throw invalidParams(`too many arguments, want at most ${max}`)
}

function parseAccessList(v: unknown, name: ParamName, field: string): AccessListEntry[] {
  return arrayOf(v, name, field, (item, n, f) => {
    if (!isRecord(item)) fail(n, f, `expected an access list entry object, got ${describe(item)}`)
    const addr = parseAddress(item['address'], n, fieldPath(f, 'address'))
    const keys = item['storageKeys']
    const storageKeys = keys === undefined || keys === null ? [] : arrayOf(keys, n, fieldPath(f, 'storageKeys'), hash32Field)
    return { address: addr, storageKeys }
  })
}

const AUTH_FIELDS = ['chainId', 'address', 'nonce', 'yParity', 'r', 's'] as const

function parseAuthorizationList(v: unknown, name: ParamName, field: string): AuthorizationEntry[] {
  return arrayOf(v, name, field, (item, n, f) => {
    if (!isRecord(item)) fail(n, f, `expected an authorization object, got ${describe(item)}`)
    for (const k of AUTH_FIELDS) if (item[k] === undefined || item[k] === null) fail(n, fieldPath(f, k), 'missing value')
    const yParity = parseQuantity(item['yParity'], n, fieldPath(f, 'yParity'), 64)
    if (yParity > 0xffn) fail(n, fieldPath(f, 'yParity'), 'yParity must fit in a byte')
    return {
      chainId: parseQuantity(item['chainId'], n, fieldPath(f, 'chainId'), 256),
      address: parseAddress(item['address'], n, fieldPath(f, 'address')),
      nonce: parseQuantity(item['nonce'], n, fieldPath(f, 'nonce'), 64),
      yParity: Number(yParity),
      r: parseQuantity(item['r'], n, fieldPath(f, 'r'), 256),
      s: parseQuantity(item['s'], n, fieldPath(f, 's'), 256),
    }
  })
}

const TX_TYPE_MAX = 0xffn

/**
 * The transaction object of eth_call / eth_estimateGas / eth_sendTransaction / eth_createAccessList.
 * Unknown fields are ignored; null fields count as absent. `data` and `input` may both be given only
 * when equal. gasPrice excludes maxFeePerGas/maxPriorityFeePerGas.
 */
export function transactionRequest(v: unknown, name: ParamName = 0): TransactionRequest {
  missing(v, name, '')
  if (!isRecord(v)) fail(name, '', `expected a transaction object, got ${describe(v)}`)
  const input = optionalField(v, 'input', name, '', parseData)
  const dataField = optionalField(v, 'data', name, '', parseData)
  if (input !== undefined && dataField !== undefined && !sameBytes(input, dataField)) {
    fail(name, '', 'both "data" and "input" are set and not equal; use "input" for call data')
  }
  const out: TransactionRequest = { to: optionalField(v, 'to', name, '', parseAddress) ?? null }
  const from = optionalField(v, 'from', name, '', parseAddress)
  if (from !== undefined) out.from = from
  const d = input ?? dataField
  if (d !== undefined) out.data = d
  const gas = optionalField(v, 'gas', name, '', u64Field)
  if (gas !== undefined) out.gas = gas
  const gasPrice = optionalField(v, 'gasPrice', name, '', u256Field)
  if (gasPrice !== undefined) out.gasPrice = gasPrice
  const maxFee = optionalField(v, 'maxFeePerGas', name, '', u256Field)
  if (maxFee !== undefined) out.maxFeePerGas = maxFee
  const maxPrio = optionalField(v, 'maxPriorityFeePerGas', name, '', u256Field)
  if (maxPrio !== undefined) out.maxPriorityFeePerGas = maxPrio
  if (gasPrice !== undefined && (maxFee !== undefined || maxPrio !== undefined)) {
    fail(name, '', 'both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified')
  }
  const blobFee = optionalField(v, 'maxFeePerBlobGas', name, '', u256Field)
  if (blobFee !== undefined) out.maxFeePerBlobGas = blobFee
  const value = optionalField(v, 'value', name, '', u256Field)
  if (value !== undefined) out.value = value
  const nonce = optionalField(v, 'nonce', name, '', u64Field)
  if (nonce !== undefined) out.nonce = nonce
  const accessList = optionalField(v, 'accessList', name, '', parseAccessList)
  if (accessList !== undefined) out.accessList = accessList
  const type = optionalField(v, 'type', name, '', u64Field)
  if (type !== undefined) {
    if (type > TX_TYPE_MAX) fail(name, 'type', `transaction type ${type} out of range`)
    out.type = Number(type)
  }
  const chainId = optionalField(v, 'chainId', name, '', u256Field)
  if (chainId !== undefined) out.chainId = chainId
  const auth = optionalField(v, 'authorizationList', name, '', parseAuthorizationList)
  if (auth !== undefined) out.authorizationList = auth
  const blobHashes = optionalField(v, 'blobVersionedHashes', name, '', (x, n, f) => arrayOf(x, n, f, hash32Field))
  if (blobHashes !== undefined) out.blobVersionedHashes = blobHashes
  return out
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function lowerHex(s: string): string {
  return '0x' + s.slice(2).toLowerCase()
}

function parseStorageMap(v: unknown, name: ParamName, field: string): Map<string, Uint8Array> {
  if (!isRecord(v)) fail(name, field, `expected an object of slot => value, got ${describe(v)}`)
  const out = new Map<string, Uint8Array>()
  for (const key of Object.keys(v)) {
    fixedBytes(key, name, `${field}[${clip(key)}]`, 32, 'hash') // the key itself is a 32-byte slot
    out.set(lowerHex(key), fixedBytes(v[key], name, `${field}[${key}]`, 32, 'hash'))
  }
  return out
}

/**
 * State override set (eth_call / eth_estimateGas third argument): address => {balance, nonce, code,
 * state | stateDiff, movePrecompileToAddress}. Absent or null gives an empty map.
 */
export function stateOverride(v: unknown, name: ParamName = 2): StateOverride {
  const out: StateOverride = new Map()
  if (v === undefined || v === null) return out
  if (!isRecord(v)) fail(name, '', `expected a state override object keyed by address, got ${describe(v)}`)
  for (const key of Object.keys(v)) {
    parseAddress(key, name, `[${clip(key)}]`)
    const addr = lowerHex(key)
    if (out.has(addr)) fail(name, '', `address ${addr} is overridden twice`)
    const acct = v[key]
    if (!isRecord(acct)) fail(name, addr, `expected an account override object, got ${describe(acct)}`)
    const o: AccountOverride = {}
    const balance = optionalField(acct, 'balance', name, addr, u256Field)
    if (balance !== undefined) o.balance = balance
    const nonce = optionalField(acct, 'nonce', name, addr, u64Field)
    if (nonce !== undefined) o.nonce = nonce
    const code = optionalField(acct, 'code', name, addr, parseData)
    if (code !== undefined) o.code = code
    const state = optionalField(acct, 'state', name, addr, parseStorageMap)
    const stateDiff = optionalField(acct, 'stateDiff', name, addr, parseStorageMap)
    if (state !== undefined && stateDiff !== undefined) fail(name, addr, 'account has both "state" and "stateDiff"')
    if (state !== undefined) o.state = state
    if (stateDiff !== undefined) o.stateDiff = stateDiff
    // geth's movePrecompileToAddress is not implemented: refusing it beats answering as if it were applied
    if (acct['movePrecompileToAddress'] !== undefined && acct['movePrecompileToAddress'] !== null) {
      fail(name, addr, 'movePrecompileToAddress is not supported by this node')
    }
    out.set(addr, o)
  }
  return out
}

function parseTopics(v: unknown, name: ParamName): (Uint8Array[] | null)[] {
  if (!Array.isArray(v)) fail(name, 'topics', `expected an array, got ${describe(v)}`)
  if (v.length > MAX_FILTER_TOPICS) fail(name, 'topics', `too many topic positions: ${v.length}, at most ${MAX_FILTER_TOPICS}`)
  const out = new Array<Uint8Array[] | null>(v.length)
  for (let i = 0; i < v.length; i++) {
    const t: unknown = v[i]
    const f = `topics[${i}]`
    if (t === null || t === undefined) out[i] = null
    else if (typeof t === 'string') out[i] = [fixedBytes(t, name, f, 32, 'topic')]
    else if (Array.isArray(t)) {
      // geth: a null among the alternatives makes the whole position a wildcard, as does []
      let alts: Uint8Array[] | null = []
      for (let j = 0; j < t.length; j++) {
        const a: unknown = t[j]
        if (a === null) {
          alts = null
          break
        }
        if (typeof a !== 'string') fail(name, `${f}[${j}]`, `expected a topic hash or null, got ${describe(a)}`)
        alts.push(fixedBytes(a, name, `${f}[${j}]`, 32, 'topic'))
      }
      out[i] = alts === null || alts.length === 0 ? null : alts
    } else fail(name, f, `expected a topic hash, an array of them or null, got ${describe(t)}`)
  }
  return out
}

/**
 * Log filter criteria (eth_getLogs, eth_newFilter): fromBlock/toBlock or blockHash (not both),
 * address (one or an array, null = any), topics (up to 4 positions; each null, a hash, or an array of
 * hashes where null or [] means any).
 */
export function filterOptions(v: unknown, name: ParamName = 0): FilterOptions {
  missing(v, name, '')
  if (!isRecord(v)) fail(name, '', `expected a filter object, got ${describe(v)}`)
  const out: FilterOptions = { addresses: [], topics: [] }
  const blockHash = optionalField(v, 'blockHash', name, '', hash32Field)
  const fromBlock = optionalField(v, 'fromBlock', name, '', parseBlockTag)
  const toBlock = optionalField(v, 'toBlock', name, '', parseBlockTag)
  if (blockHash !== undefined && (fromBlock !== undefined || toBlock !== undefined)) {
    fail(name, '', 'cannot specify both blockHash and fromBlock/toBlock, choose one or the other')
  }
  if (blockHash !== undefined) out.blockHash = blockHash
  if (fromBlock !== undefined) out.fromBlock = fromBlock
  if (toBlock !== undefined) out.toBlock = toBlock
  const addr = v['address']
  if (typeof addr === 'string') out.addresses = [parseAddress(addr, name, 'address')]
  else if (Array.isArray(addr)) {
    if (addr.length > MAX_FILTER_ADDRESSES) fail(name, 'address', `too many addresses: ${addr.length}, at most ${MAX_FILTER_ADDRESSES}`)
    out.addresses = arrayOf(addr, name, 'address', parseAddress)
  } else if (addr !== undefined && addr !== null)
    fail(name, 'address', `expected an address or an array of addresses, got ${describe(addr)}`)
  const topics = v['topics']
  if (topics !== undefined && topics !== null) out.topics = parseTopics(topics, name)
  return out
}

/**
 * Structural check of EIP-712 typed data for eth_signTypedData_v4: an object (or its JSON text) with
 * `types` (name => [{name, type}]), `primaryType` (a key of types), `domain` and `message` objects.
 */
export function typedData(v: unknown, name: ParamName = 1): TypedDataInput {
  missing(v, name, '')
  let obj: unknown = v
  if (typeof v === 'string') {
    try {
      obj = JSON.parse(v)
    } catch {
      fail(name, '', 'typed data string is not valid JSON')
    }
  }
  if (!isRecord(obj)) fail(name, '', `expected typed data object, got ${describe(obj)}`)
  const types = obj['types']
  if (!isRecord(types)) fail(name, 'types', `expected an object of type definitions, got ${describe(types)}`)
  for (const typeName of Object.keys(types)) {
    const fields = types[typeName]
    const f = `types.${typeName}`
    if (!Array.isArray(fields)) fail(name, f, `expected an array of {name, type}, got ${describe(fields)}`)
    for (let i = 0; i < fields.length; i++) {
      const fd: unknown = fields[i]
      if (!isRecord(fd) || typeof fd['name'] !== 'string' || typeof fd['type'] !== 'string' || fd['type'] === '') {
        fail(name, `${f}[${i}]`, 'expected {name: string, type: string}')
      }
    }
  }
  const primaryType = obj['primaryType']
  if (typeof primaryType !== 'string') fail(name, 'primaryType', `expected a string, got ${describe(primaryType)}`)
  if (!Object.prototype.hasOwnProperty.call(types, primaryType))
    fail(name, 'primaryType', `type "${clip(primaryType)}" is not defined in types`)
  const domain = obj['domain']
  if (!isRecord(domain)) fail(name, 'domain', `expected an object, got ${describe(domain)}`)
  const message = obj['message']
  if (!isRecord(message)) fail(name, 'message', `expected an object, got ${describe(message)}`)
  return { types: types as Record<string, TypedDataField[]>, primaryType, domain, message }
}
