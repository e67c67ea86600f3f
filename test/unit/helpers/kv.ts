import { MemoryLevel } from 'memory-level'
import type { KVStore } from '../../../common/index.js'

type BatchFn = (operations: unknown, options: unknown) => Promise<void>
const memoryBatch = (MemoryLevel.prototype as unknown as { _batch: BatchFn })._batch

/**
 * A memory-level store whose next batch write can be made to fail, or held until released: a disk
 * that fills up, or a slow disk, at exactly the moment a test chooses. Only batch() is affected;
 * everything else is plain memory-level.
 */
export class ControlledKv extends MemoryLevel<Uint8Array, Uint8Array> {
  private failure: Error | undefined
  private hold: { entered: () => void; released: Promise<void> } | undefined
  /** batch writes that reached the store (attempted, failed or not) */
  batches = 0

  constructor() {
    super({ keyEncoding: 'view', valueEncoding: 'view' })
  }

  static async open(): Promise<ControlledKv> {
    const kv = new ControlledKv()
    await kv.open()
    return kv
  }

  get store(): KVStore {
    return this as unknown as KVStore
  }

  /** The next batch write throws `error` and writes nothing. */
  failNextBatch(error = new Error('simulated write failure: no space left on device')): void {
    this.failure = error
  }

  /**
   * The next batch write waits until `release()` is called. `entered` resolves when it has started.
   */
  holdNextBatch(): { entered: Promise<void>; release: () => void } {
    let entered!: () => void
    let release!: () => void
    const enteredP = new Promise<void>((r) => (entered = r))
    const released = new Promise<void>((r) => (release = r))
    this.hold = { entered, released }
    return { entered: enteredP, release }
  }

  async _batch(operations: unknown, options: unknown): Promise<void> {
    this.batches++
    const failure = this.failure
    const hold = this.hold
    this.failure = undefined
    this.hold = undefined
    if (hold !== undefined) {
      hold.entered()
      await hold.released
    }
    if (failure !== undefined) throw failure
    return memoryBatch.call(this, operations, options)
  }
}
