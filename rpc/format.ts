import type { Block } from '@ethereumjs/block'
import { TransactionType, type TypedTransaction } from '@ethereumjs/tx'
import { bytesToBigInt } from '@ethereumjs/util'
import { quantity, toHex, type Hex } from '../common/index.js'
import type { LocatedLog, StoredReceipt } from '../evm/index.js'
import { effectiveGasPrice, locateLogs } from '../evm/index.js'

/**
 * Answers in exactly the shapes of the execution-apis OpenRPC schemas: canonical quantities, no
 * fields beyond the schema's, `null` where a value does not exist.
 */

export type Json = string | number | boolean | null | Json[] | { [k: string]: Json }

const ZERO_ADDRESS_BYTES = 20

function q(n: bigint | number): Hex {
  return quantity(n)
}

export function formatHeader(block: Block): Record<string, Json> {
  const h = block.header
  const out: Record<string, Json> = {
    hash: toHex(block.hash()),
    parentHash: toHex(h.parentHash),
    sha3Uncles: toHex(h.uncleHash),
    miner: toHex(h.coinbase.bytes),
    stateRoot: toHex(h.stateRoot),
    transactionsRoot: toHex(h.transactionsTrie),
    receiptsRoot: toHex(h.receiptTrie),
    logsBloom: toHex(h.logsBloom),
    difficulty: q(h.difficulty),
    number: q(h.number),
    gasLimit: q(h.gasLimit),
    gasUsed: q(h.gasUsed),
    timestamp: q(h.timestamp),
    extraData: toHex(h.extraData),
    mixHash: toHex(h.mixHash),
    nonce: toHex(h.nonce),
  }
  if (h.baseFeePerGas !== undefined) out['baseFeePerGas'] = q(h.baseFeePerGas)
  if (h.withdrawalsRoot !== undefined) out['withdrawalsRoot'] = toHex(h.withdrawalsRoot)
  if (h.blobGasUsed !== undefined) out['blobGasUsed'] = q(h.blobGasUsed)
  if (h.excessBlobGas !== undefined) out['excessBlobGas'] = q(h.excessBlobGas)
  if (h.parentBeaconBlockRoot !== undefined) out['parentBeaconBlockRoot'] = toHex(h.parentBeaconBlockRoot)
  if (h.requestsHash !== undefined) out['requestsHash'] = toHex(h.requestsHash)
  return out
}

export function formatBlock(block: Block, fullTransactions: boolean): Record<string, Json> {
  const out = formatHeader(block)
  out['size'] = q(block.serialize().length)
  out['transactions'] = fullTransactions
    ? block.transactions.map((tx, i) => formatTransaction(tx, { block, index: i }))
    : block.transactions.map((tx) => toHex(tx.hash()))
  if (block.withdrawals !== undefined) {
    out['withdrawals'] = block.withdrawals.map((w) => ({
      index: q(w.index),
      validatorIndex: q(w.validatorIndex),
      address: toHex(w.address.bytes),
      amount: q(w.amount),
    }))
  }
  out['uncles'] = []
  return out
}

function formatAccessList(tx: TypedTransaction): Json {
  const list = (tx as unknown as { accessList: [Uint8Array, Uint8Array[]][] }).accessList
  return list.map(([address, keys]) => ({ address: toHex(address), storageKeys: keys.map((k) => toHex(k)) }))
}

export function formatTransaction(tx: TypedTransaction, where?: { block: Block; index: number }): Record<string, Json> {
  const out: Record<string, Json> = {
    blockHash: where === undefined ? null : toHex(where.block.hash()),
    blockNumber: where === undefined ? null : q(where.block.header.number),
    from: toHex(tx.getSenderAddress().bytes),
    hash: toHex(tx.hash()),
    transactionIndex: where === undefined ? null : q(where.index),
    type: q(tx.type),
    nonce: q(tx.nonce),
    to: tx.to === undefined ? null : toHex(tx.to.bytes),
    gas: q(tx.gasLimit),
    value: q(tx.value),
    input: toHex(tx.data),
  }
  if (where !== undefined) out['blockTimestamp'] = q(where.block.header.timestamp)
  const v = tx.v ?? 0n
  const r = tx.r ?? 0n
  const s = tx.s ?? 0n
  if (tx.type === TransactionType.Legacy) {
    out['gasPrice'] = q((tx as unknown as { gasPrice: bigint }).gasPrice)
    if (v >= 35n) out['chainId'] = q((v - 35n) / 2n)
    out['v'] = q(v)
  } else {
    if ('maxFeePerGas' in tx) {
      out['maxPriorityFeePerGas'] = q(tx.maxPriorityFeePerGas as bigint)
      out['maxFeePerGas'] = q(tx.maxFeePerGas as bigint)
      out['gasPrice'] = q(where === undefined ? (tx.maxFeePerGas as bigint) : effectiveGasPrice(tx, where.block.header.baseFeePerGas))
    } else {
      out['gasPrice'] = q((tx as unknown as { gasPrice: bigint }).gasPrice)
    }
    if (tx.type === TransactionType.BlobEIP4844) {
      const blob = tx as unknown as { maxFeePerBlobGas: bigint; blobVersionedHashes: Uint8Array[] }
      out['maxFeePerBlobGas'] = q(blob.maxFeePerBlobGas)
      out['blobVersionedHashes'] = blob.blobVersionedHashes.map((h) => toHex(h))
    }
    out['chainId'] = q(tx.common.chainId())
    out['accessList'] = formatAccessList(tx)
    if (tx.type === TransactionType.EOACodeEIP7702) {
      const auths = (tx as unknown as { authorizationList: Uint8Array[][] }).authorizationList
      out['authorizationList'] = auths.map(([chainId, address, nonce, yParity, ar, as]) => ({
        chainId: q(bytesToBigInt(chainId!)),
        address: toHex(address!),
        nonce: q(bytesToBigInt(nonce!)),
        yParity: q(bytesToBigInt(yParity!)),
        r: q(bytesToBigInt(ar!)),
        s: q(bytesToBigInt(as!)),
      }))
    }
    out['yParity'] = q(v)
    out['v'] = q(v)
  }
  out['r'] = q(r)
  out['s'] = q(s)
  return out
}

export function formatLog(log: LocatedLog): Record<string, Json> {
  return {
    removed: log.removed,
    logIndex: q(log.logIndex),
    transactionIndex: q(log.transactionIndex),
    transactionHash: toHex(log.transactionHash),
    blockHash: toHex(log.blockHash),
    blockNumber: q(log.blockNumber),
    blockTimestamp: q(log.blockTimestamp),
    address: toHex(log.address),
    data: toHex(log.data),
    topics: log.topics.map((t) => toHex(t)),
  }
}

export function formatReceipt(
  block: Block,
  receipts: readonly StoredReceipt[],
  index: number,
  logs: readonly LocatedLog[] = locateLogs(block, receipts),
): Record<string, Json> {
  const tx = block.transactions[index]!
  const r = receipts[index]!
  const out: Record<string, Json> = {
    type: q(tx.type),
    transactionHash: toHex(tx.hash()),
    transactionIndex: q(index),
    blockHash: toHex(block.hash()),
    blockNumber: q(block.header.number),
    from: toHex(tx.getSenderAddress().bytes),
    to: tx.to === undefined ? null : toHex(tx.to.bytes),
    cumulativeGasUsed: q(r.cumulativeGasUsed),
    gasUsed: q(r.gasUsed),
    contractAddress: r.contractAddress === undefined || r.contractAddress.length !== ZERO_ADDRESS_BYTES ? null : toHex(r.contractAddress),
    logs: logs.filter((l) => l.transactionIndex === index).map(formatLog),
    logsBloom: toHex(r.logsBloom),
    status: q(r.status),
    effectiveGasPrice: q(r.effectiveGasPrice),
  }
  if (r.blobGasUsed !== undefined) {
    out['blobGasUsed'] = q(r.blobGasUsed)
    out['blobGasPrice'] = q(r.blobGasPrice ?? 0n)
  }
  return out
}
