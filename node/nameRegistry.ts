import { createPublicClient, decodeFunctionResult, encodeFunctionData, http, type Hex } from 'viem'
import { fromHex, toHex } from '../common/index.js'
import { call, NameRegistry, type Chain } from '../evm/index.js'

/**
 * Names (alice.pars) to Session IDs, from the NameRegistry at the finalized block: on a node's own
 * chain (parsd --session), or through a node's JSON-RPC (sessiond, parsctl). `name` is normalized
 * (no .pars); undefined when it is free or expired.
 */
const sessionIdOf = (body: Hex): string | undefined => (BigInt(body) === 0n ? undefined : `05${body.slice(2)}`)

export async function resolveNameOnChain(chain: Chain, name: string): Promise<string | undefined> {
  const data = encodeFunctionData({ abi: NameRegistry.abi, functionName: 'resolve', args: [name] })
  const out = await call(chain, chain.finalized, { to: fromHex(NameRegistry.address), data: fromHex(data) }, undefined, {
    gasCap: 10_000_000n,
  })
  const [id] = decodeFunctionResult({ abi: NameRegistry.abi, functionName: 'resolve', data: toHex(out) as Hex }) as readonly [
    Hex,
    Hex,
    bigint,
  ]
  return sessionIdOf(id)
}

export async function resolveNameByRpc(rpc: string, name: string): Promise<string | undefined> {
  const client = createPublicClient({ transport: http(rpc, { timeout: 15_000, retryCount: 0 }) })
  const [id] = (await client.readContract({
    address: NameRegistry.address,
    abi: NameRegistry.abi,
    functionName: 'resolve',
    args: [name],
    blockTag: 'finalized',
  })) as readonly [Hex, Hex, bigint]
  return sessionIdOf(id)
}
