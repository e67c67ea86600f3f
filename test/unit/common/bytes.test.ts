import { bytesToHex } from '@noble/hashes/utils.js'
import { describe, expect, it } from 'vitest'
import { flatString, fromHex, hexOf, toHex } from '../../../common/index.js'

describe('hex', () => {
  it('writes the same hex as noble, for views into larger buffers too, and reads it back', () => {
    const backing = new Uint8Array(300).map((_, i) => (i * 37 + 11) & 0xff)
    for (const [start, end] of [
      [0, 0],
      [0, 1],
      [5, 25],
      [3, 35],
      [17, 300],
    ] as const) {
      const view = backing.subarray(start, end)
      expect(hexOf(view)).toBe(bytesToHex(view))
      expect(toHex(view)).toBe(`0x${bytesToHex(view)}`)
      expect(fromHex(toHex(view))).toEqual(view)
    }
  })

  it('flatString keeps the content of a string built piece by piece', () => {
    let built = ''
    for (let i = 0; i < 32; i++) built += (i * 7).toString(16).padStart(2, '0')
    expect(flatString(built)).toBe(built)
    expect(new Map([[flatString(built), 1]]).get(built)).toBe(1)
  })
})
