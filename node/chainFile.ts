import { createReadStream, createWriteStream } from 'node:fs'
import { once } from 'node:events'
import { createBlockFromRLP } from '@ethereumjs/block'
import { ParsError, equalBytes, errorMessage, toHex, type Logger } from '../common/index.js'
import type { Chain } from '../evm/index.js'

export type ChainFileErrorType = { code: 'BAD_CHAIN_FILE'; offset: number } | { code: 'CHAIN_FILE_IO'; path: string }

/** Total length of the RLP item starting at buf[0], or undefined if the header is incomplete. */
export function rlpItemLength(buf: Uint8Array): number | undefined {
  if (buf.length === 0) return undefined
  const b = buf[0]!
  if (b < 0xc0)
    throw new ParsError({ code: 'BAD_CHAIN_FILE', offset: 0 }, 'not an RLP list: a chain export is a sequence of RLP-encoded blocks')
  if (b <= 0xf7) return 1 + (b - 0xc0)
  const lenOfLen = b - 0xf7
  if (buf.length < 1 + lenOfLen) return undefined
  let len = 0
  for (let i = 1; i <= lenOfLen; i++) len = len * 256 + buf[i]!
  return 1 + lenOfLen + len
}

/**
 * Import a geth-style chain export (RLP blocks back to back). Every block is executed and its state
 * root checked; blocks the chain already has are skipped; imported blocks are final.
 */
export async function importChain(chain: Chain, path: string, logger: Logger): Promise<{ imported: number; skipped: number }> {
  let imported = 0
  let skipped = 0
  let offset = 0
  let pending: Uint8Array = new Uint8Array(0)
  const stream = createReadStream(path)
  const started = Date.now()
  try {
    for await (const chunk of stream) {
      const merged = new Uint8Array(pending.length + (chunk as Buffer).length)
      merged.set(pending, 0)
      merged.set(chunk as Buffer, pending.length)
      pending = merged
      for (;;) {
        let len: number | undefined
        try {
          len = rlpItemLength(pending)
        } catch (e) {
          throw new ParsError({ code: 'BAD_CHAIN_FILE', offset }, `${path}: byte ${offset}: ${errorMessage(e)}`)
        }
        if (len === undefined || pending.length < len) break
        const item = pending.subarray(0, len)
        let block
        try {
          block = createBlockFromRLP(item, { common: chain.common, setHardfork: true })
        } catch (e) {
          throw new ParsError(
            { code: 'BAD_CHAIN_FILE', offset },
            `${path}: byte ${offset}: not a valid block: ${errorMessage(e).split('\n')[0]}`,
          )
        }
        const n = block.header.number
        if (n <= chain.head.header.number) {
          const have = await chain.getBlockByNumber(n)
          if (have === undefined || !equalBytes(have.hash(), block.hash())) {
            throw new ParsError(
              { code: 'BAD_CHAIN_FILE', offset },
              `${path}: block ${n} (${toHex(block.hash())}) conflicts with this chain's block ${n}${n === 0n ? ' (different genesis)' : ''}`,
            )
          }
          skipped++
        } else {
          await chain.importBlock(block, true)
          imported++
          if (imported % 1000 === 0)
            logger.info('importing', { number: n, blocksPerSecond: Math.round((imported * 1000) / (Date.now() - started)) })
        }
        offset += len
        pending = pending.slice(len)
      }
    }
  } catch (e) {
    if (e instanceof ParsError) throw e
    throw new ParsError({ code: 'CHAIN_FILE_IO', path }, `${path}: ${errorMessage(e)}`)
  }
  if (pending.length > 0)
    throw new ParsError({ code: 'BAD_CHAIN_FILE', offset }, `${path}: ${pending.length} trailing bytes do not form a whole block`)
  return { imported, skipped }
}

/** Write blocks [from, to] of the canonical chain as RLP, back to back (geth's export format). */
export async function exportChain(chain: Chain, path: string, from = 0n, to = chain.head.header.number): Promise<number> {
  const out = createWriteStream(path)
  const failed = once(out, 'error').then(([e]) => {
    throw new ParsError({ code: 'CHAIN_FILE_IO', path }, `${path}: ${errorMessage(e)}`)
  })
  let count = 0
  const write = async (): Promise<void> => {
    for (let n = from; n <= to; n++) {
      const block = await chain.getBlockByNumber(n)
      if (block === undefined) break
      if (!out.write(block.serialize())) await once(out, 'drain')
      count++
    }
    out.end()
    await once(out, 'finish')
  }
  await Promise.race([write(), failed])
  return count
}
