import { paramsBlock } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { paramsEVM } from '@ethereumjs/evm'
import { paramsTx } from '@ethereumjs/tx'
import { paramsVM } from '@ethereumjs/vm'

const PRELOADED: ReadonlySet<object> = new Set([paramsTx, paramsBlock, paramsEVM, paramsVM])

type ParamsDict = Parameters<Common['updateParams']>[0]

/**
 * Every EthereumJS transaction, header, EVM and VM constructor copies its Common and calls
 * `updateParams` with its package's default parameter dictionary, which deep-clones the parameters
 * and rebuilds the whole parameter cache: about 60 us each time, several times per eth_call and per
 * transaction decoded. Loading the four default dictionaries once, before any copy is made, makes
 * those calls no-ops: copies share the merged parameters, and a copy's cache is either its
 * original's or rebuilt from them when its hardfork changes. Dictionaries other than the defaults
 * (custom params) still take the normal path.
 */
export function preloadParams(common: Common): Common {
  const original = common.updateParams.bind(common)
  for (const p of PRELOADED) original(p as ParamsDict)
  const proto = Object.getPrototypeOf(common) as { updateParams: (this: Common, p: ParamsDict) => void }
  // an own property, so that copies (Object.assign of the original) keep it
  Object.defineProperty(common, 'updateParams', {
    value: function updateParams(this: Common, params: ParamsDict) {
      if (PRELOADED.has(params)) return
      proto.updateParams.call(this, params)
    },
    enumerable: true,
    writable: true,
    configurable: true,
  })
  return common
}
