import { defineChain, type Chain } from 'viem'

/**
 * Pars for viem: `createPublicClient({ chain: pars, transport: http() })`. The RPC URL is the local
 * dev node's; point `transport: http(url)` elsewhere for other nodes.
 */
export const pars: Chain = defineChain({
  id: 6133,
  name: 'Pars',
  nativeCurrency: { name: 'Pars', symbol: 'PARS', decimals: 18 },
  rpcUrls: {
    default: { http: ['http://127.0.0.1:8545'], webSocket: ['ws://127.0.0.1:8545'] },
  },
})
