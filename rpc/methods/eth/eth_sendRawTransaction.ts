import { createTxFromRLP, type TypedTransaction } from '@ethereumjs/tx'
import { ParsError, errorMessage, toHex } from '../../../common/index.js'
import { invalidParams } from '../../errors.js'
import { checkParamCount, data } from '../../validation.js'
import type { MethodFactory } from '../deps.js'

export const eth_sendRawTransaction: MethodFactory = (d) => async (params) => {
  checkParamCount(params, 1)
  const raw = data(params[0], 0)
  if (raw.length === 0) throw invalidParams('invalid argument 0: empty transaction')
  let tx: TypedTransaction
  try {
    tx = createTxFromRLP(raw, { common: d.chain.common })
  } catch (e) {
    const msg = errorMessage(e)
    // EthereumJS refuses some invalid transactions while decoding them; answer as geth's pool would
    if (/maxFeePerGas cannot be less than maxPriorityFeePerGas/i.test(msg)) {
      throw new ParsError({ code: 'TX_REJECTED', reason: 'TIP_ABOVE_FEE' }, 'max priority fee per gas higher than max fee per gas')
    }
    const cap = /gas limit (\d+) exceeds the maximum allowed by EIP-7825 \((\d+)\)/i.exec(msg)
    if (cap !== null) {
      throw new ParsError({ code: 'TX_REJECTED', reason: 'GAS_LIMIT' }, `transaction gas limit too high (cap: ${cap[2]}, tx: ${cap[1]})`)
    }
    if (/chain ?id/i.test(msg)) {
      throw new ParsError(
        { code: 'TX_REJECTED', reason: 'WRONG_CHAIN' },
        `invalid chain id: the transaction is not for chain ${d.chain.chainId}`,
      )
    }
    throw invalidParams(`invalid argument 0: not a valid signed transaction (${msg.split('\n')[0]!.slice(0, 200)})`)
  }
  const hash = await d.pool.add(tx)
  await d.afterSubmit?.(hash)
  return toHex(hash)
}
