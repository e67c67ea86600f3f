import { RLP } from '@ethereumjs/rlp'
import { bigIntToUnpaddedBytes, bytesToBigInt } from '@ethereumjs/util'
import type { StoredLog, StoredReceipt } from '../types.js'

const EMPTY = new Uint8Array(0)

/** Receipts as persisted: RLP list per block of [status, cumulativeGas, gasUsed, bloom, logs, contract, price, blobGas?, blobPrice?]. */
export function encodeReceipts(receipts: readonly StoredReceipt[]): Uint8Array {
  return RLP.encode(
    receipts.map((r) => {
      const item: (Uint8Array | Uint8Array[] | (Uint8Array | Uint8Array[])[][])[] = [
        Uint8Array.of(r.status),
        bigIntToUnpaddedBytes(r.cumulativeGasUsed),
        bigIntToUnpaddedBytes(r.gasUsed),
        r.logsBloom,
        r.logs.map((l) => [l.address, l.topics, l.data]),
        r.contractAddress ?? EMPTY,
        bigIntToUnpaddedBytes(r.effectiveGasPrice),
      ]
      if (r.blobGasUsed !== undefined) {
        item.push(bigIntToUnpaddedBytes(r.blobGasUsed), bigIntToUnpaddedBytes(r.blobGasPrice ?? 0n))
      }
      return item
    }),
  )
}

export function decodeReceipts(bytes: Uint8Array): StoredReceipt[] {
  const list = RLP.decode(bytes) as unknown as Uint8Array[][]
  return list.map((item) => {
    const logs = (item[4] as unknown as [Uint8Array, Uint8Array[], Uint8Array][]).map(([address, topics, data]): StoredLog => ({
      address,
      topics,
      data,
    }))
    const contract = item[5] as Uint8Array
    const r: StoredReceipt = {
      status: (item[0] as Uint8Array)[0] === 1 ? 1 : 0,
      cumulativeGasUsed: bytesToBigInt(item[1] as Uint8Array),
      gasUsed: bytesToBigInt(item[2] as Uint8Array),
      logsBloom: item[3] as Uint8Array,
      logs,
      effectiveGasPrice: bytesToBigInt(item[6] as Uint8Array),
    }
    if (contract.length === 20) r.contractAddress = contract
    if (item.length > 7) {
      r.blobGasUsed = bytesToBigInt(item[7] as Uint8Array)
      r.blobGasPrice = bytesToBigInt(item[8] as Uint8Array)
    }
    return r
  })
}
