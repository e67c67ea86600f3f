import { EventEmitter } from 'node:events'
import type { Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import type { TypedTransaction } from '@ethereumjs/tx'
import { Lru, ParsError, equalBytes, toHex, utf8, type KVStore, type Logger } from '../common/index.js'
import { Execution, type BuiltBlock } from './execution.js'
import { chainSpecFromGenesis, genesisBlock, parsPrecompilesEnabled, type ChainSpec } from './genesis.js'
import { ethereumJsPrecompiles } from '../precompiles/index.js'
import { TrieDb } from './state/trieDb.js'
import { ChainStore, MetaKey } from './store/chainStore.js'
import { StateReader } from './state/reader.js'
import type { StoredReceipt } from './types.js'

export type ChainErrorType = { code: 'NO_GENESIS' } | { code: 'GENESIS_MISMATCH' } | { code: 'CORRUPT_DATABASE'; reason: string }

/** A block executed on the head and checked, not yet committed. */
export interface PreparedBlock {
  block: Block
  receipts: StoredReceipt[]
  stateOps: BuiltBlock['stateOps']
}

export interface NewHeadEvent {
  block: Block
  receipts: StoredReceipt[]
}

export interface ChainEvents {
  newHead: [NewHeadEvent]
}

export interface ChainComponents {
  kv: KVStore
  logger: Logger
}

/** A tiny promise mutex: block building and import run one at a time. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve()
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn)
    this.tail = next.catch(() => {})
    return next
  }
}

/**
 * The chain: the block store, the executing VM and the head. The only writer of the chain database.
 */
export class Chain extends EventEmitter<ChainEvents> {
  readonly store: ChainStore
  readonly execution: Execution
  readonly trieDb: TrieDb
  private readonly lock = new Mutex()
  private readonly readers = new Lru<string, StateReader>(8)
  private _head!: Block
  private _safe!: Block
  private _finalized!: Block
  private _genesis!: Block

  private constructor(
    private readonly c: ChainComponents,
    readonly spec: ChainSpec,
  ) {
    super()
    this.trieDb = new TrieDb(c.kv)
    this.store = new ChainStore(c.kv, spec.common)
    this.execution = new Execution({
      common: spec.common,
      store: this.store,
      trieDb: this.trieDb,
      logger: c.logger,
      customPrecompiles: parsPrecompilesEnabled(spec.genesis) ? ethereumJsPrecompiles() : [],
    })
  }

  /** The genesis spec a datadir was initialised with, if any. */
  static async storedGenesis(kv: KVStore): Promise<unknown | undefined> {
    const store = new ChainStore(kv, undefined as never)
    const raw = await store.getMeta(MetaKey.genesisSpec)
    return raw === undefined ? undefined : JSON.parse(new TextDecoder().decode(raw))
  }

  /**
   * Open the chain in `kv`. A fresh database is initialised from `genesis` (a geth-format genesis);
   * an existing one must have been initialised with the same genesis, or none may be given.
   */
  static async open(c: ChainComponents, genesis?: unknown): Promise<Chain> {
    const stored = await Chain.storedGenesis(c.kv)
    const spec = chainSpecFromGenesis(stored ?? genesis ?? fail())
    const chain = new Chain(c, spec)
    if (stored === undefined) {
      await chain.initGenesis()
    } else if (genesis !== undefined) {
      const wanted = chainSpecFromGenesis(genesis).genesis
      if (JSON.stringify(sortKeys(wanted)) !== JSON.stringify(sortKeys(stored))) {
        throw new ParsError({ code: 'GENESIS_MISMATCH' }, 'the datadir was initialised with a different genesis; use another --datadir')
      }
    }
    await chain.loadHead()
    return chain

    function fail(): never {
      throw new ParsError(
        { code: 'NO_GENESIS' },
        'the datadir has no chain: run `parsd init --genesis FILE --datadir DIR` or start with --dev',
      )
    }
  }

  private async initGenesis(): Promise<void> {
    const root = await this.execution.applyGenesisState(this.spec.genesisState)
    const block = genesisBlock(this.spec, root)
    // the spec goes in the same batch: a datadir either has a whole genesis or none
    await this.store.commitBlock(block, [], {
      stateOps: this.trieDb.takePending(),
      final: true,
      meta: { [MetaKey.genesisSpec]: utf8.encode(JSON.stringify(this.spec.genesis)) },
    })
    this.c.logger.info('initialised genesis', { chainId: this.spec.common.chainId(), hash: toHex(block.hash()) })
  }

  private async loadHead(): Promise<void> {
    const read = async (name: string): Promise<Block> => {
      const hash = await this.store.getMeta(name)
      const block = hash === undefined ? undefined : await this.store.getBlockByHash(hash)
      if (block === undefined)
        throw new ParsError({ code: 'CORRUPT_DATABASE', reason: name }, `chain database is missing its ${name} block`)
      return block
    }
    this._genesis = await read(MetaKey.genesis)
    this._head = await read(MetaKey.head)
    this._safe = await read(MetaKey.safe)
    this._finalized = await read(MetaKey.finalized)
    await this.execution.init(this._head.header.stateRoot)
  }

  get common(): Common {
    return this.spec.common
  }
  get chainId(): bigint {
    return this.spec.common.chainId()
  }
  get head(): Block {
    return this._head
  }
  get safe(): Block {
    return this._safe
  }
  get finalized(): Block {
    return this._finalized
  }
  get genesis(): Block {
    return this._genesis
  }

  /** Base fee of the next block on the head. */
  nextBaseFee(): bigint {
    const h = this._head.header
    return h.baseFeePerGas === undefined ? 0n : h.calcNextBaseFee()
  }

  /**
   * Build a block on the head and commit it (the local validator). A block without transactions is
   * not committed unless `allowEmpty`; the result still reports the transactions to drop.
   */
  async produce(
    build: (parent: Block) => Promise<BuiltBlock>,
    opts: { final: boolean; allowEmpty?: boolean },
  ): Promise<{ built: BuiltBlock; committed: boolean }> {
    return this.lock.run(async () => {
      const built = await build(this._head)
      if (built.block.transactions.length === 0 && opts.allowEmpty !== true) {
        await this.execution.resetTo(this._head.header.stateRoot)
        return { built, committed: false }
      }
      await this.commit(built.block, built.receipts, built.stateOps, opts.final)
      return { built, committed: true }
    })
  }

  buildOn(parent: Block, opts: Omit<Parameters<Execution['build']>[0], 'parent'>): Promise<BuiltBlock> {
    return this.execution.build({ ...opts, parent })
  }

  /**
   * Build a block on the head without committing it (a validator's proposal): the VM is put back on
   * the head's state, and the result waits for consensus in `commitPrepared`.
   */
  async buildPrepared(opts: Omit<Parameters<Execution['build']>[0], 'parent'>): Promise<BuiltBlock> {
    return this.onHeadState(() => this.execution.build({ ...opts, parent: this._head }))
  }

  /**
   * Re-execute a proposed block on the head and check it (header, state root, receipts root, gas,
   * bloom) without committing: throws INVALID_BLOCK, or returns what `commitPrepared` needs.
   */
  async prepareBlock(block: Block): Promise<PreparedBlock> {
    return this.onHeadState(async () => ({ block, ...(await this.execution.execute(block, this._head)) }))
  }

  /** Run `fn` on the head's state under the lock, and put the VM back on the head's state after it. */
  private onHeadState<T>(fn: () => Promise<T>): Promise<T> {
    return this.lock.run(async () => {
      try {
        return await fn()
      } finally {
        await this.execution.resetTo(this._head.header.stateRoot)
      }
    })
  }

  /** Commit a block prepared on the current head (consensus decided it), with its consensus seal. */
  async commitPrepared(p: PreparedBlock, final: boolean, seal?: Uint8Array): Promise<void> {
    return this.lock.run(async () => {
      if (!equalBytes(p.block.header.parentHash, this._head.hash())) {
        throw new ParsError(
          { code: 'CORRUPT_DATABASE', reason: 'prepared block does not extend the head' },
          'prepared block does not extend the head',
        )
      }
      await this.commit(p.block, p.receipts, p.stateOps, final, seal)
    })
  }

  /** The consensus seal a block was committed with, if any. */
  getSeal(blockHash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.store.getSeal(blockHash)
  }

  /** Execute and commit a block from elsewhere (import, sync). It must extend the head. */
  async importBlock(block: Block, final: boolean): Promise<StoredReceipt[]> {
    return this.lock.run(async () => {
      const { receipts, stateOps } = await this.execution.execute(block, this._head)
      await this.commit(block, receipts, stateOps, final)
      return receipts
    })
  }

  private async commit(
    block: Block,
    receipts: StoredReceipt[],
    stateOps: Parameters<ChainStore['commitBlock']>[2]['stateOps'],
    final: boolean,
    seal?: Uint8Array,
  ): Promise<void> {
    try {
      await this.store.commitBlock(block, receipts, { stateOps, final, ...(seal !== undefined ? { seal } : {}) })
    } catch (e) {
      await this.execution.resetTo(this._head.header.stateRoot)
      throw e
    }
    this._head = block
    if (final) {
      this._safe = block
      this._finalized = block
    }
    this.emit('newHead', { block, receipts })
  }

  async getBlockByNumber(n: bigint): Promise<Block | undefined> {
    if (n === this._head.header.number) return this._head
    if (n > this._head.header.number) return undefined
    return this.store.getBlockByNumber(n)
  }

  async getBlockByHash(hash: Uint8Array): Promise<Block | undefined> {
    if (equalBytes(hash, this._head.hash())) return this._head
    const b = await this.store.getBlockByHash(hash)
    if (b === undefined) return undefined
    // only canonical blocks are served
    const canon = await this.store.getCanonicalHash(b.header.number)
    return canon !== undefined && equalBytes(canon, hash) ? b : undefined
  }

  getReceipts(block: Block): Promise<StoredReceipt[] | undefined> {
    return this.store.getReceipts(block.hash())
  }

  async getTransaction(hash: Uint8Array): Promise<{ tx: TypedTransaction; block: Block; index: number } | undefined> {
    const loc = await this.store.getTxLocation(hash)
    if (loc === undefined) return undefined
    const block = await this.getBlockByHash(loc.blockHash)
    const tx = block?.transactions[loc.index]
    if (block === undefined || tx === undefined) return undefined
    return { tx, block, index: loc.index }
  }

  /** Shared read-only access to the state after `block` (a few recent roots stay cached). */
  reader(block: Block): StateReader {
    const key = toHex(block.header.stateRoot)
    let r = this.readers.get(key)
    if (r === undefined) {
      r = new StateReader(() => this.execution.stateAt(block.header.stateRoot, { caches: true }))
      this.readers.set(key, r)
    }
    return r
  }

  /** A private writable view of the state after `block`. */
  stateAt(block: Block): Promise<MerkleStateManager> {
    return this.execution.stateAt(block.header.stateRoot)
  }
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys)
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    )
  }
  return v
}
