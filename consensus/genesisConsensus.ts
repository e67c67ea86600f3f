import { fromHex } from '../common/index.js'
import { ConsensusError, DEFAULT_SNOW_PARAMS, paramsForNetwork, validateSnowParams, type SnowParams } from './snowball/params.js'
import { DEFAULT_TIMING, type EngineTiming } from './engine/engine.js'
import { ValidatorSet } from './validators.js'
import type { ValidatorPublicKey } from './validatorKey.js'

/** A genesis validator: its libp2p peer id (its consensus id), fee address, stake and block-signing keys. */
export interface GenesisValidator {
  peerId: string
  address: Uint8Array
  stake: bigint
  keys: ValidatorPublicKey
  /** the node's X-Wing onion key, when it serves the session network (1,216 bytes) */
  onion?: Uint8Array
}

export interface ConsensusConfig {
  validators: GenesisValidator[]
  set: ValidatorSet
  params: SnowParams
  timing: EngineTiming
}

/**
 * The consensus part of a genesis file, under `config.pars`:
 *
 *   "pars": {
 *     "consensus": { "k": 20, "alphaPreference": 15, "alphaConfidence": 15, "beta": 20, "blockTimeMs": 400, "windowMs": 1000 },
 *     "validators": [ { "peerId": "12D3Koo…", "address": "0x…", "stake": "1000", "ed25519": "0x…", "mldsa65": "0x…", "onion": "0x…" } ]
 *
 * `onion` (optional) is the node's X-Wing onion key: validators that list one are the service nodes
 * of the session network.
 *   }
 *
 * Returns undefined for a genesis without validators (a dev or imported chain). k is capped at the
 * number of validators, with the alphas scaled to keep the quorum condition; parameters that fail it
 * are refused at start-up.
 */
export function consensusFromGenesis(genesis: unknown): ConsensusConfig | undefined {
  const config = (genesis as { config?: { pars?: unknown } } | undefined)?.config
  const pars = config?.pars as { consensus?: Record<string, unknown>; validators?: unknown } | undefined
  if (pars === undefined || pars.validators === undefined) return undefined
  const bad = (why: string): never => {
    throw new ConsensusError('BAD_VALIDATOR_SET', `genesis config.pars: ${why}`)
  }
  if (!Array.isArray(pars.validators) || pars.validators.length === 0) bad('validators must be a non-empty list')
  const hex = (v: unknown, n: number, what: string): Uint8Array => {
    if (typeof v !== 'string' || !/^0x[0-9a-fA-F]*$/.test(v) || v.length !== 2 + 2 * n) bad(`${what} must be ${n} bytes of 0x-hex`)
    return fromHex(v as string)
  }
  const validators = (pars.validators as Record<string, unknown>[]).map((v, i) => {
    if (typeof v.peerId !== 'string' || !/^[1-9A-HJ-NP-Za-km-z]{40,64}$/.test(v.peerId))
      bad(`validators[${i}].peerId must be a libp2p peer id`)
    let stake: bigint
    try {
      stake = BigInt(v.stake as string)
    } catch {
      return bad(`validators[${i}].stake must be an integer`)
    }
    return {
      peerId: v.peerId as string,
      address: hex(v.address, 20, `validators[${i}].address`),
      stake,
      keys: { ed25519: hex(v.ed25519, 32, `validators[${i}].ed25519`), mldsa: hex(v.mldsa65, 1952, `validators[${i}].mldsa65`) },
      ...(v.onion !== undefined ? { onion: hex(v.onion, 1216, `validators[${i}].onion`) } : {}),
    }
  })
  const set = new ValidatorSet(validators.map((v) => ({ id: v.peerId, stake: v.stake })))
  const c = pars.consensus ?? {}
  const num = (name: string, def: number): number => {
    const v = c[name]
    if (v === undefined) return def
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) bad(`consensus.${name} must be a whole number`)
    return v as number
  }
  const params = validateSnowParams({
    k: num('k', DEFAULT_SNOW_PARAMS.k),
    alphaPreference: num('alphaPreference', DEFAULT_SNOW_PARAMS.alphaPreference),
    alphaConfidence: num('alphaConfidence', DEFAULT_SNOW_PARAMS.alphaConfidence),
    beta: num('beta', DEFAULT_SNOW_PARAMS.beta),
  })
  return {
    validators,
    set,
    params: paramsForNetwork(params, set.size),
    timing: { ...DEFAULT_TIMING, blockTime: num('blockTimeMs', DEFAULT_TIMING.blockTime), window: num('windowMs', DEFAULT_TIMING.window) },
  }
}
