import { createTx, TransactionType, type TypedTxData } from '@ethereumjs/tx'
import { Address } from '@ethereumjs/util'
import { ParsError, toHex } from '../../../common/index.js'
import { estimateGas } from '../../../evm/index.js'
import { RpcError } from '../../errors.js'
import { checkParamCount, transactionRequest } from '../../validation.js'
import { toCallRequest } from '../callRequest.js'
import { devAccountFor, type MethodFactory } from '../deps.js'

/** Sign with a dev account and submit (--dev only). Missing fields are filled as geth does. */
export const eth_sendTransaction: MethodFactory = (d) => async (params) => {
  checkParamCount(params, 1)
  const t = transactionRequest(params[0], 0)
  if (t.from === undefined) throw new RpcError('INVALID_PARAMS', 'invalid argument 0: from: missing value')
  const account = devAccountFor(d, t.from)
  const chainId = d.chain.chainId
  if (t.chainId !== undefined && t.chainId !== chainId)
    throw new ParsError({ code: 'TX_REJECTED', reason: 'WRONG_CHAIN' }, `invalid chain id: have ${t.chainId}, want ${chainId}`)
  const head = d.chain.head
  const nonce =
    t.nonce ?? d.pool.nextNonce(account.address, (await d.chain.reader(head).getAccount(new Address(account.address)))?.nonce ?? 0n)
  const gas = t.gas ?? (await estimateGas(d.chain, head, { ...toCallRequest(t), nonce }, undefined, { gasCap: d.limits.gasCap }))
  const txData: Record<string, unknown> = {
    nonce,
    gasLimit: gas,
    to: t.to === null ? undefined : new Address(t.to),
    value: t.value ?? 0n,
    data: t.data ?? new Uint8Array(0),
    chainId,
  }
  if (t.accessList !== undefined) txData['accessList'] = t.accessList.map((e) => [e.address, e.storageKeys])
  if (t.gasPrice !== undefined) {
    txData['gasPrice'] = t.gasPrice
    txData['type'] = t.accessList !== undefined ? TransactionType.AccessListEIP2930 : TransactionType.Legacy
  } else {
    const tip = t.maxPriorityFeePerGas ?? d.suggestedTip
    txData['maxPriorityFeePerGas'] = tip
    txData['maxFeePerGas'] = t.maxFeePerGas ?? d.chain.nextBaseFee() * 2n + tip
    txData['type'] = TransactionType.FeeMarketEIP1559
  }
  const tx = createTx(txData as TypedTxData, { common: d.chain.common }).sign(account.privateKey)
  const hash = await d.pool.add(tx)
  await d.afterSubmit?.(hash)
  return toHex(hash)
}
