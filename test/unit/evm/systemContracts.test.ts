// The system contracts the genesis carries are exactly what their Solidity sources compile to, and
// every Pars genesis places them at their documented addresses.
import { describe, expect, it } from 'vitest'
import { devGenesis, ServiceNodeRegistry, SYSTEM_CONTRACTS } from '../../../evm/index.js'
// @ts-expect-error: a plain .mjs script without types
import { ADDRESSES, compileSystemContracts } from '../../../contracts/scripts/systemContracts.mjs'

describe('system contracts', () => {
  it('evm/systemContracts.ts is what contracts/src/system compiles to (run npm run gen:system-contracts after a change)', () => {
    const compiled = compileSystemContracts() as Record<string, { abi: unknown; code: string }>
    expect(Object.keys(compiled)).toEqual(['ServiceNodeRegistry'])
    expect(SYSTEM_CONTRACTS.map((c) => c.address)).toEqual([ServiceNodeRegistry.address])
    expect(compiled['ServiceNodeRegistry']!.code).toBe(ServiceNodeRegistry.code)
    expect(compiled['ServiceNodeRegistry']!.abi).toEqual(ServiceNodeRegistry.abi)
    expect((ADDRESSES as Record<string, string>)['ServiceNodeRegistry']).toBe(ServiceNodeRegistry.address)
  }, 60_000)

  it('every genesis allocates them, with their code, at their addresses', () => {
    const g = devGenesis({ alloc: {} })
    expect(g.alloc[ServiceNodeRegistry.address]).toMatchObject({ code: ServiceNodeRegistry.code, nonce: '0x1' })
  })
})
