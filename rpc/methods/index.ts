// The JSON-RPC method table: one file per method, named after it.
import type { RpcHandler } from '../types.js'
import type { MethodFactory, RpcDeps } from './deps.js'
import { web3_clientVersion } from './web3/web3_clientVersion.js'
import { web3_sha3 } from './web3/web3_sha3.js'
import { net_listening } from './net/net_listening.js'
import { net_peerCount } from './net/net_peerCount.js'
import { net_version } from './net/net_version.js'
import { pars_getValidators } from './pars/pars_getValidators.js'
import { pars_serviceNodes } from './pars/pars_serviceNodes.js'
import { pars_status } from './pars/pars_status.js'
import { eth_accounts } from './eth/eth_accounts.js'
import { eth_blobBaseFee } from './eth/eth_blobBaseFee.js'
import { eth_blockNumber } from './eth/eth_blockNumber.js'
import { eth_call } from './eth/eth_call.js'
import { eth_chainId } from './eth/eth_chainId.js'
import { eth_createAccessList } from './eth/eth_createAccessList.js'
import { eth_estimateGas } from './eth/eth_estimateGas.js'
import { eth_feeHistory } from './eth/eth_feeHistory.js'
import { eth_gasPrice } from './eth/eth_gasPrice.js'
import { eth_getBalance } from './eth/eth_getBalance.js'
import { eth_getBlockByHash } from './eth/eth_getBlockByHash.js'
import { eth_getBlockByNumber } from './eth/eth_getBlockByNumber.js'
import { eth_getBlockReceipts } from './eth/eth_getBlockReceipts.js'
import { eth_getBlockTransactionCountByHash } from './eth/eth_getBlockTransactionCountByHash.js'
import { eth_getBlockTransactionCountByNumber } from './eth/eth_getBlockTransactionCountByNumber.js'
import { eth_getCode } from './eth/eth_getCode.js'
import { eth_getFilterChanges } from './eth/eth_getFilterChanges.js'
import { eth_getFilterLogs } from './eth/eth_getFilterLogs.js'
import { eth_getLogs } from './eth/eth_getLogs.js'
import { eth_getProof } from './eth/eth_getProof.js'
import { eth_getStorageAt } from './eth/eth_getStorageAt.js'
import { eth_getTransactionByBlockHashAndIndex } from './eth/eth_getTransactionByBlockHashAndIndex.js'
import { eth_getTransactionByBlockNumberAndIndex } from './eth/eth_getTransactionByBlockNumberAndIndex.js'
import { eth_getTransactionByHash } from './eth/eth_getTransactionByHash.js'
import { eth_getTransactionCount } from './eth/eth_getTransactionCount.js'
import { eth_getTransactionReceipt } from './eth/eth_getTransactionReceipt.js'
import { eth_maxPriorityFeePerGas } from './eth/eth_maxPriorityFeePerGas.js'
import { eth_newBlockFilter } from './eth/eth_newBlockFilter.js'
import { eth_newFilter } from './eth/eth_newFilter.js'
import { eth_newPendingTransactionFilter } from './eth/eth_newPendingTransactionFilter.js'
import { eth_sendRawTransaction } from './eth/eth_sendRawTransaction.js'
import { eth_sendTransaction } from './eth/eth_sendTransaction.js'
import { eth_sign } from './eth/eth_sign.js'
import { eth_signTypedData_v4 } from './eth/eth_signTypedData_v4.js'
import { eth_subscribe } from './eth/eth_subscribe.js'
import { eth_syncing } from './eth/eth_syncing.js'
import { eth_uninstallFilter } from './eth/eth_uninstallFilter.js'
import { eth_unsubscribe } from './eth/eth_unsubscribe.js'
import { personal_sign } from './personal/personal_sign.js'
import { txpool_content } from './txpool/txpool_content.js'
import { txpool_status } from './txpool/txpool_status.js'

const factories: Record<string, MethodFactory> = {
  web3_clientVersion,
  web3_sha3,
  net_listening,
  net_peerCount,
  net_version,
  eth_accounts,
  eth_blobBaseFee,
  eth_blockNumber,
  eth_call,
  eth_chainId,
  eth_createAccessList,
  eth_estimateGas,
  eth_feeHistory,
  eth_gasPrice,
  eth_getBalance,
  eth_getBlockByHash,
  eth_getBlockByNumber,
  eth_getBlockReceipts,
  eth_getBlockTransactionCountByHash,
  eth_getBlockTransactionCountByNumber,
  eth_getCode,
  eth_getFilterChanges,
  eth_getFilterLogs,
  eth_getLogs,
  eth_getProof,
  eth_getStorageAt,
  eth_getTransactionByBlockHashAndIndex,
  eth_getTransactionByBlockNumberAndIndex,
  eth_getTransactionByHash,
  eth_getTransactionCount,
  eth_getTransactionReceipt,
  eth_maxPriorityFeePerGas,
  eth_newBlockFilter,
  eth_newFilter,
  eth_newPendingTransactionFilter,
  eth_sendRawTransaction,
  eth_sendTransaction,
  eth_sign,
  eth_signTypedData_v4,
  eth_subscribe,
  eth_syncing,
  eth_uninstallFilter,
  eth_unsubscribe,
  pars_getValidators,
  pars_serviceNodes,
  pars_status,
  personal_sign,
  txpool_content,
  txpool_status,
}

/** Every method the node serves; `--dev`-only methods are left out without dev accounts. */
export function createMethods(d: RpcDeps): Map<string, RpcHandler> {
  const devOnly = new Set(['eth_sendTransaction', 'eth_sign', 'eth_signTypedData_v4', 'personal_sign'])
  const out = new Map<string, RpcHandler>()
  for (const [name, make] of Object.entries(factories)) {
    if (devOnly.has(name) && d.devAccounts === undefined) continue
    out.set(name, make(d))
  }
  return out
}
