// Foundry's cast against a real `parsd --dev`: the command-line client developers reach for first.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO_ROOT, startNode, type RunningNode } from './helpers/node.js'
import { DEV_BALANCE, devAccount, rpc } from './helpers/rpc.js'

const run = promisify(execFile)
const CAST = join(REPO_ROOT, 'node_modules', '@foundry-rs', 'cast-linux-amd64', 'bin', 'cast')
// the binary is an optional dependency for linux-x64; elsewhere this file says so and checks nothing
const haveCast = existsSync(CAST)
if (!haveCast) console.warn(`skipped: ${CAST} not installed (cast is an optional linux-x64 dependency)`)

// Hardhat's and anvil's first dev account (test test ... junk, index 0)
const KEY0 = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'

describe.runIf(haveCast)('cast (Foundry) against parsd --dev', () => {
  let node: RunningNode
  const cast = async (command: string, ...args: string[]): Promise<string> => {
    // the URL right after the subcommand: `send --create CODE` takes no options after it
    const argv = [command, '--rpc-url', node.url, ...args]
    const { stdout } = await run(CAST, argv, { timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } })
    return stdout.trim()
  }

  beforeAll(async () => {
    node = await startNode({ blockTime: 0 })
  })
  afterAll(async () => {
    await node?.dispose()
  })

  it('reads the chain id, the block number and a dev balance', async () => {
    expect(await cast('chain-id')).toBe('6133')
    expect(Number(await cast('block-number'))).toBeGreaterThanOrEqual(0)
    expect(BigInt(await cast('balance', devAccount(5).address))).toBe(DEV_BALANCE)
  })

  it('sends a transfer with a private key and the node mines it', async () => {
    const to = devAccount(7).address
    const before = BigInt(await cast('balance', to))
    const out = await cast('send', '--private-key', KEY0, to, '--value', '1ether', '--json')
    const receipt = JSON.parse(out) as { status: string; transactionHash: string; blockNumber: string }
    expect(receipt.status).toBe('0x1')
    expect(BigInt(await cast('balance', to))).toBe(before + 10n ** 18n)
    // the same receipt through cast and through raw JSON-RPC
    const again = JSON.parse(await cast('receipt', receipt.transactionHash, '--json')) as { blockNumber: string }
    expect(again.blockNumber).toBe(receipt.blockNumber)
    expect(await rpc(node.url, 'eth_getTransactionReceipt', [receipt.transactionHash])).not.toBeNull()
  })

  it('sends a legacy (EIP-155) transaction too', async () => {
    const out = await cast('send', '--legacy', '--private-key', KEY0, devAccount(8).address, '--value', '1gwei', '--json')
    const receipt = JSON.parse(out) as { status: string; type: string }
    expect(receipt.status).toBe('0x1')
    expect(receipt.type).toBe('0x0')
  })

  it('deploys a contract and calls it', async () => {
    // runtime returns 42; initcode copies it out
    const initcode = '0x600a600c600039600a6000f3602a60005260206000f3'
    const out = await cast('send', '--private-key', KEY0, '--create', initcode, '--json')
    const receipt = JSON.parse(out) as { status: string; contractAddress: string }
    expect(receipt.status).toBe('0x1')
    expect(await cast('code', receipt.contractAddress)).toBe('0x602a60005260206000f3')
    expect(BigInt(await cast('call', receipt.contractAddress, '0x'))).toBe(42n)
  })

  it('reads a block as JSON', async () => {
    const block = JSON.parse(await cast('block', 'latest', '--json')) as { number: string; hash: string }
    expect(block.hash).toMatch(/^0x[0-9a-f]{64}$/)
    expect(BigInt(block.number)).toBeGreaterThan(0n)
  })
})
