import { describe, expect, it } from 'vitest'
import { Address } from '@ethereumjs/util'
import { ParsError, fromHex, toHex } from '../../../common/index.js'
import { PARS_CHAIN_ID, PARS_HARDFORK, chainSpecFromGenesis, devGenesis, validateGethGenesis } from '../../../evm/index.js'
import { ACCOUNTS, GENESIS_TIME, balanceOf, mine, openTestChain, signTx, testGenesis } from '../helpers/chain.js'

const [A] = ACCOUNTS as [(typeof ACCOUNTS)[0]]
const SLOT1 = '0x' + '00'.repeat(31) + '01'

/** A geth-format genesis as `geth init` takes it, at London from block 0 (no Shanghai). */
function londonGenesis(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    config: {
      chainId: 1337,
      homesteadBlock: 0,
      eip150Block: 0,
      eip155Block: 0,
      eip158Block: 0,
      byzantiumBlock: 0,
      constantinopleBlock: 0,
      petersburgBlock: 0,
      istanbulBlock: 0,
      berlinBlock: 0,
      londonBlock: 0,
    },
    difficulty: '0x1',
    gasLimit: '0x1c9c380',
    timestamp: '0x' + GENESIS_TIME.toString(16),
    extraData: '0x',
    alloc: { [A.hex.slice(2).toUpperCase()]: { balance: '1000000000000000000000' } },
    ...over,
  }
}

/** The BAD_GENESIS error for `json`: the field it names and the message. */
function badGenesis(json: unknown): { field: string; message: string } {
  try {
    validateGethGenesis(json)
  } catch (e) {
    expect(e).toBeInstanceOf(ParsError)
    const err = e as ParsError<{ code: 'BAD_GENESIS'; field: string }>
    expect(err.code).toBe('BAD_GENESIS')
    expect(err.message.startsWith(`genesis: ${err.type.field}: `)).toBe(true)
    return { field: err.type.field, message: err.message }
  }
  throw new Error('the genesis was accepted')
}

describe('validateGethGenesis', () => {
  const good = (): Record<string, unknown> => londonGenesis()
  const withConfig = (c: Record<string, unknown>): Record<string, unknown> => ({
    ...good(),
    config: { ...(good()['config'] as object), ...c },
  })
  const withAlloc = (alloc: unknown): Record<string, unknown> => ({ ...good(), alloc })

  it('accepts a geth genesis and a dev genesis', () => {
    expect(() => validateGethGenesis(good())).not.toThrow()
    expect(() => validateGethGenesis(testGenesis())).not.toThrow()
  })

  const cases: [string, () => unknown, string, RegExp][] = [
    ['not an object', () => [], '(root)', /must be a JSON object/],
    ['null', () => null, '(root)', /must be a JSON object/],
    ['no config', () => ({ ...good(), config: undefined }), 'config', /missing or not an object/],
    ['config is not an object', () => ({ ...good(), config: 'london' }), 'config', /missing or not an object/],
    ['no chain id', () => withConfig({ chainId: undefined }), 'config.chainId', /must be a positive integer, got undefined/],
    ['chain id 0', () => withConfig({ chainId: 0 }), 'config.chainId', /must be a positive integer, got 0/],
    ['chain id as a string', () => withConfig({ chainId: '6133' }), 'config.chainId', /must be a positive integer, got "6133"/],
    ['fractional chain id', () => withConfig({ chainId: 1.5 }), 'config.chainId', /got 1.5/],
    ['negative fork block', () => withConfig({ londonBlock: -1 }), 'config.londonBlock', /non-negative integer, got -1/],
    ['fork time as a string', () => withConfig({ shanghaiTime: '0' }), 'config.shanghaiTime', /non-negative integer, got "0"/],
    ['no gas limit', () => ({ ...good(), gasLimit: undefined }), 'gasLimit', /missing/],
    ['decimal-string gas limit', () => ({ ...good(), gasLimit: '30000000' }), 'gasLimit', /0x-prefixed hex number, got "30000000"/],
    ['empty hex gas limit', () => ({ ...good(), gasLimit: '0x' }), 'gasLimit', /0x-prefixed hex number/],
    ['bad timestamp', () => ({ ...good(), timestamp: 'yesterday' }), 'timestamp', /0x-prefixed hex number/],
    ['bad base fee', () => ({ ...good(), baseFeePerGas: '0xg' }), 'baseFeePerGas', /0x-prefixed hex number/],
    ['extraData over 32 bytes', () => ({ ...good(), extraData: '0x' + 'ab'.repeat(33) }), 'extraData', /longer than 32 bytes/],
    ['odd-length extraData', () => ({ ...good(), extraData: '0xabc' }), 'extraData', /0x-prefixed hex bytes/],
    ['bad coinbase', () => ({ ...good(), coinbase: '0x1234' }), 'coinbase', /20-byte address/],
    ['no alloc', () => ({ ...good(), alloc: undefined }), 'alloc', /missing \(use \{\} for none\)/],
    ['alloc as a list', () => withAlloc([]), 'alloc', /must be an object of address -> account/],
    ['short alloc address', () => withAlloc({ '0x1234': { balance: '1' } }), 'alloc.0x1234', /key is not a 20-byte hex address/],
    [
      'non-hex alloc address',
      () => withAlloc({ ['0x' + 'zz'.repeat(20)]: { balance: '1' } }),
      `alloc.0x${'zz'.repeat(20)}`,
      /20-byte hex address/,
    ],
    ['alloc account not an object', () => withAlloc({ [A.hex]: 5 }), `alloc.${A.hex}`, /must be an object/],
    ['alloc without balance', () => withAlloc({ [A.hex]: {} }), `alloc.${A.hex}.balance`, /missing/],
    ['numeric balance', () => withAlloc({ [A.hex]: { balance: 5 } }), `alloc.${A.hex}.balance`, /decimal or 0x-hex string, got 5/],
    ['negative balance', () => withAlloc({ [A.hex]: { balance: '-1' } }), `alloc.${A.hex}.balance`, /got "-1"/],
    ['bad hex balance', () => withAlloc({ [A.hex]: { balance: '0xzz' } }), `alloc.${A.hex}.balance`, /got "0xzz"/],
    ['odd-length code', () => withAlloc({ [A.hex]: { balance: '0', code: '0x600' } }), `alloc.${A.hex}.code`, /0x-prefixed hex bytes/],
    [
      'storage slot too long',
      () => withAlloc({ [A.hex]: { balance: '0', storage: { ['0x' + '00'.repeat(33)]: '0x01' } } }),
      `alloc.${A.hex}.storage.0x${'00'.repeat(33)}`,
      /at most 32 bytes/,
    ],
    [
      'storage slot that is not hex',
      () => withAlloc({ [A.hex]: { balance: '0', storage: { '0xzz': '0x01' } } }),
      `alloc.${A.hex}.storage.0xzz`,
      /at most 32 bytes/,
    ],
    [
      'storage value not hex',
      () => withAlloc({ [A.hex]: { balance: '0', storage: { [SLOT1]: 1 } } }),
      `alloc.${A.hex}.storage.${SLOT1}`,
      /value must be 32-byte hex/,
    ],
  ]
  for (const [what, make, field, why] of cases) {
    it(`names the field and why: ${what}`, () => {
      const r = badGenesis(make())
      expect(r.field).toBe(field)
      expect(r.message).toMatch(why)
    })
  }
})

describe('chainSpecFromGenesis', () => {
  it('takes a geth genesis at an older fork (London from block 0, no Shanghai) and runs that fork', async () => {
    const spec = chainSpecFromGenesis(londonGenesis())
    expect(spec.common.chainId()).toBe(1337n)
    expect(spec.common.hardfork()).toBe('london')
    // addresses without 0x in any case, balances in decimal: normalised
    expect(Object.keys(spec.genesis.alloc)).toEqual([A.hex])
    expect(spec.genesis.alloc[A.hex]!.balance).toBe('0x' + (1000n * 10n ** 18n).toString(16))

    const { chain } = await openTestChain({ genesis: londonGenesis() })
    expect(chain.chainId).toBe(1337n)
    // EIP-1559's initial base fee, as geth gives a London genesis without one
    expect(chain.genesis.header.baseFeePerGas).toBe(1_000_000_000n)
    expect(chain.genesis.header.withdrawalsRoot).toBeUndefined()
    expect(await balanceOf(chain, A.address)).toBe(1000n * 10n ** 18n)
    const { block, receipts } = await mine(chain, [signTx(chain.common, A, { value: 5n })])
    expect(receipts[0]!.status).toBe(1)
    expect(block.common.hardfork()).toBe('london')
    expect(block.withdrawals).toBeUndefined() // no Shanghai
  })

  it('takes a genesis that leaves out nonce, difficulty and timestamp, as geth allows (all 0)', async () => {
    const g = londonGenesis()
    delete g['difficulty']
    delete g['timestamp']
    expect(g['nonce']).toBeUndefined()
    const spec = chainSpecFromGenesis(g)
    expect(spec.common.hardfork()).toBe('london')
    const { chain, kv } = await openTestChain({ genesis: g })
    expect(chain.genesis.header.difficulty).toBe(0n)
    expect(chain.genesis.header.timestamp).toBe(0n)
    expect(toHex(chain.genesis.header.nonce)).toBe('0x0000000000000000')
    // reopening with the same file is not a mismatch
    expect(toHex((await openTestChain({ kv, genesis: g })).chain.genesis.hash())).toBe(toHex(chain.genesis.hash()))
  })

  it('puts alloc code, nonce and storage into the genesis state', async () => {
    const contract = '0x' + '12'.repeat(20)
    const slot = '0x' + '00'.repeat(31) + '01'
    const g = londonGenesis({
      alloc: { [contract]: { balance: '0x10', code: '0x6001600055', nonce: '0x7', storage: { [slot]: '0x2a' } } },
    })
    const { chain } = await openTestChain({ genesis: g })
    const reader = chain.reader(chain.head)
    const address = new Address(fromHex(contract))
    const account = (await reader.getAccount(address))!
    expect(account.balance).toBe(16n)
    expect(account.nonce).toBe(7n)
    expect(toHex(await reader.getCode(address))).toBe('0x6001600055')
    expect(toHex(await reader.getStorage(address, fromHex(slot)))).toBe('0x2a')
  })

  it('switches fork at the configured time', async () => {
    const g = londonGenesis({
      config: {
        ...(londonGenesis()['config'] as object),
        mergeNetsplitBlock: 0,
        terminalTotalDifficulty: 0,
        terminalTotalDifficultyPassed: true,
        shanghaiTime: Number(GENESIS_TIME) + 2,
      },
      difficulty: '0x0',
    })
    const { chain } = await openTestChain({ genesis: g })
    const one = await mine(chain, [signTx(chain.common, A, { nonce: 0n })]) // at GENESIS_TIME + 1
    const two = await mine(chain, [signTx(chain.common, A, { nonce: 1n })]) // at GENESIS_TIME + 2
    expect(one.block.withdrawals).toBeUndefined()
    expect(two.block.common.hardfork()).toBe('shanghai')
    expect(two.block.withdrawals).toEqual([])
  })

  it('reports a configuration EthereumJS cannot use as a config error', () => {
    const g = testGenesis()
    const broken = { ...g, config: { ...g.config, blobSchedule: 'x' } }
    expect(() => validateGethGenesis(broken)).not.toThrow() // shape is fine, meaning is not
    try {
      chainSpecFromGenesis(broken)
      expect.unreachable('accepted an unusable config')
    } catch (e) {
      expect(e).toBeInstanceOf(ParsError)
      expect((e as ParsError).type).toEqual({ code: 'BAD_GENESIS', field: 'config' })
      expect((e as ParsError).message).toMatch(/^genesis: config: not a usable chain configuration \(.+\)$/)
    }
  })

  it('validates before anything else', () => {
    expect(() => chainSpecFromGenesis({ ...londonGenesis(), gasLimit: 5 + 'x' })).toThrow(/genesis: gasLimit:/)
  })
})

describe('devGenesis', () => {
  it('is chain 6133 at Osaka from block 0, with the alloc, gas limit and base fee given', async () => {
    expect(PARS_CHAIN_ID).toBe(6133)
    expect(PARS_HARDFORK).toBe('osaka')
    const g = devGenesis({
      alloc: { [A.hex.toUpperCase().replace('0X', '0x')]: { balance: 10n ** 18n } },
      timestamp: GENESIS_TIME,
      gasLimit: 40_000_000n,
    })
    expect(() => validateGethGenesis(g)).not.toThrow()
    expect(g.config.chainId).toBe(6133)
    expect(g.gasLimit).toBe('0x' + 40_000_000n.toString(16))
    expect(g.alloc[A.hex]!.balance).toBe('0xde0b6b3a7640000')

    const spec = chainSpecFromGenesis(g)
    expect(spec.common.chainId()).toBe(6133n)
    expect(spec.common.hardfork()).toBe('osaka')
    expect(spec.common.isActivatedEIP(7825)).toBe(true)

    const { chain } = await openTestChain({ genesis: g })
    const h = chain.genesis.header
    expect(h.number).toBe(0n)
    expect(h.timestamp).toBe(GENESIS_TIME)
    expect(h.gasLimit).toBe(40_000_000n)
    expect(h.baseFeePerGas).toBe(1_000_000_000n)
    expect(h.excessBlobGas).toBe(0n)
    expect(chain.genesis.common.hardfork()).toBe('osaka')
    expect(await balanceOf(chain, A.address)).toBe(10n ** 18n)
  })

  it('defaults: chain 6133, 30M gas, and a different chain id when asked', () => {
    const g = devGenesis({ alloc: {} })
    expect(g.config.chainId).toBe(6133)
    expect(BigInt(g.gasLimit)).toBe(30_000_000n)
    expect(chainSpecFromGenesis(devGenesis({ alloc: {}, chainId: 99 })).common.chainId()).toBe(99n)
  })
})
