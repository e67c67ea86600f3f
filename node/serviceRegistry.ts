import { decodeEventLog, type Hex } from 'viem'
import { fromHex, toHex, type Logger } from '../common/index.js'
import { ServiceNodeRegistry, type Chain } from '../evm/index.js'
import type { RegistryEvent, ServiceDirectory, SwarmMap } from '../session/index.js'
import { followFinalizedLogs } from './finalizedLogs.js'

/** The registry's address, as bytes. */
export const REGISTRY_ADDRESS = fromHex(ServiceNodeRegistry.address)

/** One log of the ServiceNodeRegistry as a directory event (other events of the contract: undefined). */
export function registryEvent(log: { topics: Uint8Array[]; data: Uint8Array }): RegistryEvent | undefined {
  let ev
  try {
    ev = decodeEventLog({
      abi: ServiceNodeRegistry.abi,
      topics: log.topics.map((t) => toHex(t)) as [Hex, ...Hex[]],
      data: toHex(log.data) as Hex,
    })
  } catch {
    return undefined
  }
  if (ev.eventName === 'Registered') {
    return {
      type: 'registered',
      peerId: fromHex(ev.args.peerId),
      operator: fromHex(ev.args.operator),
      onionKey: fromHex(ev.args.onionKey),
      signature: fromHex(ev.args.signature),
    }
  }
  if (ev.eventName === 'Deregistered') return { type: 'deregistered', peerId: fromHex(ev.args.peerId) }
  return undefined
}

/**
 * Keep a directory in step with the registry: replay its events from the first block to the finalized
 * one, then apply each newly finalized block's (block by block, the block hash as the seed), calling
 * `changed` when the swarms move. Returns a function that stops following.
 */
export async function followRegistry(
  chain: Chain,
  directory: ServiceDirectory,
  changed: (before: SwarmMap, after: SwarmMap) => void,
  logger: Logger,
): Promise<() => void> {
  const filter = { addresses: [REGISTRY_ADDRESS], topics: [] }
  return followFinalizedLogs(chain, { from: 0n, filter, what: 'the service node registry', logger }, (logs) => {
    const byBlock = new Map<bigint, { hash: Uint8Array; events: RegistryEvent[] }>()
    for (const l of logs) {
      const e = registryEvent(l)
      if (e === undefined) continue
      const b = byBlock.get(l.blockNumber) ?? { hash: l.blockHash, events: [] }
      b.events.push(e)
      byBlock.set(l.blockNumber, b)
    }
    for (const [, b] of [...byBlock].sort(([x], [y]) => (x < y ? -1 : 1))) {
      const moved = directory.applyBlock(b.events, b.hash)
      if (moved !== undefined) {
        logger.info('service nodes changed', { nodes: directory.hops().length, registered: directory.registeredNodes().length })
        changed(moved.before, moved.after)
      }
    }
  })
}
