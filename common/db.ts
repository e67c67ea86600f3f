import type { AbstractLevel } from 'abstract-level'
import { ClassicLevel } from 'classic-level'
import { MemoryLevel } from 'memory-level'

/** The node's key-value store: byte keys, byte values. LevelDB on disk, memory-level in unit tests. */
export type KVStore = AbstractLevel<Uint8Array, Uint8Array, Uint8Array>

export type KVBatchOp = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array }

export async function openLevelDb(path: string): Promise<KVStore> {
  const db = new ClassicLevel<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' })
  await db.open()
  return db as unknown as KVStore
}

export async function openMemoryDb(): Promise<KVStore> {
  const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' })
  await db.open()
  return db as unknown as KVStore
}
