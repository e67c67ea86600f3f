import type { TypedTransaction } from '@ethereumjs/tx'
import { getAddress } from 'viem'
import { checkParamCount } from '../../validation.js'
import { formatTransaction, type Json } from '../../format.js'
import type { MethodFactory } from '../deps.js'

function group(m: Map<string, TypedTransaction[]>): Record<string, Record<string, Json>> {
  const out: Record<string, Record<string, Json>> = {}
  for (const [sender, txs] of m) {
    const byNonce: Record<string, Json> = {}
    for (const tx of txs) byNonce[tx.nonce.toString()] = formatTransaction(tx)
    out[getAddress(sender)] = byNonce
  }
  return out
}

export const txpool_content: MethodFactory = (d) => (params) => {
  checkParamCount(params, 0)
  const c = d.pool.content()
  return { pending: group(c.pending), queued: group(c.queued) }
}
