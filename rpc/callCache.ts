/**
 * Answers of eth_call by (block hash, request): a call at a given block is deterministic, and
 * dapps ask the same view functions (balances, allowances, reserves) many times per block. Bounded;
 * requests with state overrides are never cached.
 */
export class CallCache {
  private readonly map = new Map<string, { ok: true; value: string } | { ok: false; error: unknown }>()

  constructor(private readonly max = 4096) {}

  get(key: string): { ok: true; value: string } | { ok: false; error: unknown } | undefined {
    return this.map.get(key)
  }

  set(key: string, entry: { ok: true; value: string } | { ok: false; error: unknown }): void {
    if (this.map.size >= this.max) {
      let n = this.max >> 2
      for (const k of this.map.keys()) {
        this.map.delete(k)
        if (--n <= 0) break
      }
    }
    this.map.set(key, entry)
  }
}
