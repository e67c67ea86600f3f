import { toHex } from '../../../common/index.js'
import { checkParamCount } from '../../validation.js'
import type { MethodFactory } from '../deps.js'

/**
 * The session network's service nodes as this node follows them (the genesis's and the registered
 * ones): peer id, X-Wing onion public key, and the libp2p addresses this node knows for each. What
 * `sessiond --rpc URL` starts from when it is given no genesis file. Empty without a session network.
 */
export const pars_serviceNodes: MethodFactory = (d) => async (params) => {
  checkParamCount(params, 0)
  const nodes = (await d.serviceNodes?.()) ?? []
  return nodes.map((n) => ({ peerId: n.peerId, onionKey: toHex(n.onionKey), addresses: n.addresses }))
}
