// followFinalizedLogs: what the registry and the notices followers rely on — every log of the
// followed filter once, in order, in stretches of at most `step` blocks; a failed stretch is read
// again with the next block, not skipped; stop lets go of the chain.
import { describe, expect, it } from 'vitest'
import { nullLogger } from '../../../common/index.js'
import type { LocatedLog } from '../../../evm/index.js'
import { followFinalizedLogs } from '../../../node/finalizedLogs.js'
import { ACCOUNTS, mine, openTestChain, signTx } from '../helpers/chain.js'
import { callTx, compileTestContracts, deploy } from '../helpers/contracts.js'

const [A, B] = ACCOUNTS as [(typeof ACCOUNTS)[0], (typeof ACCOUNTS)[0]]

describe('followFinalizedLogs', () => {
  it('delivers each followed log once, in order, in stretches of at most step blocks; retries a failed stretch; stops', async () => {
    const c = compileTestContracts()
    const { chain } = await openTestChain()
    const store = await deploy(chain, A, c.Store, 0n) // block 1
    const other = await deploy(chain, B, c.Store, 0n) // block 2: not followed
    let nonceA = 1n
    let nonceB = 1n
    const set = (v: bigint) => callTx(chain.common, A, store, c.Store, 'set', [v], { nonce: nonceA++ })
    const noise = (v: bigint) => callTx(chain.common, B, other, c.Store, 'set', [v], { nonce: nonceB++ })
    await mine(chain, [set(1n), noise(100n)]) // block 3
    await mine(chain, [signTx(chain.common, B, { nonce: nonceB++ })]) // block 4: no logs
    await mine(chain, [set(2n)]) // block 5

    const listening = chain.listenerCount('newHead')
    const seen: { blocks: bigint[]; to: bigint }[] = []
    const waiters: { height: bigint; resolve: () => void }[] = []
    let failNext = false
    const warnings: string[] = []
    const logger = { ...nullLogger(), warn: (msg: string) => void warnings.push(msg) }
    const stop = await followFinalizedLogs(
      chain,
      { from: 0n, filter: { addresses: [store], topics: [] }, step: 2n, what: 'the test logs', logger },
      (logs: LocatedLog[], to) => {
        if (failNext) {
          failNext = false
          throw new Error('the disk is full')
        }
        seen.push({ blocks: logs.map((l) => l.blockNumber), to })
        for (const w of waiters.filter((w) => w.height <= to)) w.resolve()
      },
    )
    const applied = (height: bigint) => new Promise<void>((resolve) => waiters.push({ height, resolve }))

    // the first catch-up is done when the call resolves: 5 blocks in stretches of 2
    expect(seen).toEqual([
      { blocks: [], to: 2n },
      { blocks: [3n], to: 4n },
      { blocks: [5n], to: 5n },
    ])

    // a stretch that fails is read again with the next block
    failNext = true
    await mine(chain, [set(3n)]) // block 6: its stretch fails
    const after7 = applied(7n)
    await mine(chain, [set(4n)]) // block 7: blocks 6 and 7 together
    await after7
    expect(warnings).toEqual(['reading the test logs failed; retrying with the next block'])
    expect(seen.slice(3)).toEqual([{ blocks: [6n, 7n], to: 7n }])

    expect(seen.flatMap((s) => s.blocks)).toEqual([3n, 5n, 6n, 7n])
    // stopping lets go of the chain: no new block reaches the follower
    expect(chain.listenerCount('newHead')).toBe(listening + 1)
    stop()
    expect(chain.listenerCount('newHead')).toBe(listening)
  })
})
