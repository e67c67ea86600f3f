import { createBlockFromRLP, type Block } from '@ethereumjs/block'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { concat, equalBytes, errorMessage, Reader, toHex, utf8, Writer, type Logger } from '../common/index.js'
import type { Chain, PreparedBlock, TxPool } from '../evm/index.js'
import type { EngineChain } from './engine/engine.js'
import type { GenesisValidator } from './genesisConsensus.js'
import { signBlock, verifyBlockSignature, type ValidatorKey } from './validatorKey.js'
import type { NetBlock } from './wire.js'

export interface EvmEngineChainComponents {
  chain: Chain
  pool: TxPool
  logger: Logger
  validators: readonly GenesisValidator[]
  /** this node's validator identity, if it is one */
  self?: { peerId: string; key: ValidatorKey; address: Uint8Array }
}

/** How many recent final blocks are kept in memory to answer queries and fetches of lagging peers. */
const RECENT = 2048

/**
 * The EVM chain as the Snowman engine drives it. A proposed block is checked before it can be
 * preferred: its proposer is a validator whose hybrid signature covers the block hash, height and
 * consensus timestamp; its fee recipient is that validator's address; its header follows the head
 * (number, parent, timestamp, mixHash = keccak(parent mixHash ‖ parent hash), base fee); and
 * re-executing it gives the same state root, receipts root, gas and bloom. The executed result is
 * kept, so making it final only writes it.
 */
export class EvmEngineChain implements EngineChain<NetBlock> {
  private readonly prepared = new Map<string, PreparedBlock>()
  private readonly recent = new Map<string, NetBlock>()
  private readonly byHeight = new Map<number, string>()
  private headBlock: NetBlock
  private readonly byPeer: Map<string, GenesisValidator>

  private constructor(private readonly c: EvmEngineChainComponents) {
    this.byPeer = new Map(c.validators.map((v) => [v.peerId, v]))
    this.headBlock = this.netOf(c.chain.head)
    this.remember(this.headBlock)
  }

  /** Load the recent final blocks with their seals, so peers catching up can be answered after a restart. */
  static async create(c: EvmEngineChainComponents): Promise<EvmEngineChain> {
    const self = new EvmEngineChain(c)
    const head = Number(c.chain.head.header.number)
    for (let h = Math.max(0, head - RECENT + 1); h <= head; h++) {
      const b = await c.chain.getBlockByNumber(BigInt(h))
      if (b === undefined) continue
      const nb = await self.sealed(b)
      self.remember(nb)
      if (h === head) self.headBlock = nb
    }
    return self
  }

  /** A stored block with the seal it was finalized with (genesis and pre-network blocks have none). */
  private async sealed(b: Block): Promise<NetBlock> {
    const seal = await this.c.chain.getSeal(b.hash())
    if (seal === undefined) return this.netOf(b)
    try {
      const r = new Reader(seal, 'block seal')
      const proposer = String.fromCharCode(...r.varBytes(128))
      const timestamp = Number(r.u64())
      const signature = r.varBytes(16 * 1024)
      return this.netOf(b, signature, proposer, timestamp)
    } catch {
      return this.netOf(b)
    }
  }

  private static encodeSeal(nb: NetBlock): Uint8Array {
    return new Writer().varBytes(utf8.encode(nb.proposer)).u64(BigInt(nb.timestamp)).varBytes(nb.signature).finish()
  }

  /** A committed block as the engine sees it (its consensus timestamp is the header's, in ms). */
  private netOf(b: Block, signature: Uint8Array = new Uint8Array(0), proposer = '', timestampMs?: number): NetBlock {
    return {
      id: toHex(b.hash()),
      height: Number(b.header.number),
      parentId: toHex(b.header.parentHash),
      proposer,
      timestamp: timestampMs ?? Number(b.header.timestamp) * 1000,
      rlp: b.serialize(),
      signature,
    }
  }

  private remember(b: NetBlock): void {
    this.recent.set(b.id, b)
    this.byHeight.set(b.height, b.id)
    if (this.recent.size > RECENT) {
      const oldest = this.recent.keys().next().value as string
      const old = this.recent.get(oldest)!
      this.recent.delete(oldest)
      if (this.byHeight.get(old.height) === oldest) this.byHeight.delete(old.height)
    }
  }

  head(): NetBlock {
    return this.headBlock
  }

  finalizedAt(height: number): string | undefined {
    return this.byHeight.get(height)
  }

  getBlock(id: string): NetBlock | undefined {
    return this.recent.get(id)
  }

  async finalRange(from: number, count: number): Promise<NetBlock[]> {
    const out: NetBlock[] = []
    const head = Number(this.c.chain.head.header.number)
    let bytes = 0
    for (let h = from; h < from + count && h <= head && bytes < 4 * 1024 * 1024; h++) {
      const id = this.byHeight.get(h)
      let nb = id === undefined ? undefined : this.recent.get(id)
      if (nb === undefined) {
        const b = await this.c.chain.getBlockByNumber(BigInt(h))
        if (b === undefined) break
        nb = await this.sealed(b)
      }
      out.push(nb)
      bytes += nb.rlp.length
    }
    return out
  }

  private expectedMixHash(parent: Block): Uint8Array {
    return keccak_256(concat(parent.header.mixHash, parent.hash()))
  }

  async verify(nb: NetBlock): Promise<boolean> {
    if (this.prepared.has(nb.id)) return true
    const { chain, logger } = this.c
    const refuse = (why: string): false => {
      logger.warn('refusing a proposed block', { id: nb.id, height: nb.height, proposer: nb.proposer, why })
      return false
    }
    const v = this.byPeer.get(nb.proposer)
    if (v === undefined) return refuse('the proposer is not a validator')
    let block: Block
    try {
      block = createBlockFromRLP(nb.rlp, { common: chain.common, setHardfork: true })
    } catch (e) {
      return refuse(`undecodable block: ${errorMessage(e)}`)
    }
    const parent = chain.head
    if (toHex(block.hash()) !== nb.id) return refuse('the id is not the block hash')
    if (Number(block.header.number) !== nb.height || nb.parentId !== toHex(parent.hash())) return refuse('not on the head')
    if (!equalBytes(block.header.coinbase.bytes, v.address)) return refuse("the fee recipient is not the proposer's address")
    if (block.header.timestamp !== BigInt(Math.floor(nb.timestamp / 1000))) return refuse('header and consensus timestamps differ')
    if (!equalBytes(block.header.mixHash, this.expectedMixHash(parent)))
      return refuse('mixHash is not keccak(parent mixHash ‖ parent hash)')
    if (!verifyBlockSignature(v.keys, chain.chainId, block.hash(), nb.height, nb.timestamp, nb.signature))
      return refuse('bad proposer signature')
    // a transaction this node's pool holds is the same signed bytes (its hash covers the signature):
    // its sender, recovered when the pool took it, need not be recovered again
    for (const tx of block.transactions) {
      const known = this.c.pool.getByHash(tx.hash())
      if (known?.cache.senderPubKey !== undefined) tx.cache.senderPubKey = known.cache.senderPubKey
    }
    const t0 = performance.now()
    try {
      this.prepared.set(nb.id, await chain.prepareBlock(block))
    } catch (e) {
      return refuse(errorMessage(e))
    }
    this.c.logger.debug('re-executed a proposal', {
      number: nb.height,
      txs: block.transactions.length,
      ms: Math.round(performance.now() - t0),
    })
    return true
  }

  async build(parent: NetBlock, timestampMs: number): Promise<NetBlock | undefined> {
    const self = this.c.self
    const { chain, pool, logger } = this.c
    if (self === undefined || !pool.hasPending() || parent.id !== toHex(chain.head.hash())) return undefined
    const head = chain.head
    const seconds = BigInt(Math.floor(timestampMs / 1000))
    const cands = pool.candidates(chain.nextBaseFee())
    const t0 = performance.now()
    const built = await chain.buildPrepared({
      timestamp: seconds > head.header.timestamp ? seconds : head.header.timestamp,
      coinbase: self.address,
      candidates: cands.txs,
      onSkip: cands.skip,
      mixHash: this.expectedMixHash(head),
    })
    for (const d of built.dropped) {
      logger.debug('dropping transaction', { hash: toHex(d.tx.hash()), reason: d.reason })
      pool.drop(d.tx)
    }
    if (built.block.transactions.length === 0) return undefined
    // the consensus timestamp must agree with the header's seconds
    const ts = Math.max(timestampMs, Number(built.block.header.timestamp) * 1000)
    const signature = signBlock(self.key, chain.chainId, built.block.hash(), Number(built.block.header.number), ts)
    const nb = this.netOf(built.block, signature, self.peerId, ts)
    logger.debug('built a proposal', { number: nb.height, txs: built.block.transactions.length, ms: Math.round(performance.now() - t0) })
    this.prepared.set(nb.id, { block: built.block, receipts: built.receipts, stateOps: built.stateOps })
    return nb
  }

  async finalize(nb: NetBlock): Promise<void> {
    const p = this.prepared.get(nb.id)
    if (p === undefined) throw new Error(`final block ${nb.id} was never verified here`)
    await this.c.chain.commitPrepared(p, true, EvmEngineChain.encodeSeal(nb))
    this.prepared.clear()
    await this.c.pool.onNewHead(p.block.transactions)
    this.headBlock = nb
    this.remember(nb)
    this.c.logger.info('final block', { number: nb.height, hash: nb.id, txs: p.block.transactions.length, proposer: nb.proposer })
  }
}
