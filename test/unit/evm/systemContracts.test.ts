// The system contracts the genesis carries are exactly what their Solidity sources compile to, and
// every Pars genesis places them at their documented addresses.
import { describe, expect, it } from 'vitest'
import { devGenesis, NameRegistry, ServiceNodeRegistry, SYSTEM_CONTRACTS } from '../../../evm/index.js'
// @ts-expect-error: a plain .mjs script without types
import { ADDRESSES, compileSystemContracts } from '../../../contracts/scripts/systemContracts.mjs'

const BUILT = { NameRegistry, ServiceNodeRegistry }

describe('system contracts', () => {
  it('evm/systemContracts.ts is what contracts/src/system compiles to (run npm run gen:system-contracts after a change)', () => {
    const compiled = compileSystemContracts() as Record<string, { abi: unknown; code: string }>
    expect(Object.keys(compiled).sort()).toEqual(Object.keys(BUILT).sort())
    for (const [name, c] of Object.entries(BUILT)) {
      expect(compiled[name]!.code, name).toBe(c.code)
      expect(compiled[name]!.abi, name).toEqual(c.abi)
      expect((ADDRESSES as Record<string, string>)[name], name).toBe(c.address)
    }
    expect(SYSTEM_CONTRACTS.map((c) => c.address).sort()).toEqual(
      Object.values(BUILT)
        .map((c) => c.address)
        .sort(),
    )
  }, 60_000)

  it('every genesis allocates them, with their code, at their addresses', () => {
    const g = devGenesis({ alloc: {} })
    for (const c of SYSTEM_CONTRACTS) expect(g.alloc[c.address]).toMatchObject({ code: c.code, nonce: '0x1' })
  })
})
