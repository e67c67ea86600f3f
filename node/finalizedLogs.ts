import { errorMessage, type Logger } from '../common/index.js'
import { queryLogs, type Chain, type LocatedLog, type LogFilter } from '../evm/index.js'

export interface FollowOptions {
  /** the last height already applied: following starts at the block after it */
  from: bigint
  filter: LogFilter
  /** most blocks read at once when catching up (default: all up to the finalized head) */
  step?: bigint
  /** what is followed, for the log line when a read fails */
  what: string
  logger: Logger
}

/**
 * Follow the logs of finalized blocks (the session half's view of the chain: finalized blocks are
 * never reverted, so nothing applied has to be undone). From `from` + 1 to the finalized head at
 * start, then each newly finalized stretch, one at a time and in order. `apply` gets a stretch's
 * logs and its last height; when reading or applying a stretch fails, it is tried again with the
 * next head. Resolves once the first catch-up is done, with a function that stops following.
 */
export async function followFinalizedLogs(
  chain: Chain,
  opts: FollowOptions,
  apply: (logs: LocatedLog[], to: bigint) => Promise<void> | void,
): Promise<() => void> {
  let applied = opts.from
  let running: Promise<void> = Promise.resolve()
  const catchUp = (): void => {
    running = running.then(async () => {
      const last = chain.finalized.header.number
      while (applied < last) {
        const to = opts.step !== undefined && applied + opts.step < last ? applied + opts.step : last
        try {
          await apply(await queryLogs(chain, applied + 1n, to, opts.filter, Number.MAX_SAFE_INTEGER), to)
        } catch (e) {
          opts.logger.warn(`reading ${opts.what} failed; retrying with the next block`, { error: errorMessage(e) })
          return
        }
        applied = to
      }
    })
  }
  chain.on('newHead', catchUp)
  catchUp()
  await running
  return () => chain.off('newHead', catchUp)
}
