import type { Block } from '@ethereumjs/block'
import { quantity } from '../../../common/index.js'
import { effectiveGasPrice } from '../../../evm/index.js'
import { invalidParams } from '../../errors.js'
import { blockTag, checkParamCount } from '../../validation.js'
import { findBlock, type MethodFactory } from '../deps.js'

function blobGasPrice(b: Block): bigint {
  return b.header.excessBlobGas === undefined ? 0n : b.header.getBlobGasPrice()
}

export const eth_feeHistory: MethodFactory = (d) => async (params) => {
  checkParamCount(params, 2, 3)
  // geth accepts the count as a quantity or a plain number
  const rawCount = params[0]
  let count: number
  if (typeof rawCount === 'number' && Number.isSafeInteger(rawCount) && rawCount >= 0) count = rawCount
  else if (typeof rawCount === 'string' && /^0x(0|[1-9a-fA-F][0-9a-fA-F]{0,15})$/.test(rawCount)) count = Number(BigInt(rawCount))
  else throw invalidParams('invalid argument 0: block count must be a quantity')
  if (count > d.limits.feeHistoryMaxBlocks) count = d.limits.feeHistoryMaxBlocks
  const newest = await findBlock(d, blockTag(params[1], 1))
  if (newest === undefined) throw invalidParams('invalid argument 1: block not found')
  let percentiles: number[] | undefined
  if (params[2] !== undefined && params[2] !== null) {
    if (!Array.isArray(params[2]) || params[2].length > 100)
      throw invalidParams('invalid argument 2: expected an array of at most 100 percentiles')
    percentiles = params[2].map((p: unknown, i: number) => {
      if (typeof p !== 'number' || !(p >= 0 && p <= 100))
        throw invalidParams(`invalid argument 2: percentile ${i} must be a number between 0 and 100`)
      return p
    })
    for (let i = 1; i < percentiles.length; i++) {
      if (percentiles[i]! < percentiles[i - 1]!) throw invalidParams(`invalid argument 2: percentiles must be ascending`)
    }
  }
  const newestNum = newest.header.number
  if (count === 0) return { oldestBlock: quantity(0n), baseFeePerGas: [], gasUsedRatio: [], baseFeePerBlobGas: [], blobGasUsedRatio: [] }
  const oldest = newestNum + 1n - BigInt(count) < 0n ? 0n : newestNum + 1n - BigInt(count)
  const baseFees: string[] = []
  const blobFees: string[] = []
  const ratios: number[] = []
  const blobRatios: number[] = []
  const rewards: string[][] = []
  const maxBlobGas = BigInt(newest.common.param('maxBlobGasPerBlock') ?? 0n)
  for (let n = oldest; n <= newestNum; n++) {
    const b = n === newestNum ? newest : (await d.chain.getBlockByNumber(n))!
    baseFees.push(quantity(b.header.baseFeePerGas ?? 0n))
    blobFees.push(quantity(blobGasPrice(b)))
    ratios.push(Number(b.header.gasUsed) / Number(b.header.gasLimit))
    blobRatios.push(maxBlobGas === 0n ? 0 : Number(b.header.blobGasUsed ?? 0n) / Number(maxBlobGas))
    if (percentiles !== undefined) {
      const receipts = (await d.chain.getReceipts(b)) ?? []
      const base = b.header.baseFeePerGas ?? 0n
      const tips = b.transactions
        .map((tx, i) => ({ tip: effectiveGasPrice(tx, base) - base, gas: receipts[i]?.gasUsed ?? 0n }))
        .sort((a, x) => (a.tip < x.tip ? -1 : a.tip > x.tip ? 1 : 0))
      rewards.push(
        percentiles.map((p) => {
          if (tips.length === 0) return quantity(0n)
          const threshold = (Number(b.header.gasUsed) * p) / 100
          let acc = 0
          for (const t of tips) {
            acc += Number(t.gas)
            if (acc >= threshold) return quantity(t.tip)
          }
          return quantity(tips[tips.length - 1]!.tip)
        }),
      )
    }
  }
  const next =
    newestNum === d.chain.head.header.number
      ? d.chain.nextBaseFee()
      : ((await d.chain.getBlockByNumber(newestNum + 1n))?.header.baseFeePerGas ?? 0n)
  baseFees.push(quantity(next))
  blobFees.push(quantity(newest.header.excessBlobGas === undefined ? 0n : newest.header.calcNextBlobGasPrice(newest.common)))
  const out: Record<string, unknown> = {
    oldestBlock: quantity(oldest),
    baseFeePerGas: baseFees,
    gasUsedRatio: ratios,
    baseFeePerBlobGas: blobFees,
    blobGasUsedRatio: blobRatios,
  }
  if (percentiles !== undefined) out['reward'] = rewards
  return out
}
