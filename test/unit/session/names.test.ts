import { describe, expect, it } from 'vitest'
import { looksLikeName, normalizeName } from '../../../session/index.js'
import { codeOf } from './helpers.js'

describe('Session names', () => {
  it('are normalized to 3..64 of [a-z0-9-], a .pars suffix and case dropped; anything else is refused', () => {
    expect(normalizeName(' Alice.PARS ')).toBe('alice')
    expect(normalizeName('bob-2')).toBe('bob-2')
    expect(normalizeName('a'.repeat(64))).toBe('a'.repeat(64))
    for (const bad of ['ab', 'a'.repeat(65), 'al ice', 'alice!', 'élise', 'alice.eth', '.pars', ''])
      expect(
        codeOf(() => normalizeName(bad)),
        bad,
      ).toBe('MALFORMED')
  })

  it('are told from Session IDs and links', () => {
    expect(looksLikeName('alice.pars')).toBe(true)
    expect(looksLikeName('alice')).toBe(true)
    expect(looksLikeName('05' + 'ab'.repeat(32))).toBe(false)
    expect(looksLikeName('pars://session/05' + 'ab'.repeat(32))).toBe(false)
    expect(looksLikeName('05abz')).toBe(true)
    expect(looksLikeName('05ab')).toBe(false) // a mistyped ID is refused as an ID
    expect(looksLikeName('05ab.pars')).toBe(true)
  })
})
