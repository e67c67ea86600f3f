import { createMPT } from '@ethereumjs/mpt'
import { Caches, MerkleStateManager } from '@ethereumjs/statemanager'
import { Account, Address, bytesToBigInt, setLengthLeft } from '@ethereumjs/util'
import { describe, expect, it, vi } from 'vitest'
import { openMemoryDb } from '../../../common/index.js'
import { TrieDb } from '../../../evm/index.js'
import { CallStateManager, CommittedReads } from '../../../evm/state/callStateManager.js'

const ALICE = new Address(new Uint8Array(20).fill(0xa1))
const TOKEN = new Address(new Uint8Array(20).fill(0x70))
const NOBODY = new Address(new Uint8Array(20).fill(0x0b))
const slot = (n: number): Uint8Array => setLengthLeft(Uint8Array.of(n), 32)
const value = (n: bigint): Uint8Array => setLengthLeft(Uint8Array.of(Number(n)), 32)

/** A committed state (Alice with a balance, a token with slots 1 and 2 set) on a trie db, and its root. */
async function committed(db: TrieDb, balance: bigint, slot1: bigint): Promise<Uint8Array> {
  const trie = await createMPT({ db, useKeyHashing: true, valueEncoding: 'view' })
  const sm = new MerkleStateManager({ trie })
  await sm.putAccount(ALICE, new Account(0n, balance))
  await sm.putAccount(TOKEN, new Account(1n, 0n))
  await sm.putStorage(TOKEN, slot(1), value(slot1))
  await sm.putStorage(TOKEN, slot(2), value(9n))
  await sm.flush()
  return sm.getStateRoot()
}

async function callSm(db: TrieDb, reads: CommittedReads, root: Uint8Array): Promise<CallStateManager> {
  const trie = await createMPT({ db: db.scratch(), useKeyHashing: true, valueEncoding: 'view' })
  const sm = new CallStateManager({ trie, caches: new Caches() }, reads)
  await sm.setStateRoot(root, true)
  return sm
}

/** What a call VM does: read inside a checkpoint that is then reverted. */
async function inCall<T>(sm: CallStateManager, fn: () => Promise<T>): Promise<T> {
  await sm.checkpoint()
  try {
    return await fn()
  } finally {
    await sm.revert()
  }
}

const read = async (sm: CallStateManager): Promise<[bigint | undefined, bigint, bigint, Account | undefined]> => [
  (await sm.getAccount(ALICE))?.balance,
  bytesToBigInt(await sm.getStorage(TOKEN, slot(1))),
  bytesToBigInt(await sm.getStorage(TOKEN, slot(3))),
  await sm.getAccount(NOBODY),
]

describe('CallStateManager', () => {
  it('answers what an earlier call read from memory, for every VM sharing the reads, with the committed values', async () => {
    const db = new TrieDb(await openMemoryDb())
    const root = await committed(db, 100n, 5n)
    db.takePending()
    const reads = new CommittedReads()
    const first = await callSm(db, reads, root)
    expect(await inCall(first, () => read(first))).toEqual([100n, 5n, 0n, undefined])

    const walks = vi.spyOn(db, 'get')
    const second = await callSm(db, reads, root)
    walks.mockClear()
    expect(await inCall(second, () => read(second))).toEqual([100n, 5n, 0n, undefined])
    expect(await inCall(first, () => read(first))).toEqual([100n, 5n, 0n, undefined])
    expect(walks).not.toHaveBeenCalled()
  })

  it("sees a call's own writes, forgets them with the call, and never shares them", async () => {
    const db = new TrieDb(await openMemoryDb())
    const root = await committed(db, 100n, 5n)
    const reads = new CommittedReads()
    const sm = await callSm(db, reads, root)
    const other = await callSm(db, reads, root)
    await inCall(sm, async () => {
      expect(await read(sm)).toEqual([100n, 5n, 0n, undefined])
      await sm.putAccount(ALICE, new Account(0n, 1n))
      await sm.putStorage(TOKEN, slot(1), value(7n))
      await sm.putAccount(NOBODY, new Account(0n, 3n))
      expect(await read(sm)).toEqual([1n, 7n, 0n, new Account(0n, 3n)])
      expect(await read(other)).toEqual([100n, 5n, 0n, undefined])
    })
    expect(await inCall(sm, () => read(sm))).toEqual([100n, 5n, 0n, undefined])
  })

  it('a cleared storage (a `state` override) reads empty, though the committed slot was read before', async () => {
    const db = new TrieDb(await openMemoryDb())
    const root = await committed(db, 100n, 5n)
    const sm = await callSm(db, new CommittedReads(), root)
    expect(await inCall(sm, () => read(sm))).toEqual([100n, 5n, 0n, undefined])
    await inCall(sm, async () => {
      await sm.clearStorage(TOKEN)
      await sm.putStorage(TOKEN, slot(2), value(4n))
      expect(bytesToBigInt(await sm.getStorage(TOKEN, slot(1)))).toBe(0n)
      expect(bytesToBigInt(await sm.getStorage(TOKEN, slot(2)))).toBe(4n)
    })
    expect(await inCall(sm, () => read(sm))).toEqual([100n, 5n, 0n, undefined])
  })

  it('on another root, reads that root: nothing read under the old one answers for it', async () => {
    const db = new TrieDb(await openMemoryDb())
    const reads = new CommittedReads()
    const before = await committed(db, 100n, 5n)
    const after = await committed(db, 250n, 6n)
    const sm = await callSm(db, reads, before)
    expect(await inCall(sm, () => read(sm))).toEqual([100n, 5n, 0n, undefined])
    await sm.setStateRoot(after, true)
    expect(await inCall(sm, () => read(sm))).toEqual([250n, 6n, 0n, undefined])
    await sm.setStateRoot(before, true)
    expect(await inCall(sm, () => read(sm))).toEqual([100n, 5n, 0n, undefined])
  })

  it('refuses a storage key that is not 32 bytes, as EthereumJS does', async () => {
    const db = new TrieDb(await openMemoryDb())
    const sm = await callSm(db, new CommittedReads(), await committed(db, 1n, 1n))
    await expect(sm.getStorage(TOKEN, new Uint8Array(31))).rejects.toThrow(/32 bytes/)
  })
})
