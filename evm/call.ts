import type { Block } from '@ethereumjs/block'
import { getMerkleStateProof, type MerkleStateManager } from '@ethereumjs/statemanager'
import { createTx, TransactionType, type TypedTransaction, type TypedTxData } from '@ethereumjs/tx'
import { Address, createAccount, bytesToBigInt, setLengthLeft } from '@ethereumjs/util'
import { runTx, type RunTxResult } from '@ethereumjs/vm'
import { ParsError, errorMessage, toHex, fromHex } from '../common/index.js'
import type { Chain } from './chain.js'
import { TX_GAS_LIMIT_CAP } from './txpool/txpool.js'

/** A transaction request as eth_call / eth_estimateGas take it (already validated). */
export interface CallRequest {
  from?: Uint8Array
  to?: Uint8Array
  gas?: bigint
  gasPrice?: bigint
  maxFeePerGas?: bigint
  maxPriorityFeePerGas?: bigint
  value?: bigint
  data?: Uint8Array
  nonce?: bigint
  accessList?: { address: Uint8Array; storageKeys: Uint8Array[] }[]
  authorizationList?: { chainId: bigint; address: Uint8Array; nonce: bigint; yParity: bigint; r: bigint; s: bigint }[]
}

export interface AccountOverride {
  balance?: bigint
  nonce?: bigint
  code?: Uint8Array
  /** replace the whole storage */
  state?: Map<string, Uint8Array>
  /** change these slots only */
  stateDiff?: Map<string, Uint8Array>
}

/** address (lowercase hex) -> override */
export type StateOverrides = Map<string, AccountOverride>

export type CallErrorType =
  { code: 'EXECUTION_REVERTED'; data: string } | { code: 'EXECUTION_FAILED'; data?: string } | { code: 'GAS_REQUIRED_EXCEEDS' }

export interface CallOptions {
  /** most gas a call may use (geth's --rpc.gascap) */
  gasCap: bigint
}

const ERROR_STRING_SELECTOR = '08c379a0'

/** "execution reverted: reason" when the data is Error(string), as geth says it. */
export function revertMessage(data: Uint8Array): string {
  const hex = toHex(data).slice(2)
  if (hex.startsWith(ERROR_STRING_SELECTOR) && data.length >= 68) {
    try {
      const len = Number(bytesToBigInt(data.subarray(36, 68)))
      if (68 + len <= data.length) return `execution reverted: ${new TextDecoder().decode(data.subarray(68, 68 + len))}`
    } catch {
      // fall through
    }
  }
  return 'execution reverted'
}

async function applyOverrides(sm: MerkleStateManager, overrides: StateOverrides | undefined): Promise<void> {
  if (overrides === undefined) return
  for (const [addrHex, o] of overrides) {
    const address = new Address(fromHex(addrHex))
    const account = (await sm.getAccount(address)) ?? createAccount({})
    if (o.balance !== undefined) account.balance = o.balance
    if (o.nonce !== undefined) account.nonce = o.nonce
    await sm.putAccount(address, account)
    if (o.code !== undefined) await sm.putCode(address, o.code)
    if (o.state !== undefined) {
      await sm.clearStorage(address)
      for (const [slot, value] of o.state) await sm.putStorage(address, setLengthLeft(fromHex(slot), 32), value)
    }
    if (o.stateDiff !== undefined) {
      for (const [slot, value] of o.stateDiff) await sm.putStorage(address, setLengthLeft(fromHex(slot), 32), value)
    }
  }
}

function hasFees(req: CallRequest): boolean {
  return req.gasPrice !== undefined || req.maxFeePerGas !== undefined || req.maxPriorityFeePerGas !== undefined
}

/** Most gas a call may ask for in this block. */
function gasCeiling(block: Block, opts: CallOptions): bigint {
  let cap = block.header.gasLimit
  if (opts.gasCap > 0n && opts.gasCap < cap) cap = opts.gasCap
  if (block.common.isActivatedEIP(7825) && cap > TX_GAS_LIMIT_CAP) cap = TX_GAS_LIMIT_CAP
  return cap
}

interface Prepared {
  run(gas: bigint, reportAccessList?: boolean, accessList?: CallRequest['accessList']): Promise<RunTxResult>
  ceiling: bigint
}

async function prepare(
  chain: Chain,
  block: Block,
  req: CallRequest,
  overrides: StateOverrides | undefined,
  opts: CallOptions,
): Promise<Prepared> {
  const header = block.header
  const fees = hasFees(req)
  const callBlock = chain.execution.callBlock(block, fees)
  const from = new Address(req.from ?? new Uint8Array(20))
  const ceiling = gasCeiling(block, opts)
  const run = async (gas: bigint, reportAccessList = false, accessList = req.accessList): Promise<RunTxResult> => {
    return chain.execution.calls.run(block, async (vm, sm) => {
      await applyOverrides(sm, overrides)
      const account = await sm.getAccount(from)
      const data: Record<string, unknown> = {
        to: req.to === undefined ? undefined : new Address(req.to),
        gasLimit: gas,
        value: req.value ?? 0n,
        data: req.data ?? new Uint8Array(0),
        nonce: req.nonce ?? account?.nonce ?? 0n,
      }
      let type: number = TransactionType.FeeMarketEIP1559
      if (req.authorizationList !== undefined && req.authorizationList.length > 0) {
        type = TransactionType.EOACodeEIP7702
        data['authorizationList'] = req.authorizationList.map((a) => ({
          chainId: toHex(setLengthLeft(fromHex(a.chainId.toString(16)), 1)),
          address: toHex(a.address),
          nonce: `0x${a.nonce.toString(16)}`,
          yParity: `0x${a.yParity.toString(16)}`,
          r: `0x${a.r.toString(16)}`,
          s: `0x${a.s.toString(16)}`,
        }))
      }
      if (req.gasPrice !== undefined) {
        type = TransactionType.AccessListEIP2930
        data['gasPrice'] = req.gasPrice
      } else {
        data['maxFeePerGas'] = req.maxFeePerGas ?? (fees ? (req.maxPriorityFeePerGas ?? 0n) + (header.baseFeePerGas ?? 0n) : 0n)
        data['maxPriorityFeePerGas'] = req.maxPriorityFeePerGas ?? 0n
      }
      if (accessList !== undefined) data['accessList'] = accessList.map((e) => [e.address, e.storageKeys])
      if (type === TransactionType.EOACodeEIP7702 && req.to === undefined)
        throw new ParsError({ code: 'EXECUTION_FAILED' }, 'set-code transactions must have a recipient')
      data['type'] = type
      const tx = createTx(data as TypedTxData, { common: vm.common, freeze: false }) as TypedTransaction
      tx.getSenderAddress = () => from
      return runTx(vm, {
        tx,
        block: callBlock,
        skipNonce: true,
        skipBalance: false,
        skipBlockGasLimitValidation: true,
        skipHardForkValidation: true,
        reportAccessList,
      })
    })
  }
  return { run, ceiling }
}

function failure(result: RunTxResult): ParsError<CallErrorType> | undefined {
  const err = result.execResult.exceptionError
  if (err === undefined) return undefined
  const data = result.execResult.returnValue
  if (err.error === 'revert') return new ParsError({ code: 'EXECUTION_REVERTED', data: toHex(data) }, revertMessage(data))
  return new ParsError({ code: 'EXECUTION_FAILED' }, err.error)
}

/** Turn EthereumJS's validation errors into the messages clients know from geth. */
function wrapRunError(e: unknown): never {
  if (e instanceof ParsError) throw e
  const msg = errorMessage(e)
  if (/enough funds|insufficient balance|upfront cost/i.test(msg)) {
    throw new ParsError({ code: 'EXECUTION_FAILED' }, 'insufficient funds for gas * price + value')
  }
  if (/base fee/i.test(msg)) throw new ParsError({ code: 'EXECUTION_FAILED' }, 'max fee per gas less than block base fee')
  if (/intrinsic|gasLimit is too low/i.test(msg)) throw new ParsError({ code: 'EXECUTION_FAILED' }, 'intrinsic gas too low')
  throw new ParsError(
    { code: 'EXECUTION_FAILED' },
    msg
      .split('\n')[0]!
      .replace(/ \(block.*$/, '')
      .replace(/ -> .*$/, ''),
  )
}

/** eth_call: run `req` on the state after `block`; returns the output or throws (revert data included). */
export async function call(
  chain: Chain,
  block: Block,
  req: CallRequest,
  overrides: StateOverrides | undefined,
  opts: CallOptions,
): Promise<Uint8Array> {
  const p = await prepare(chain, block, req, overrides, opts)
  const gas = req.gas !== undefined && req.gas < p.ceiling ? req.gas : p.ceiling
  let result: RunTxResult
  try {
    result = await p.run(gas)
  } catch (e) {
    wrapRunError(e)
  }
  const f = failure(result)
  if (f !== undefined) throw f
  return result.execResult.returnValue
}

/** eth_estimateGas: the least gas limit with which `req` succeeds (binary search, as geth does). */
export async function estimateGas(
  chain: Chain,
  block: Block,
  req: CallRequest,
  overrides: StateOverrides | undefined,
  opts: CallOptions,
): Promise<bigint> {
  const p = await prepare(chain, block, req, overrides, opts)
  let hi = req.gas !== undefined && req.gas < p.ceiling ? req.gas : p.ceiling
  const attempt = async (gas: bigint): Promise<{ ok: boolean; result?: RunTxResult; error?: ParsError }> => {
    try {
      const result = await p.run(gas)
      const f = failure(result)
      return f === undefined ? { ok: true, result } : { ok: false, result, error: f }
    } catch (e) {
      try {
        wrapRunError(e)
      } catch (w) {
        return { ok: false, error: w as ParsError }
      }
      return { ok: false }
    }
  }
  const first = await attempt(hi)
  if (!first.ok) {
    if (first.error !== undefined && first.error.code === 'EXECUTION_REVERTED') throw first.error
    if (first.result !== undefined && first.result.execResult.exceptionError?.error === 'out of gas') {
      throw new ParsError({ code: 'GAS_REQUIRED_EXCEEDS' }, `gas required exceeds allowance (${hi})`)
    }
    throw first.error ?? new ParsError({ code: 'EXECUTION_FAILED' }, 'execution failed')
  }
  const used = first.result!.totalGasSpent
  // a plain transfer to an account without code costs exactly the intrinsic gas (geth's shortcut)
  if (used === 21_000n) return used
  let lo = used - 1n
  // Most calls need only what they used, plus what refunds and the 63/64 rule hide.
  const optimistic = ((used + first.result!.gasRefund + 2300n) * 64n) / 63n
  if (optimistic < hi) {
    if ((await attempt(optimistic)).ok) hi = optimistic
    else lo = optimistic
  }
  while (lo + 1n < hi) {
    // stop within 1.5% of the answer: the last steps cost a run each and change nothing that matters
    if ((hi - lo) * 1000n < hi * 15n) break
    const mid = (lo + hi) / 2n
    if ((await attempt(mid)).ok) hi = mid
    else lo = mid
  }
  return hi
}

/** eth_createAccessList: the storage a call touches, and the gas it uses with that list. */
export async function createAccessList(
  chain: Chain,
  block: Block,
  req: CallRequest,
  overrides: StateOverrides | undefined,
  opts: CallOptions,
): Promise<{ accessList: { address: Uint8Array; storageKeys: Uint8Array[] }[]; gasUsed: bigint; error?: string }> {
  const p = await prepare(chain, block, req, overrides, opts)
  const gas = req.gas !== undefined && req.gas < p.ceiling ? req.gas : p.ceiling
  let result: RunTxResult
  try {
    result = await p.run(gas, true)
  } catch (e) {
    wrapRunError(e)
  }
  const exclude = new Set<string>([toHex(req.from ?? new Uint8Array(20))])
  if (req.to !== undefined) exclude.add(toHex(req.to))
  if (result.createdAddress !== undefined) exclude.add(toHex(result.createdAddress.bytes))
  const precompiles = chain.execution.precompileAddresses()
  // as geth's access-list tracer: sender, recipient and precompiles are left out as bare addresses
  // (they are warm anyway), but the storage slots a call touches are always listed
  const list = (result.accessList ?? [])
    .filter((e) => {
      const a = e.address.toLowerCase()
      return e.storageKeys.length > 0 || (!exclude.has(a) && !precompiles.has(a))
    })
    .map((e) => ({ address: fromHex(e.address), storageKeys: e.storageKeys.map((k) => fromHex(k)) }))
  let final: RunTxResult
  try {
    final = await p.run(gas, false, list)
  } catch (e) {
    wrapRunError(e)
  }
  const f = failure(final)
  const out: { accessList: typeof list; gasUsed: bigint; error?: string } = { accessList: list, gasUsed: final.totalGasSpent }
  if (f !== undefined) out.error = f.message
  return out
}

export interface AccountProof {
  address: string
  balance: bigint
  codeHash: string
  nonce: bigint
  storageHash: string
  accountProof: string[]
  storageProof: { key: string; value: bigint; proof: string[] }[]
}

/** eth_getProof: EIP-1186 Merkle proofs of an account and storage slots at `block`. */
export async function getProof(chain: Chain, block: Block, address: Uint8Array, keys: Uint8Array[]): Promise<AccountProof> {
  const sm = await chain.stateAt(block)
  const proof = await getMerkleStateProof(
    sm,
    new Address(address),
    keys.map((k) => setLengthLeft(k, 32)),
  )
  return {
    address: toHex(address),
    balance: BigInt(proof.balance),
    codeHash: proof.codeHash,
    nonce: BigInt(proof.nonce),
    storageHash: proof.storageHash,
    accountProof: proof.accountProof,
    storageProof: proof.storageProof.map((s, i) => ({ key: toHex(keys[i]!), value: BigInt(s.value), proof: s.proof })),
  }
}
