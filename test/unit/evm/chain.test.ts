import { createBlock, type Block, type HeaderData } from '@ethereumjs/block'
import type { TypedTransaction } from '@ethereumjs/tx'
import { describe, expect, it } from 'vitest'
import { ParsError, fromHex, nullLogger, openMemoryDb, toHex } from '../../../common/index.js'
import { Chain, type NewHeadEvent } from '../../../evm/index.js'
import {
  ACCOUNTS,
  FUNDED,
  GENESIS_TIME,
  GWEI,
  RECIPIENT,
  balanceOf,
  builder,
  dumpKv,
  mine,
  nonceOf,
  openTestChain,
  plain,
  signTx,
  testGenesis,
} from '../helpers/chain.js'
import { ControlledKv } from '../helpers/kv.js'

const [A, B, C] = ACCOUNTS as [(typeof ACCOUNTS)[0], (typeof ACCOUNTS)[0], (typeof ACCOUNTS)[0]]

async function expectCode(p: Promise<unknown>, code: string): Promise<ParsError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(e).toBeInstanceOf(ParsError)
  expect((e as ParsError).code).toBe(code)
  return e as ParsError
}

/** A copy of `block` with some header fields (and optionally the transactions) changed. */
function tamper(block: Block, header: Record<string, unknown>, transactions: readonly TypedTransaction[] = block.transactions): Block {
  return createBlock(
    { header: { ...block.header.toJSON(), ...header } as HeaderData, transactions: [...transactions], withdrawals: [] },
    { common: block.common },
  )
}

/** The fields of a chain a user sees: head, its receipts, a transaction's location, balances. */
async function view(chain: Chain, txHash: Uint8Array) {
  const found = await chain.getTransaction(txHash)
  return {
    head: toHex(chain.head.hash()),
    number: chain.head.header.number,
    stateRoot: toHex(chain.head.header.stateRoot),
    receipts: (await chain.getReceipts(chain.head))?.map((r) => ({
      status: r.status,
      gasUsed: r.gasUsed,
      cumulative: r.cumulativeGasUsed,
    })),
    tx: found === undefined ? undefined : { block: toHex(found.block.hash()), index: found.index },
    balances: [await balanceOf(chain, A.address), await balanceOf(chain, B.address), await balanceOf(chain, RECIPIENT)],
  }
}

describe('Chain.open', () => {
  it('initialises a fresh database from the genesis: block 0 is head, safe and finalized, alloc funded', async () => {
    const { chain } = await openTestChain()
    expect(chain.chainId).toBe(6133n)
    expect(chain.head.header.number).toBe(0n)
    expect(chain.head.header.timestamp).toBe(GENESIS_TIME)
    expect(toHex(chain.genesis.hash())).toBe(toHex(chain.head.hash()))
    expect(toHex(chain.safe.hash())).toBe(toHex(chain.head.hash()))
    expect(toHex(chain.finalized.hash())).toBe(toHex(chain.head.hash()))
    for (const a of ACCOUNTS) expect(await balanceOf(chain, a.address)).toBe(FUNDED)
    expect(await balanceOf(chain, RECIPIENT)).toBe(0n)
    expect(toHex((await chain.getBlockByNumber(0n))!.hash())).toBe(toHex(chain.genesis.hash()))
  })

  it('the same genesis gives the same genesis block on any database', async () => {
    const { chain: one } = await openTestChain()
    const { chain: two } = await openTestChain()
    expect(toHex(two.genesis.hash())).toBe(toHex(one.genesis.hash()))
    const { chain: other } = await openTestChain({ genesis: testGenesis({ timestamp: GENESIS_TIME + 1n }) })
    expect(toHex(other.genesis.hash())).not.toBe(toHex(one.genesis.hash()))
  })

  it('refuses an empty database without a genesis: NO_GENESIS', async () => {
    const kv = await openMemoryDb()
    await expectCode(Chain.open({ kv, logger: nullLogger() }), 'NO_GENESIS')
  })

  it('initialises the genesis once: reopening keeps the chain, with or without the genesis given', async () => {
    const { chain, kv } = await openTestChain()
    await mine(chain, [signTx(chain.common, A, { nonce: 0n })])
    await mine(chain, [signTx(chain.common, A, { nonce: 1n })])
    const head = toHex(chain.head.hash())
    expect(await Chain.storedGenesis(kv)).toEqual(JSON.parse(JSON.stringify(chain.spec.genesis)))

    const again = await Chain.open({ kv, logger: nullLogger() }, testGenesis())
    expect(again.head.header.number).toBe(2n)
    expect(toHex(again.head.hash())).toBe(head)
    expect(toHex(again.genesis.hash())).toBe(toHex(chain.genesis.hash()))
    const noGenesis = await Chain.open({ kv, logger: nullLogger() })
    expect(toHex(noGenesis.head.hash())).toBe(head)
  })

  it('refuses to open a database with a different genesis: GENESIS_MISMATCH, and changes nothing', async () => {
    const { chain, kv } = await openTestChain()
    await mine(chain, [signTx(chain.common, A)])
    const before = await dumpKv(kv)
    await expectCode(Chain.open({ kv, logger: nullLogger() }, testGenesis({ chainId: 6134 })), 'GENESIS_MISMATCH')
    expect(await dumpKv(kv)).toEqual(before)
    expect((await Chain.open({ kv, logger: nullLogger() })).head.header.number).toBe(1n)
  })
})

describe('Chain.produce', () => {
  it('commits a block with the transactions, moves the head and emits newHead with the receipts', async () => {
    const { chain } = await openTestChain()
    const heads: NewHeadEvent[] = []
    chain.on('newHead', (e) => heads.push(e))
    const coinbase = fromHex('0x' + 'c0'.repeat(20)) // the helper's block builder pays this address
    const tx1 = signTx(chain.common, A, { nonce: 0n, value: 1000n })
    const tx2 = signTx(chain.common, B, { nonce: 0n, value: 2000n, maxFeePerGas: 3n * GWEI, maxPriorityFeePerGas: 2n * GWEI })
    const { block, receipts } = await mine(chain, [tx1, tx2])

    expect(block.header.number).toBe(1n)
    expect(toHex(block.header.parentHash)).toBe(toHex(chain.genesis.hash()))
    expect(toHex(chain.head.hash())).toBe(toHex(block.hash()))
    expect(toHex(chain.finalized.hash())).toBe(toHex(block.hash()))
    expect(heads).toHaveLength(1)
    expect(toHex(heads[0]!.block.hash())).toBe(toHex(block.hash()))
    expect(plain(heads[0]!.receipts)).toEqual(plain(receipts))
    expect(receipts.map((r) => [r.status, r.gasUsed, r.cumulativeGasUsed])).toEqual([
      [1, 21_000n, 21_000n],
      [1, 21_000n, 42_000n],
    ])
    const baseFee = block.header.baseFeePerGas!
    expect(baseFee).toBe(875_000_000n)
    expect(receipts.map((r) => r.effectiveGasPrice)).toEqual([baseFee + GWEI, baseFee + 2n * GWEI])
    expect(block.header.gasUsed).toBe(42_000n)

    // value moved, fees paid (base fee burnt, tip to the coinbase), nonces used
    expect(await balanceOf(chain, RECIPIENT)).toBe(3000n)
    expect(await balanceOf(chain, A.address)).toBe(FUNDED - 1000n - 21_000n * (baseFee + GWEI))
    expect(await balanceOf(chain, B.address)).toBe(FUNDED - 2000n - 21_000n * (baseFee + 2n * GWEI))
    expect(await balanceOf(chain, coinbase)).toBe(21_000n * GWEI + 21_000n * 2n * GWEI)
    expect(await nonceOf(chain, A.address)).toBe(1n)

    // the readers find the block and its transactions
    expect(toHex((await chain.getBlockByNumber(1n))!.hash())).toBe(toHex(block.hash()))
    expect(toHex((await chain.getBlockByHash(block.hash()))!.hash())).toBe(toHex(block.hash()))
    expect(await chain.getBlockByNumber(2n)).toBeUndefined()
    const found = await chain.getTransaction(tx2.hash())
    expect(found?.index).toBe(1)
    expect(toHex(found!.tx.hash())).toBe(toHex(tx2.hash()))
    expect(toHex(found!.block.hash())).toBe(toHex(block.hash()))
    expect(await chain.getTransaction(new Uint8Array(32))).toBeUndefined()
    // state at an older block is still readable
    expect(await balanceOf(chain, RECIPIENT, chain.genesis)).toBe(0n)
  })

  it('does not commit a block without transactions, unless asked to', async () => {
    const { chain, kv } = await openTestChain()
    const heads: NewHeadEvent[] = []
    chain.on('newHead', (e) => heads.push(e))
    const before = await dumpKv(kv)
    const { built, committed } = await chain.produce(builder(chain, []), { final: true })
    expect(committed).toBe(false)
    expect(built.block.transactions).toHaveLength(0)
    expect(chain.head.header.number).toBe(0n)
    expect(heads).toHaveLength(0)
    expect(await dumpKv(kv)).toEqual(before)

    const empty = await chain.produce(builder(chain, []), { final: true, allowEmpty: true })
    expect(empty.committed).toBe(true)
    expect(chain.head.header.number).toBe(1n)
    expect(heads).toHaveLength(1)
  })

  it('leaves out and reports transactions that cannot execute, and still commits the rest', async () => {
    const { chain } = await openTestChain()
    await mine(chain, [signTx(chain.common, A, { nonce: 0n })])
    const stale = signTx(chain.common, A, { nonce: 0n, value: 5n }) // nonce already used
    const good = signTx(chain.common, B, { nonce: 0n })
    const skipped: TypedTransaction[] = []
    const { built, committed } = await chain.produce(
      (parent) =>
        chain.buildOn(parent, {
          timestamp: parent.header.timestamp + 1n,
          coinbase: new Uint8Array(20),
          candidates: [stale, good],
          onSkip: (tx) => skipped.push(tx),
        }),
      { final: true },
    )
    expect(committed).toBe(true)
    expect(built.block.transactions.map((t) => toHex(t.hash()))).toEqual([toHex(good.hash())])
    expect(built.dropped.map((d) => toHex(d.tx.hash()))).toEqual([toHex(stale.hash())])
    expect(built.dropped[0]!.reason).toMatch(/nonce/i)
    expect(skipped).toEqual([stale])
    expect(await balanceOf(chain, RECIPIENT)).toBe(2n)
  })

  it('survives a restart: a chain reopened on the same database has the same head, receipts and lookups', async () => {
    const kv = await openMemoryDb()
    const { chain } = await openTestChain({ kv })
    await mine(chain, [signTx(chain.common, A, { nonce: 0n }), signTx(chain.common, B, { nonce: 0n })])
    const tx = signTx(chain.common, A, { nonce: 1n, value: 10n })
    await mine(chain, [tx])
    const before = await view(chain, tx.hash())

    const reopened = await Chain.open({ kv, logger: nullLogger() })
    expect(await view(reopened, tx.hash())).toEqual(before)
    expect(toHex(reopened.finalized.hash())).toBe(before.head)
    for (const n of [0n, 1n, 2n]) {
      expect(toHex((await reopened.getBlockByNumber(n))!.hash())).toBe(toHex((await chain.getBlockByNumber(n))!.hash()))
    }
    // and it goes on from there: the state trie was persisted, not just the blocks
    const { receipts } = await mine(reopened, [signTx(reopened.common, A, { nonce: 2n, value: 20n })])
    expect(receipts[0]!.status).toBe(1)
    expect(await balanceOf(reopened, RECIPIENT)).toBe(1n + 1n + 10n + 20n)
  })
})

describe('atomic block commit', () => {
  it('a failing database batch leaves the head and the store exactly as before, and the chain keeps working', async () => {
    const ckv = await ControlledKv.open()
    const { chain } = await openTestChain({ kv: ckv.store })
    await mine(chain, [signTx(chain.common, A, { nonce: 0n, value: 100n })])
    const head = toHex(chain.head.hash())
    const stored = await dumpKv(ckv.store)
    const heads: NewHeadEvent[] = []
    chain.on('newHead', (e) => heads.push(e))

    const tx = signTx(chain.common, A, { nonce: 1n, value: 7n })
    ckv.failNextBatch()
    await expect(mine(chain, [tx])).rejects.toThrow(/no space left/)

    expect(toHex(chain.head.hash())).toBe(head)
    expect(await dumpKv(ckv.store)).toEqual(stored)
    expect(heads).toHaveLength(0)
    expect(await chain.getTransaction(tx.hash())).toBeUndefined()
    expect(await chain.getBlockByNumber(2n)).toBeUndefined()
    expect(await balanceOf(chain, RECIPIENT)).toBe(100n)
    expect(await nonceOf(chain, A.address)).toBe(1n)

    // the same transaction goes into the next block, and counts once
    const { block } = await mine(chain, [tx])
    expect(block.header.number).toBe(2n)
    expect(await balanceOf(chain, RECIPIENT)).toBe(107n)
    expect(heads).toHaveLength(1)
    // what is on disk is a whole, consistent chain
    const reopened = await Chain.open({ kv: ckv.store, logger: nullLogger() })
    expect(toHex(reopened.head.hash())).toBe(toHex(block.hash()))
    expect(await balanceOf(reopened, RECIPIENT)).toBe(107n)
    expect(await nonceOf(reopened, A.address)).toBe(2n)
  })

  it('the same holds for an imported block', async () => {
    const { chain: source } = await openTestChain()
    const { block } = await mine(source, [signTx(source.common, A, { nonce: 0n, value: 9n })])
    const ckv = await ControlledKv.open()
    const { chain } = await openTestChain({ kv: ckv.store })
    const stored = await dumpKv(ckv.store)

    ckv.failNextBatch()
    await expect(chain.importBlock(block, true)).rejects.toThrow(/no space left/)
    expect(chain.head.header.number).toBe(0n)
    expect(await dumpKv(ckv.store)).toEqual(stored)
    expect(await balanceOf(chain, RECIPIENT)).toBe(0n)

    await chain.importBlock(block, true)
    expect(toHex(chain.head.hash())).toBe(toHex(block.hash()))
    expect(await balanceOf(chain, RECIPIENT)).toBe(9n)
  })
})

describe('Chain.importBlock', () => {
  async function sourceChain(blocks: number): Promise<{ source: Chain; blocks: Block[] }> {
    const { chain: source } = await openTestChain()
    const out: Block[] = []
    for (let i = 0; i < blocks; i++) {
      const { block } = await mine(source, [
        signTx(source.common, A, { nonce: BigInt(i), value: BigInt(i + 1) }),
        signTx(source.common, B, { nonce: BigInt(i), to: C.address, value: 5n }),
      ])
      out.push(block)
    }
    return { source, blocks: out }
  }

  it('imports blocks another node made from the same genesis: same head, state roots and receipts', async () => {
    const { source, blocks } = await sourceChain(3)
    const { chain } = await openTestChain()
    const heads: bigint[] = []
    chain.on('newHead', (e) => heads.push(e.block.header.number))
    for (const b of blocks) {
      const receipts = await chain.importBlock(b, true)
      expect(plain(receipts)).toEqual(plain(await source.getReceipts(b)))
      expect(toHex(chain.head.header.stateRoot)).toBe(toHex(b.header.stateRoot))
    }
    expect(heads).toEqual([1n, 2n, 3n])
    expect(toHex(chain.head.hash())).toBe(toHex(source.head.hash()))
    for (const a of [A, B, C]) expect(await balanceOf(chain, a.address)).toBe(await balanceOf(source, a.address))
    expect(await balanceOf(chain, RECIPIENT)).toBe(6n)
    const found = await chain.getTransaction(blocks[1]!.transactions[1]!.hash())
    expect(found?.block.header.number).toBe(2n)
  })

  const cases: [string, (b: Block, chain: Chain) => Block, RegExp][] = [
    ['a wrong state root', (b) => tamper(b, { stateRoot: '0x' + '11'.repeat(32) }), /stateRoot/],
    ['a wrong parent', (b) => tamper(b, { parentHash: '0x' + '22'.repeat(32) }), /parent hash/],
    ['a wrong base fee', (b) => tamper(b, { baseFeePerGas: b.header.baseFeePerGas! + 1n }), /base fee/],
    ['a wrong gas used', (b) => tamper(b, { gasUsed: b.header.gasUsed + 1n }), /gasUsed/],
    ['a number that does not follow the parent', (b) => tamper(b, { number: 2n }), /number/],
    [
      'a body that does not match the header (transactions swapped)',
      (b) => tamper(b, {}, [b.transactions[1]!, b.transactions[0]!]),
      /trie|transactions/i,
    ],
  ]
  for (const [what, make, reason] of cases) {
    it(`rejects a block with ${what}: INVALID_BLOCK, and changes nothing`, async () => {
      const { blocks } = await sourceChain(1)
      const kv = await openMemoryDb()
      const { chain } = await openTestChain({ kv })
      const bad = make(blocks[0]!, chain)
      const before = await dumpKv(kv)
      const heads: NewHeadEvent[] = []
      chain.on('newHead', (e) => heads.push(e))

      const e = await expectCode(chain.importBlock(bad, true), 'INVALID_BLOCK')
      expect(e.type['reason']).toMatch(reason)
      expect(chain.head.header.number).toBe(0n)
      expect(await dumpKv(kv)).toEqual(before)
      expect(heads).toHaveLength(0)
      expect(await balanceOf(chain, RECIPIENT)).toBe(0n)

      // the genuine block still imports
      await chain.importBlock(blocks[0]!, true)
      expect(toHex(chain.head.hash())).toBe(toHex(blocks[0]!.hash()))
    })
  }

  it('rejects a block that does not extend the head', async () => {
    const { blocks } = await sourceChain(2)
    const { chain } = await openTestChain()
    const e = await expectCode(chain.importBlock(blocks[1]!, true), 'INVALID_BLOCK')
    expect(e.message).toMatch(/parent hash does not match/)
    await chain.importBlock(blocks[0]!, true)
    await expectCode(chain.importBlock(blocks[0]!, true), 'INVALID_BLOCK') // already the head
    await chain.importBlock(blocks[1]!, true)
    expect(chain.head.header.number).toBe(2n)
  })
})
