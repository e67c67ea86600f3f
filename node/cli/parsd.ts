#!/usr/bin/env node
import { ParsError, createLogger, errorMessage, type Logger } from '../../common/index.js'
import type { Chain } from '../../evm/index.js'
import { helpText, parseNodeArgs, type ParsedCommand } from '../options.js'
import { VERSION } from '../version.js'
import { exitWithError, runUntilSignal } from './process.js'

function die(e: unknown): never {
  return exitWithError('parsd', e)
}

// The node's modules (EthereumJS, fastify, ...) load only for commands that need them, so --help
// and --version answer at once.
const loadNode = () => import('../node.js')

async function run(cmd: ParsedCommand, logger: Logger): Promise<void> {
  const { ParsNode } = await loadNode()
  await runUntilSignal(await ParsNode.create(cmd.options, logger), logger)
}

async function withChain<T>(cmd: ParsedCommand, logger: Logger, fn: (chain: Chain) => Promise<T>): Promise<T> {
  const { openChain, openChainDb } = await loadNode()
  const kv = await openChainDb(cmd.options.datadir)
  try {
    const chain = await openChain(cmd.options, kv, logger)
    return await fn(chain)
  } finally {
    await kv.close()
  }
}

async function main(): Promise<void> {
  let cmd: ParsedCommand
  try {
    cmd = parseNodeArgs(process.argv.slice(2))
  } catch (e) {
    die(e)
  }
  const logger = createLogger({ level: cmd.options.logLevel, module: 'parsd' })
  process.on('unhandledRejection', (e) => logger.error('unhandled rejection', { error: errorMessage(e) }))
  try {
    switch (cmd.command) {
      case 'help':
        process.stdout.write(helpText(VERSION) + '\n')
        return
      case 'version':
        process.stdout.write(`parsd ${VERSION}\n`)
        return
      case 'init': {
        // validate the file before touching the datadir
        await (await loadNode()).readGenesisFile(cmd.options.genesisFile!)
        await withChain(cmd, logger, async (chain) => {
          process.stdout.write(
            `initialised ${cmd.options.datadir}: chain id ${chain.chainId}, genesis ${Buffer.from(chain.genesis.hash()).toString('hex')}\n`,
          )
        })
        return
      }
      case 'import': {
        const { importChain } = await import('../chainFile.js')
        const r = await withChain(cmd, logger, (chain) => importChain(chain, cmd.file!, logger))
        process.stdout.write(`imported ${r.imported} blocks (${r.skipped} already present)\n`)
        return
      }
      case 'export': {
        const { exportChain } = await import('../chainFile.js')
        const n = await withChain(cmd, logger, (chain) => exportChain(chain, cmd.file!))
        process.stdout.write(`exported ${n} blocks to ${cmd.file}\n`)
        return
      }
      case 'dumpgenesis': {
        const { openChainDb } = await loadNode()
        const { Chain } = await import('../../evm/index.js')
        const kv = await openChainDb(cmd.options.datadir)
        try {
          const genesis = await Chain.storedGenesis(kv)
          if (genesis === undefined) throw new ParsError({ code: 'NO_GENESIS' }, `datadir ${cmd.options.datadir} has no chain yet`)
          process.stdout.write(JSON.stringify(genesis, null, 2) + '\n')
        } finally {
          await kv.close()
        }
        return
      }
      case 'testnet-init': {
        const { testnetInit } = await import('../testnet.js')
        const nodes = await testnetInit(cmd.testnet!)
        const lines = [`wrote ${nodes.length} validator datadirs (genesis: ${cmd.testnet!.out}/genesis.json); start each with:`, '']
        for (const n of nodes) lines.push(`  parsd --datadir ${n.dir}    # RPC ${n.rpcUrl}, p2p ${n.p2p}`)
        process.stdout.write(lines.join('\n') + '\n')
        return
      }
      case 'run':
        await run(cmd, logger)
        return
    }
  } catch (e) {
    die(e)
  }
}

void main()
