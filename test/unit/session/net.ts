// Service nodes in one process for tests: memory-level stores, real onion layers, an in-memory
// transport with nodes that can be taken down.
import { openMemoryDb, type KVStore } from '../../../common/index.js'
import {
  MessageStore,
  onionKeyPair,
  OnionRouter,
  ServiceNode,
  swarmsOf,
  type OnionHop,
  type ServiceTransport,
} from '../../../session/index.js'

export async function network(n: number) {
  const ids = Array.from({ length: n }, (_, i) => `12D3KooService${String(i).padStart(3, '0')}`)
  const swarms = swarmsOf(ids)
  const down = new Set<string>()
  const nodes = new Map<string, ServiceNode>()
  const dbs = new Map<string, KVStore>()
  const hops: OnionHop[] = []
  const transportFor = (self: string): ServiceTransport => ({
    async request(peer, protocol, bytes) {
      if (down.has(peer)) throw new Error(`${peer} is down`)
      const node = nodes.get(peer)!
      return protocol === 'onion' ? node.handleOnion(bytes) : node.handle(bytes, self)
    },
  })
  for (const [i, id] of ids.entries()) {
    const kv = await openMemoryDb()
    dbs.set(id, kv)
    const keys = await onionKeyPair(new Uint8Array(32).fill(i + 1))
    hops.push({ peerId: id, publicKey: keys.publicKey })
    nodes.set(
      id,
      new ServiceNode({
        self: id,
        store: new MessageStore(kv),
        swarms,
        onion: new OnionRouter(keys.privateKey),
        transport: transportFor(id),
      }),
    )
  }
  const client: ServiceTransport = transportFor('client')
  return { ids, swarms, nodes, dbs, hops, client, down }
}
