import { fromHex, ParsError, Reader, toHex, utf8, Writer } from '../common/index.js'
import type { ConsensusBlock, ConsensusMessage } from './engine/engine.js'

/** A block as validators exchange it: the consensus fields, the block's RLP and the proposer's signature. */
export interface NetBlock extends ConsensusBlock {
  rlp: Uint8Array
  signature: Uint8Array
}

const PROPOSE = 1
const QUERY = 2
const REPLY = 3
const GET = 4
const BLOCK = 5
const STATUS = 6
const STATUS_REPLY = 7
const RANGE = 8
const RANGE_REPLY = 9
/** most blocks in one range reply */
const MAX_RANGE = 64
const WIRE_VERSION = 1
/** The largest block a peer may send (RLP): well above a 30M-gas block of calldata. */
export const MAX_BLOCK_BYTES = 8 * 1024 * 1024
const MAX_SIGNATURE = 8 * 1024
const MAX_PEER_ID = 128

const malformed = (message: string): Error => new ParsError({ code: 'MALFORMED' }, message)

function writeBlock(w: Writer, b: NetBlock): void {
  w.bytes(fromHex(b.id))
    .u64(BigInt(b.height))
    .bytes(fromHex(b.parentId))
    .varBytes(utf8.encode(b.proposer))
    .u64(BigInt(b.timestamp))
    .varBytes(b.signature)
    .varBytes(b.rlp)
}

function readBlock(r: Reader): NetBlock {
  const id = toHex(r.bytes(32))
  const height = r.u64()
  if (height > BigInt(Number.MAX_SAFE_INTEGER)) throw malformed('block height out of range')
  const parentId = toHex(r.bytes(32))
  const proposer = String.fromCharCode(...r.varBytes(MAX_PEER_ID))
  if (!/^[1-9A-HJ-NP-Za-km-z]*$/.test(proposer)) throw malformed('block proposer is not a peer id')
  const timestamp = r.u64()
  if (timestamp > BigInt(Number.MAX_SAFE_INTEGER)) throw malformed('block timestamp out of range')
  const signature = r.varBytes(MAX_SIGNATURE)
  const rlp = r.varBytes(MAX_BLOCK_BYTES)
  return { id, height: Number(height), parentId, proposer, timestamp: Number(timestamp), signature, rlp }
}

/** Encode a consensus message for the wire. */
export function encodeConsensusMessage(m: ConsensusMessage<NetBlock>): Uint8Array {
  const w = new Writer().u8(WIRE_VERSION)
  switch (m.type) {
    case 'propose':
    case 'block':
      w.u8(m.type === 'propose' ? PROPOSE : BLOCK)
      writeBlock(w, m.block)
      break
    case 'query':
      w.u8(QUERY)
        .u32(m.reqId)
        .u64(BigInt(m.height))
        .u8(m.block === undefined ? 0 : 1)
      if (m.block !== undefined) writeBlock(w, m.block)
      break
    case 'reply':
      w.u8(REPLY)
        .u32(m.reqId)
        .u64(BigInt(m.height))
        .u8(m.vote === undefined ? 0 : 1)
      if (m.vote !== undefined) w.bytes(fromHex(m.vote))
      break
    case 'get':
      w.u8(GET).bytes(fromHex(m.id))
      break
    case 'status':
      w.u8(STATUS).u32(m.reqId)
      break
    case 'statusReply':
      w.u8(STATUS_REPLY).u32(m.reqId).u64(BigInt(m.height))
      break
    case 'range':
      w.u8(RANGE).u32(m.reqId).u64(BigInt(m.from)).u32(m.count)
      break
    case 'rangeReply':
      w.u8(RANGE_REPLY).u32(m.reqId).u32(m.blocks.length)
      for (const b of m.blocks) writeBlock(w, b)
      break
  }
  return w.finish()
}

/** Decode what a peer sent; anything malformed throws ParsError MALFORMED (the peer is scored down). */
export function decodeConsensusMessage(bytes: Uint8Array): ConsensusMessage<NetBlock> {
  const r = new Reader(bytes, 'consensus message', malformed)
  const version = r.u8()
  if (version !== WIRE_VERSION) throw malformed(`consensus message version ${version}`)
  const type = r.u8()
  let m: ConsensusMessage<NetBlock>
  const height = (): number => {
    const h = r.u64()
    if (h > BigInt(Number.MAX_SAFE_INTEGER)) throw malformed('height out of range')
    return Number(h)
  }
  switch (type) {
    case PROPOSE:
      m = { type: 'propose', block: readBlock(r) }
      break
    case BLOCK:
      m = { type: 'block', block: readBlock(r) }
      break
    case QUERY: {
      const reqId = r.u32()
      const h = height()
      const has = r.u8()
      if (has > 1) throw malformed('query flag')
      m = has === 1 ? { type: 'query', reqId, height: h, block: readBlock(r) } : { type: 'query', reqId, height: h }
      break
    }
    case REPLY: {
      const reqId = r.u32()
      const h = height()
      const has = r.u8()
      if (has > 1) throw malformed('reply flag')
      m = has === 1 ? { type: 'reply', reqId, height: h, vote: toHex(r.bytes(32)) } : { type: 'reply', reqId, height: h }
      break
    }
    case GET:
      m = { type: 'get', id: toHex(r.bytes(32)) }
      break
    case STATUS:
      m = { type: 'status', reqId: r.u32() }
      break
    case STATUS_REPLY:
      m = { type: 'statusReply', reqId: r.u32(), height: height() }
      break
    case RANGE:
      m = { type: 'range', reqId: r.u32(), from: height(), count: r.u32() }
      break
    case RANGE_REPLY: {
      const reqId = r.u32()
      const n = r.u32()
      if (n > MAX_RANGE) throw malformed(`range reply of ${n} blocks`)
      const blocks: NetBlock[] = []
      for (let i = 0; i < n; i++) blocks.push(readBlock(r))
      m = { type: 'rangeReply', reqId, blocks }
      break
    }
    default:
      throw malformed(`unknown consensus message type ${type}`)
  }
  r.end()
  return m
}
