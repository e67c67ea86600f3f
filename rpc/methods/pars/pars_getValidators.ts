import { quantity } from '../../../common/index.js'
import { checkParamCount } from '../../validation.js'
import type { MethodFactory } from '../deps.js'

/** The validator set with each validator's stake, connection, responsiveness to polls and double-signing evidence seen. */
export const pars_getValidators: MethodFactory = (d) => (params) => {
  checkParamCount(params, 0)
  return (d.consensus?.validators() ?? []).map((v) => ({
    peerId: v.peerId,
    address: v.address,
    stake: quantity(v.stake),
    connected: v.connected,
    pollsAsked: quantity(v.asked),
    pollsAnswered: quantity(v.answered),
    equivocations: quantity(v.equivocations),
  }))
}
