import { quantity } from '../../../common/index.js'
import { checkParamCount } from '../../validation.js'
import type { MethodFactory } from '../deps.js'

/** The node's consensus state: mode, height, finalized height, peers, validators and parameters. */
export const pars_status: MethodFactory = (d) => (params) => {
  checkParamCount(params, 0)
  const head = d.chain.head.header.number
  const s = d.consensus?.status() ?? {
    // no validator network: a --dev node (its own single validator) or a follower of an imported chain
    mode: d.devAccounts !== undefined ? ('dev' as const) : ('follower' as const),
    height: head,
    finalizedHeight: d.chain.finalized.header.number,
    peers: d.network.peerCount(),
    validators: 0,
  }
  return {
    mode: s.mode,
    ...(s.peerId !== undefined ? { peerId: s.peerId } : {}),
    chainId: quantity(d.chain.chainId),
    height: quantity(s.height),
    finalizedHeight: quantity(s.finalizedHeight),
    peers: quantity(s.peers),
    validators: quantity(s.validators),
    ...(s.syncedBlocks !== undefined ? { syncedBlocks: quantity(s.syncedBlocks) } : {}),
    ...(s.params !== undefined ? { consensus: s.params } : {}),
  }
}
