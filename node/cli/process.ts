// What the long-running commands (parsd, sessiond) share: one line and exit 1 on failure, and a clean
// stop on SIGINT / SIGTERM.
import { errorMessage, isParsError, type Logger, type Startable } from '../../common/index.js'

/** One clear line on stderr and a non-zero exit: what operators see when something is wrong. */
export function exitWithError(program: string, e: unknown): never {
  const msg = isParsError(e) ? e.message : `unexpected error: ${errorMessage(e)}`
  process.stderr.write(`${program}: ${msg}\n`)
  if (!isParsError(e) && process.env['PARS_DEBUG'] !== undefined && e instanceof Error) process.stderr.write(`${e.stack}\n`)
  process.exit(1)
}

/** Start `node`, stopping it (and exiting) on the first SIGINT or SIGTERM; a failed start stops it and throws. */
export async function runUntilSignal(node: Startable, logger: Logger): Promise<void> {
  let stopping = false
  const shutdown = (signal: string): void => {
    if (stopping) return
    stopping = true
    logger.info('shutting down', { signal })
    node.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        logger.error('shutdown failed', { error: errorMessage(e) })
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  try {
    await node.start()
  } catch (e) {
    await node.stop().catch(() => undefined)
    throw e
  }
}
