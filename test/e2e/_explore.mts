import { startNode } from './helpers/node.js'
import { rpc, devAccount, parsChain, RawWs } from './helpers/rpc.js'
import { createWalletClient, createPublicClient, http } from 'viem'
const node = await startNode({ blockTime: 0 })
try {
  const chain = parsChain(node.url)
  const w = createWalletClient({ account: devAccount(0), chain, transport: http(node.url) })
  const pc = createPublicClient({ chain, transport: http(node.url) })
  const ws = await RawWs.open(node.wsUrl)
  const sub = await ws.call<string>('eth_subscribe', ['newHeads'])
  console.log('sub', sub)
  const h = await w.sendTransaction({ to: devAccount(1).address, value: 1n, type: 'legacy' })
  const r = await pc.waitForTransactionReceipt({ hash: h, pollingInterval: 50 })
  console.log(JSON.stringify(await ws.notification(sub), null, 1))
  console.log(JSON.stringify(await rpc(node.url, 'eth_getBlockByNumber', ['latest', true]), null, 1))
  console.log(JSON.stringify(await rpc(node.url, 'eth_getTransactionReceipt', [h]), null, 1))
  for (const t of ['earliest', 'pending', 'safe', 'finalized']) console.log(t, JSON.stringify(await rpc(node.url, 'eth_getBlockByNumber', [t, false])).slice(0, 200))
  console.log(JSON.stringify(await rpc(node.url, 'eth_getProof', [devAccount(0).address, ['0x'+'0'.repeat(64)], 'latest'])).slice(0, 600))
  console.log(JSON.stringify(await rpc(node.url, 'eth_feeHistory', ['0x2', 'latest', [10, 50]])))
  console.log(JSON.stringify(await rpc(node.url, 'eth_feeHistory', ['0x2', 'latest'])))
  for (const m of ['eth_syncing', 'eth_gasPrice', 'eth_maxPriorityFeePerGas', 'eth_blobBaseFee', 'web3_clientVersion', 'net_version', 'txpool_status', 'eth_newBlockFilter'])
    console.log(m, JSON.stringify(await rpc(node.url, m, [])))
  await ws.close()
} finally { await node.dispose() }
