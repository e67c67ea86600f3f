#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { VERSION } from '../version.js'

const HELP = `parsctl ${VERSION} — control client for a Pars node

Usage:
  parsctl [--rpc URL] status           chain id, head, finalized block, peers, client version
  parsctl [--rpc URL] block [N|latest] a block (JSON)
  parsctl [--rpc URL] balance ADDRESS  balance in wei and PARS
  parsctl [--rpc URL] tx HASH          a transaction and its receipt (JSON)

Flags:
  --rpc URL    JSON-RPC endpoint (default: http://127.0.0.1:8545, or $PARS_RPC)
  --help       show this help
`

class CliError extends Error {}

async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  let res: Response
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    })
  } catch {
    throw new CliError(`cannot reach ${url}: is parsd running?`)
  }
  const body = (await res.json()) as { result?: unknown; error?: { code: number; message: string } }
  if (body.error !== undefined) throw new CliError(`${method}: ${body.error.message} (${body.error.code})`)
  return body.result
}

function formatPars(wei: bigint): string {
  const whole = wei / 10n ** 18n
  const frac = (wei % 10n ** 18n).toString().padStart(18, '0').replace(/0+$/, '')
  return frac.length > 0 ? `${whole}.${frac}` : whole.toString()
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    options: { rpc: { type: 'string' }, help: { type: 'boolean' } },
    allowPositionals: true,
  })
  if (values.help === true || positionals.length === 0) {
    process.stdout.write(HELP)
    return
  }
  const url = values.rpc ?? process.env['PARS_RPC'] ?? 'http://127.0.0.1:8545'
  const [cmd, arg] = positionals
  switch (cmd) {
    case 'status': {
      const [chainId, head, finalized, peers, client] = await Promise.all([
        rpc(url, 'eth_chainId'),
        rpc(url, 'eth_getBlockByNumber', ['latest', false]),
        rpc(url, 'eth_getBlockByNumber', ['finalized', false]),
        rpc(url, 'net_peerCount'),
        rpc(url, 'web3_clientVersion'),
      ])
      const h = head as { number: string; hash: string }
      const f = finalized as { number: string }
      process.stdout.write(
        `chain id     ${BigInt(chainId as string)}\nhead         ${BigInt(h.number)} ${h.hash}\nfinalized    ${BigInt(f.number)}\npeers        ${BigInt(peers as string)}\nclient       ${client}\n`,
      )
      return
    }
    case 'block': {
      const tag = arg === undefined || arg === 'latest' ? 'latest' : /^\d+$/.test(arg) ? `0x${BigInt(arg).toString(16)}` : arg
      process.stdout.write(JSON.stringify(await rpc(url, 'eth_getBlockByNumber', [tag, false]), null, 2) + '\n')
      return
    }
    case 'balance': {
      if (arg === undefined) throw new CliError('usage: parsctl balance ADDRESS')
      const wei = BigInt((await rpc(url, 'eth_getBalance', [arg, 'latest'])) as string)
      process.stdout.write(`${wei} wei (${formatPars(wei)} PARS)\n`)
      return
    }
    case 'tx': {
      if (arg === undefined) throw new CliError('usage: parsctl tx HASH')
      const [tx, receipt] = await Promise.all([rpc(url, 'eth_getTransactionByHash', [arg]), rpc(url, 'eth_getTransactionReceipt', [arg])])
      process.stdout.write(JSON.stringify({ transaction: tx, receipt }, null, 2) + '\n')
      return
    }
    default:
      throw new CliError(`unknown command ${JSON.stringify(cmd)} (see parsctl --help)`)
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`parsctl: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(1)
})
