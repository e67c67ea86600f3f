import { Lru } from '../common/index.js'

export type CallCacheEntry = { ok: true; value: string } | { ok: false; error: unknown }

/**
 * Answers of eth_call by (block hash, request): a call at a given block is deterministic, and
 * dapps ask the same view functions (balances, allowances, reserves) many times per block. Bounded;
 * requests with state overrides are never cached.
 */
export class CallCache {
  private readonly entries: Lru<string, CallCacheEntry>

  constructor(max = 4096) {
    this.entries = new Lru(max)
  }

  get(key: string): CallCacheEntry | undefined {
    return this.entries.get(key)
  }

  set(key: string, entry: CallCacheEntry): void {
    this.entries.set(key, entry)
  }
}
