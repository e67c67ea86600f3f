/** What a precompile answers: output bytes, or a revert with its reason (ABI Error(string) data). */
export type PrecompileOutcome = { ok: true; output: Uint8Array } | { ok: false; revert: Uint8Array }

/** What a precompile may know of the call beyond its input (the same on every validator). */
export interface PrecompileContext {
  blockNumber: bigint
  /** the block's mixHash (prevRandao) */
  prevRandao: Uint8Array
  /** the transaction's origin (20 bytes) */
  origin: Uint8Array
}

/**
 * One Pars precompile. `gas` is computed from the input alone, before any work, and charged in
 * full; `run` does the work only if that gas was available.
 */
export interface ParsPrecompile {
  /** the 20-byte address, as a 0x-prefixed 40-digit hex string */
  readonly address: `0x${string}`
  readonly name: string
  gas(input: Uint8Array): bigint
  run(input: Uint8Array, ctx: PrecompileContext): PrecompileOutcome | Promise<PrecompileOutcome>
}
