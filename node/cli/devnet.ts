#!/usr/bin/env node
// `npm run devnet`: a local network of 4 validators in separate parsd processes. The first run writes
// the datadirs with `parsd testnet init` (into ./devnet, or $PARS_DEVNET_DIR); later runs restart
// the same network. Prints each node's RPC URL; Ctrl-C stops them all.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const VALIDATORS = 4
const BASE_PORT = Number(process.env['PARS_DEVNET_PORT'] ?? 8545)
const dir = resolve(process.env['PARS_DEVNET_DIR'] ?? 'devnet')
const parsd = join(fileURLToPath(new URL('.', import.meta.url)), 'parsd.js')

function run(args: string[]): Promise<void> {
  return new Promise((ok, fail) => {
    const p = spawn(process.execPath, [parsd, ...args], { stdio: 'inherit' })
    p.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`parsd ${args.join(' ')} exited with ${code}`))))
  })
}

async function main(): Promise<void> {
  if (!existsSync(join(dir, 'node-0'))) {
    await run(['testnet', 'init', '--validators', String(VALIDATORS), '--out', dir, '--base-port', String(BASE_PORT)])
  }
  const children: ChildProcess[] = []
  let stopping = false
  const stopAll = (): void => {
    if (stopping) return
    stopping = true
    for (const c of children) c.kill('SIGTERM')
  }
  for (let i = 0; i < VALIDATORS; i++) {
    const c = spawn(process.execPath, [parsd, '--datadir', join(dir, `node-${i}`)], { stdio: ['ignore', 'pipe', 'pipe'] })
    const prefix = `[node-${i}] `
    for (const s of [c.stdout, c.stderr]) s?.on('data', (d: Buffer) => process.stderr.write(d.toString().replace(/^(?=.)/gm, prefix)))
    c.on('exit', (code, signal) => {
      process.stderr.write(`${prefix}exited (${signal ?? code})\n`)
      if (!stopping) stopAll()
      if (children.every((x) => x.exitCode !== null || x.signalCode !== null)) process.exit(stopping ? 0 : 1)
    })
    children.push(c)
  }
  process.on('SIGINT', stopAll)
  process.on('SIGTERM', stopAll)
  const lines = ['', `Pars devnet: ${VALIDATORS} validators, chain id 6133, datadirs in ${dir}`, '']
  for (let i = 0; i < VALIDATORS; i++) lines.push(`  node-${i}  http://127.0.0.1:${BASE_PORT + i}`)
  lines.push('', 'The dev mnemonic accounts are funded as with --dev. Ctrl-C stops the network.', '')
  process.stdout.write(lines.join('\n'))
}

main().catch((e: unknown) => {
  process.stderr.write(`devnet: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(1)
})
