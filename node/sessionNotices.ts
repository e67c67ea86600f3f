import { decodeAbiParameters, getAddress, toEventSelector, type Hex } from 'viem'
import { fromHex, toHex, type KVStore, type Logger } from '../common/index.js'
import type { Chain } from '../evm/index.js'
import { encodeNotice, MAX_NOTICE_TEXT, NOTICE_TTL_MS, type Notice, type ServiceNode } from '../session/index.js'
import { followFinalizedLogs } from './finalizedLogs.js'

/**
 * Chain to inbox (docs/bridge.md): every `SessionNotice(bytes32 indexed sessionId, string message)` event
 * at a finalized block becomes a notice in that Session ID's swarm. Each member of the swarm reads the
 * event from its own chain and stores the notice itself, so nobody has to be trusted to pass it on, and
 * every member makes the same record (timestamp = the block's, so one hash: kept once when records move).
 * The height read so far is kept in the service node's store, so a node that was down catches up.
 */
export const SESSION_NOTICE_EVENT = 'SessionNotice(bytes32,string)'
export const SESSION_NOTICE_TOPIC: Hex = toEventSelector(`event SessionNotice(bytes32 indexed sessionId, string message)`)
const HEIGHT_KEY = Uint8Array.of(0x10, ...new TextEncoder().encode('notice-height'))
/** blocks read at once when catching up */
const STEP = 1000n

export async function followSessionNotices(chain: Chain, service: ServiceNode, kv: KVStore, logger: Logger): Promise<() => void> {
  const stored = await kv.get(HEIGHT_KEY)
  // a node that never read notices starts at the finalized block: notices are for the users who are here now
  const from = stored !== undefined ? BigInt(new TextDecoder().decode(stored)) : chain.finalized.header.number
  const filter = { addresses: [], topics: [[fromHex(SESSION_NOTICE_TOPIC)]] }
  return followFinalizedLogs(chain, { from, filter, step: STEP, what: 'session notices', logger }, async (logs, to) => {
    let kept = 0
    for (const l of logs) {
      if (l.topics.length !== 2) continue
      const sessionId = `05${toHex(l.topics[1]!).slice(2)}`
      if (!service.servesRecipient(sessionId)) continue
      let message: string
      try {
        ;[message] = decodeAbiParameters([{ type: 'string' }], toHex(l.data) as Hex)
      } catch {
        continue // not the documented event's shape
      }
      const timestamp = Number(l.blockTimestamp) * 1000
      const notice: Notice = {
        kind: 'chain',
        chainId: chain.chainId.toString(),
        contract: getAddress(toHex(l.address)),
        txHash: toHex(l.transactionHash),
        block: l.blockNumber.toString(),
        logIndex: l.logIndex,
        message: message.slice(0, MAX_NOTICE_TEXT),
      }
      // an old block's notice may be past its 14 days: the store then keeps nothing
      if ((await service.keepNotice(sessionId, encodeNotice(notice), timestamp, timestamp + NOTICE_TTL_MS)).stored) kept++
    }
    await kv.put(HEIGHT_KEY, new TextEncoder().encode(to.toString()))
    if (kept > 0) logger.debug('session notices kept', { kept, to })
  })
}
