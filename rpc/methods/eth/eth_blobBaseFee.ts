import { quantity } from '../../../common/index.js'
import { checkParamCount } from '../../validation.js'
import type { MethodFactory } from '../deps.js'

/** Blob base fee of the next block. */
export const eth_blobBaseFee: MethodFactory = (d) => (params) => {
  checkParamCount(params, 0)
  const head = d.chain.head
  if (head.header.excessBlobGas === undefined) return quantity(0n)
  return quantity(head.header.calcNextBlobGasPrice(head.common))
}
