import type { Block } from '@ethereumjs/block'
import type { TypedTransaction } from '@ethereumjs/tx'

/** A log as stored with its receipt. */
export interface StoredLog {
  address: Uint8Array // 20 bytes
  topics: Uint8Array[] // 32 bytes each
  data: Uint8Array
}

/** A transaction receipt as persisted, with the metadata RPC answers need. */
export interface StoredReceipt {
  /** 1 success, 0 failure */
  status: 0 | 1
  cumulativeGasUsed: bigint
  /** gas used by this transaction alone */
  gasUsed: bigint
  logsBloom: Uint8Array // 256 bytes
  logs: StoredLog[]
  /** address of the created contract, when the transaction created one */
  contractAddress?: Uint8Array
  /** price per gas actually paid (base fee + effective tip) */
  effectiveGasPrice: bigint
  /** EIP-4844 only */
  blobGasUsed?: bigint
  blobGasPrice?: bigint
}

/** Where a transaction sits in the canonical chain. */
export interface TxLocation {
  blockHash: Uint8Array
  blockNumber: bigint
  index: number
}

/** A log with its position, as eth_getLogs and subscriptions return it. */
export interface LocatedLog extends StoredLog {
  blockHash: Uint8Array
  blockNumber: bigint
  blockTimestamp: bigint
  transactionHash: Uint8Array
  transactionIndex: number
  logIndex: number
  removed: boolean
}

export type { Block, TypedTransaction }
