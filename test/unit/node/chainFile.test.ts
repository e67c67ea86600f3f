import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RLP } from '@ethereumjs/rlp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ParsError, concat, nullLogger, toHex } from '../../../common/index.js'
import type { Chain } from '../../../evm/index.js'
import { exportChain, importChain, rlpItemLength } from '../../../node/chainFile.js'
import { ACCOUNTS, GENESIS_TIME, RECIPIENT, balanceOf, mine, openTestChain, plain, signTx, testGenesis } from '../helpers/chain.js'

const [A, B] = ACCOUNTS as [(typeof ACCOUNTS)[0], (typeof ACCOUNTS)[0]]
const log = nullLogger('chainfile')

let dir: string
let source: Chain
/** RLP of blocks 0..4 of `source`, as exported */
let blockBytes: Uint8Array[]
let exported: string

async function failure(p: Promise<unknown>): Promise<ParsError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(e).toBeInstanceOf(ParsError)
  return e as ParsError
}

async function fileOf(name: string, ...parts: Uint8Array[]): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, concat(...parts))
  return path
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pars-chainfile-'))
  ;({ chain: source } = await openTestChain())
  // blocks 1..4; two carry 40 kB of calldata, so the file spans several 64 kB read chunks
  await mine(source, [signTx(source.common, A, { nonce: 0n }), signTx(source.common, B, { nonce: 0n })])
  await mine(source, [signTx(source.common, A, { nonce: 1n, gasLimit: 2_000_000n, data: new Uint8Array(40_000).fill(7) })])
  await mine(source, [signTx(source.common, B, { nonce: 1n, gasLimit: 2_000_000n, data: new Uint8Array(40_000).fill(9) })])
  await mine(source, [signTx(source.common, A, { nonce: 2n, value: 10n })])
  blockBytes = []
  for (let n = 0n; n <= 4n; n++) blockBytes.push((await source.getBlockByNumber(n))!.serialize())
  exported = join(dir, 'chain.rlp')
  expect(await exportChain(source, exported)).toBe(5)
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('exportChain', () => {
  it('writes the canonical blocks as RLP, back to back', async () => {
    expect(toHex(new Uint8Array(await readFile(exported)))).toBe(toHex(concat(...blockBytes)))
    expect((await stat(exported)).size).toBeGreaterThan(64 * 1024)
  })

  it('writes a range, and stops at the head', async () => {
    const path = join(dir, 'range.rlp')
    expect(await exportChain(source, path, 2n, 3n)).toBe(2)
    expect(toHex(new Uint8Array(await readFile(path)))).toBe(toHex(concat(blockBytes[2]!, blockBytes[3]!)))
    expect(await exportChain(source, path, 3n, 100n)).toBe(2)
  })

  it('reports a path it cannot write as CHAIN_FILE_IO', async () => {
    const e = await failure(exportChain(source, join(dir, 'no', 'such', 'dir', 'x.rlp')))
    expect(e.code).toBe('CHAIN_FILE_IO')
  })
})

describe('importChain', () => {
  it('into a fresh chain with the same genesis reproduces the chain: same head hash, receipts, state', async () => {
    const { chain } = await openTestChain()
    expect(await importChain(chain, exported, log)).toEqual({ imported: 4, skipped: 1 })
    expect(toHex(chain.head.hash())).toBe(toHex(source.head.hash()))
    expect(toHex(chain.finalized.hash())).toBe(toHex(source.head.hash()))
    for (let n = 1n; n <= 4n; n++) {
      const b = (await chain.getBlockByNumber(n))!
      expect(plain(await chain.getReceipts(b))).toEqual(plain(await source.getReceipts(b)))
    }
    expect(await balanceOf(chain, RECIPIENT)).toBe(await balanceOf(source, RECIPIENT))

    // importing again changes nothing
    expect(await importChain(chain, exported, log)).toEqual({ imported: 0, skipped: 5 })
    expect(chain.head.header.number).toBe(4n)
  })

  it('continues from where the chain is', async () => {
    const { chain } = await openTestChain()
    const first = await fileOf('first.rlp', blockBytes[0]!, blockBytes[1]!, blockBytes[2]!)
    expect(await importChain(chain, first, log)).toEqual({ imported: 2, skipped: 1 })
    const rest = await fileOf('rest.rlp', blockBytes[3]!, blockBytes[4]!)
    expect(await importChain(chain, rest, log)).toEqual({ imported: 2, skipped: 0 })
    expect(toHex(chain.head.hash())).toBe(toHex(source.head.hash()))
  })

  it('a truncated file: BAD_CHAIN_FILE at the cut block, having imported the whole blocks before it', async () => {
    const { chain } = await openTestChain()
    const cut = blockBytes[3]!.subarray(0, Math.floor(blockBytes[3]!.length / 2))
    const path = await fileOf('truncated.rlp', blockBytes[0]!, blockBytes[1]!, blockBytes[2]!, cut)
    const e = await failure(importChain(chain, path, log))
    expect(e.code).toBe('BAD_CHAIN_FILE')
    const offset = blockBytes[0]!.length + blockBytes[1]!.length + blockBytes[2]!.length
    expect(e.type).toEqual({ code: 'BAD_CHAIN_FILE', offset })
    expect(e.message).toBe(`${path}: ${cut.length} trailing bytes do not form a whole block`)
    expect(chain.head.header.number).toBe(2n)
    expect(toHex(chain.head.hash())).toBe(toHex((await source.getBlockByNumber(2n))!.hash()))
    expect(await chain.getBlockByNumber(3n)).toBeUndefined()
  })

  it('a file cut inside a length header is truncated too', async () => {
    const { chain } = await openTestChain()
    const path = await fileOf('cut-header.rlp', blockBytes[0]!, blockBytes[1]!, blockBytes[2]!.subarray(0, 2))
    const e = await failure(importChain(chain, path, log))
    expect(e.type).toEqual({ code: 'BAD_CHAIN_FILE', offset: blockBytes[0]!.length + blockBytes[1]!.length })
    expect(chain.head.header.number).toBe(1n)
  })

  it('garbage bytes: BAD_CHAIN_FILE at their offset, nothing imported past the last whole block', async () => {
    const { chain } = await openTestChain()
    const path = await fileOf('garbage.rlp', blockBytes[0]!, blockBytes[1]!, Uint8Array.of(0x00, 0x13, 0x37, 0x42), blockBytes[2]!)
    const e = await failure(importChain(chain, path, log))
    expect(e.type).toEqual({ code: 'BAD_CHAIN_FILE', offset: blockBytes[0]!.length + blockBytes[1]!.length })
    expect(e.message).toMatch(/not an RLP list/)
    expect(chain.head.header.number).toBe(1n)
  })

  it('an RLP list that is not a block: BAD_CHAIN_FILE "not a valid block"', async () => {
    const { chain } = await openTestChain()
    const path = await fileOf('notablock.rlp', blockBytes[0]!, RLP.encode([Uint8Array.of(1), Uint8Array.of(2)]), blockBytes[1]!)
    const e = await failure(importChain(chain, path, log))
    expect(e.type).toEqual({ code: 'BAD_CHAIN_FILE', offset: blockBytes[0]!.length })
    expect(e.message).toMatch(/not a valid block/)
    expect(chain.head.header.number).toBe(0n)
  })

  it('a file of nothing but garbage imports nothing', async () => {
    const { chain } = await openTestChain()
    const path = await fileOf('all-garbage.rlp', new TextEncoder().encode('this is not a chain export\n'))
    const e = await failure(importChain(chain, path, log))
    expect(e.type).toEqual({ code: 'BAD_CHAIN_FILE', offset: 0 })
    expect(chain.head.header.number).toBe(0n)
  })

  it('refuses a file from a different genesis, importing nothing', async () => {
    const { chain: other } = await openTestChain({ genesis: testGenesis({ timestamp: GENESIS_TIME + 1n }) })
    await mine(other, [signTx(other.common, A)])
    const path = join(dir, 'other.rlp')
    await exportChain(other, path)

    const { chain } = await openTestChain()
    const e = await failure(importChain(chain, path, log))
    expect(e.type).toEqual({ code: 'BAD_CHAIN_FILE', offset: 0 })
    expect(e.message).toMatch(/block 0 .* conflicts with this chain's block 0 \(different genesis\)/)
    expect(chain.head.header.number).toBe(0n)
    // the same, without its genesis: block 1 does not extend this chain
    const noGenesis = await fileOf('other-nogenesis.rlp', (await other.getBlockByNumber(1n))!.serialize())
    const e2 = await failure(importChain(chain, noGenesis, log))
    expect(e2.code).toBe('INVALID_BLOCK')
    expect(chain.head.header.number).toBe(0n)
  })

  it('refuses a block that conflicts with one the chain already has', async () => {
    const { chain } = await openTestChain()
    await mine(chain, [signTx(chain.common, B, { nonce: 0n, value: 99n })]) // a different block 1
    const e = await failure(importChain(chain, exported, log))
    expect(e.type).toEqual({ code: 'BAD_CHAIN_FILE', offset: blockBytes[0]!.length })
    expect(e.message).toMatch(/block 1 .* conflicts with this chain's block 1$/)
    expect(chain.head.header.number).toBe(1n)
  })

  it('reports a missing file as CHAIN_FILE_IO', async () => {
    const { chain } = await openTestChain()
    const e = await failure(importChain(chain, join(dir, 'missing.rlp'), log))
    expect(e.type).toEqual({ code: 'CHAIN_FILE_IO', path: join(dir, 'missing.rlp') })
  })
})

describe('rlpItemLength', () => {
  it('reads short and long list headers', () => {
    expect(rlpItemLength(Uint8Array.of(0xc0))).toBe(1)
    expect(rlpItemLength(Uint8Array.of(0xc3, 1, 2, 3))).toBe(4)
    expect(rlpItemLength(Uint8Array.of(0xf8, 0x40))).toBe(2 + 0x40)
    expect(rlpItemLength(Uint8Array.of(0xf9, 0x01, 0x00))).toBe(3 + 256)
    for (const b of blockBytes) expect(rlpItemLength(b)).toBe(b.length)
  })

  it('says "not yet" while the header is incomplete', () => {
    expect(rlpItemLength(new Uint8Array(0))).toBeUndefined()
    expect(rlpItemLength(Uint8Array.of(0xf9, 0x01))).toBeUndefined()
  })

  it('refuses a non-list item', () => {
    for (const first of [0x00, 0x7f, 0x80, 0xb8, 0xbf]) {
      expect(() => rlpItemLength(Uint8Array.of(first, 0, 0))).toThrow(ParsError)
    }
  })
})
