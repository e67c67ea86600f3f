#!/usr/bin/env node
import { createLogger, errorMessage } from '../../common/index.js'
import { parseSessiondArgs, sessiondHelp, type SessiondOptions } from '../options.js'
import { VERSION } from '../version.js'
import { exitWithError, runUntilSignal } from './process.js'

function die(e: unknown): never {
  return exitWithError('sessiond', e)
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
  try {
    await runUntilSignal(node, logger)
  } catch (e) {
    die(e)
  }
}

void main()
