// Service nodes in one process for tests: memory-level stores, real onion layers, an in-memory
// transport with nodes that can be taken down.
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { ed25519 } from '@noble/curves/ed25519.js'
import { openMemoryDb, type KVStore } from '../../../common/index.js'
import {
  decodeRequest,
  encodeResponse,
  MessageStore,
  onionKeyPair,
  OnionRouter,
  receiptSigner,
  ServiceNode,
  swarmsOf,
  type OnionHop,
  type ServiceTransport,
} from '../../../session/index.js'

/**
 * `n` service nodes in the swarms, and `spare` more that run but are in no swarm until `join` adds
 * them (as a registration would). `receipts: false`: the nodes give no storage receipts.
 */
export async function network(n: number, spare = 0, opts: { receipts?: boolean } = {}) {
  // real Ed25519 node keys (fixed seeds), as libp2p peer ids carry them: the nodes sign storage receipts
  const seeds = Array.from({ length: n + spare }, (_, i) => new Uint8Array(32).fill(101 + i))
  const all = seeds.map((seed) => peerIdFromPublicKey(publicKeyFromRaw(ed25519.getPublicKey(seed))).toString())
  const ids = all.slice(0, n)
  let swarms = swarmsOf(ids)
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
  for (const [i, id] of all.entries()) {
    const kv = await openMemoryDb()
    dbs.set(id, kv)
    const keys = await onionKeyPair(new Uint8Array(32).fill(i + 1))
    hops.push({ peerId: id, publicKey: keys.publicKey })
    nodes.set(
      id,
      new ServiceNode({
        self: id,
        store: new MessageStore(kv),
        swarms: () => current.swarms,
        onion: new OnionRouter(keys.privateKey),
        ...(opts.receipts === false ? {} : { signer: receiptSigner(seeds[i]!) }),
        transport: transportFor(id),
      }),
    )
  }
  const client: ServiceTransport = transportFor('client')
  const current = {
    get swarms() {
      return swarms
    },
  }
  /** Nodes join the swarms (as the registry would have them); every node then hands records over. */
  const join = async (joined: string[], opts: { newcomersLag?: boolean } = {}) => {
    const before = swarms.clone()
    const after = swarms.clone()
    after.apply({ joined }, new Uint8Array(32).fill(7))
    // newcomersLag: the nodes hand records over before any node (the newcomers too) has applied the change
    if (opts.newcomersLag !== true) swarms = after
    let handed = 0
    for (const node of nodes.values()) handed += await node.rebalance(before, after)
    swarms = after
    return handed
  }
  /** Make a node drop what it is asked to keep (answering "stored") and hide what it holds (empty pages). */
  const corrupt = (id: string) => {
    const node = nodes.get(id)!
    const honest = node.handle.bind(node)
    node.handle = async (bytes, from) => {
      const q = decodeRequest(bytes)
      if (q.type === 'store' || q.type === 'replicate') return encodeResponse({ type: 'stored', hash: '00'.repeat(32), stored: true })
      if (q.type === 'retrieve') return encodeResponse({ type: 'messages', messages: [], more: false })
      return honest(bytes, from)
    }
  }
  return {
    corrupt,
    ids,
    get swarms() {
      return swarms
    },
    nodes,
    dbs,
    hops: hops.slice(0, n),
    spareHops: hops.slice(n),
    client,
    down,
    join,
  }
}
