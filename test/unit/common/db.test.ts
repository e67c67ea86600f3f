// readKey: the synchronous read where the store offers one, the same answers as get.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openLevelDb, openMemoryDb, readKey } from '../../../common/index.js'

describe('readKey', () => {
  it('reads what was written and undefined for a missing key, from LevelDB and memory-level alike', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pars-readkey-'))
    try {
      for (const db of [await openLevelDb(dir), await openMemoryDb()]) {
        await db.batch([
          { type: 'put', key: Uint8Array.of(1, 2), value: Uint8Array.of(9, 8, 7) },
          { type: 'put', key: Uint8Array.of(1, 3), value: new Uint8Array(0) },
        ])
        expect(Uint8Array.from((await readKey(db, Uint8Array.of(1, 2)))!)).toEqual(Uint8Array.of(9, 8, 7))
        expect((await readKey(db, Uint8Array.of(1, 3)))?.length).toBe(0)
        expect(await readKey(db, Uint8Array.of(1, 4))).toBeUndefined()
        await db.del(Uint8Array.of(1, 2))
        expect(await readKey(db, Uint8Array.of(1, 2))).toBeUndefined()
        await db.close()
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
