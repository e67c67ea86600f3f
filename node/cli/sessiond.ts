#!/usr/bin/env node
import { createLogger, errorMessage, isParsError } from '../../common/index.js'
import { parseSessiondArgs, sessiondHelp, type SessiondOptions } from '../options.js'
import { VERSION } from '../version.js'

function die(e: unknown): never {
  const msg = isParsError(e) ? e.message : `unexpected error: ${errorMessage(e)}`
  process.stderr.write(`sessiond: ${msg}\n`)
  if (!isParsError(e) && process.env['PARS_DEBUG'] !== undefined && e instanceof Error) process.stderr.write(`${e.stack}\n`)
  process.exit(1)
}

async function main(): Promise<void> {
  let opts: SessiondOptions | 'help' | 'version'
  try {
    opts = parseSessiondArgs(process.argv.slice(2))
  } catch (e) {
    die(e)
  }
  if (opts === 'help') {
    process.stdout.write(sessiondHelp(VERSION) + '\n')
    return
  }
  if (opts === 'version') {
    process.stdout.write(`sessiond ${VERSION}\n`)
    return
  }
  const logger = createLogger({ level: opts.logLevel, module: 'sessiond' })
  process.on('unhandledRejection', (e) => logger.error('unhandled rejection', { error: errorMessage(e) }))
  const { SessiondNode } = await import('../node.js')
  let node
  try {
    node = await SessiondNode.create(opts, logger)
  } catch (e) {
    die(e)
  }
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
    die(e)
  }
}

void main()
