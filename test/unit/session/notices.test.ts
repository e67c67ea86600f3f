// Notices (relay outcomes and contract events in a Session ID's swarm), the relay requests of the service
// protocol, and the off-chain check of a signed contract action: what the bridge's session side relies on.
import { describe, expect, it } from 'vitest'
import { openMemoryDb } from '../../../common/index.js'
import {
  decodeNotice,
  decodeRequest,
  decodeResponse,
  encodeNotice,
  encodeRequest,
  encodeResponse,
  generatePrekey,
  NOTICE_NAMESPACE,
  noticeId,
  NOTICES_SESSION,
  noticeText,
  onionRequest,
  SessionDaemon,
  signOwner,
  signTriggerAction,
  verifyTriggerAction,
  type Notice,
  type ServiceRequest,
  type ServiceResponse,
} from '../../../session/index.js'
import { alice, bob, codeOf, PHRASE_B } from './helpers.js'
import { network } from './net.js'

const relayNotice: Notice = {
  kind: 'relay',
  chainId: '6133',
  target: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
  nonce: '0',
  txHash: `0x${'ab'.repeat(32)}`,
  status: 'success',
  block: '12',
}
const chainNotice: Notice = {
  kind: 'chain',
  chainId: '6133',
  contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
  txHash: `0x${'cd'.repeat(32)}`,
  block: '12',
  logIndex: 1,
  message: 'SessionCounter: number is 1',
}
const bytes = (s: string): Uint8Array => Uint8Array.of(1, ...new TextEncoder().encode(s))

describe('notices', () => {
  it('round-trip; text and identity are what the daemon shows and deduplicates by', () => {
    expect(decodeNotice(encodeNotice(relayNotice))).toEqual(relayNotice)
    expect(decodeNotice(encodeNotice(chainNotice))).toEqual(chainNotice)
    expect(noticeText(relayNotice)).toBe(`relayed action 0 to ${relayNotice.target}: ${relayNotice.txHash} success in block 12`)
    expect(noticeText(chainNotice)).toBe(`${chainNotice.contract} (block 12): SessionCounter: number is 1`)
    expect(noticeId(chainNotice)).toBe(noticeId({ ...chainNotice, message: 'other text' }))
    expect(noticeId(chainNotice)).not.toBe(noticeId({ ...chainNotice, logIndex: 2 }))
  })

  it('anything else is MALFORMED: another version, not JSON, a field of the wrong shape, an unknown kind', () => {
    expect(codeOf(() => decodeNotice(new Uint8Array(0)))).toBe('MALFORMED')
    expect(codeOf(() => decodeNotice(Uint8Array.of(2, 123, 125)))).toBe('MALFORMED')
    expect(codeOf(() => decodeNotice(bytes('{not json')))).toBe('MALFORMED')
    expect(codeOf(() => decodeNotice(bytes(JSON.stringify({ ...relayNotice, txHash: '0x12' }))))).toBe('MALFORMED')
    expect(codeOf(() => decodeNotice(bytes(JSON.stringify({ ...relayNotice, status: 'maybe' }))))).toBe('MALFORMED')
    expect(codeOf(() => decodeNotice(bytes(JSON.stringify({ ...chainNotice, logIndex: 'x' }))))).toBe('MALFORMED')
    expect(codeOf(() => decodeNotice(bytes(JSON.stringify({ ...chainNotice, kind: 'gossip' }))))).toBe('MALFORMED')
    expect(codeOf(() => decodeNotice(bytes('null')))).toBe('MALFORMED')
    // a long text is cut, not refused
    expect((decodeNotice(encodeNotice({ ...chainNotice, message: 'x'.repeat(5000) })) as { message: string }).message).toHaveLength(1024)
  })
})

describe('relay requests in the service codec', () => {
  it('round-trip, and a node without a relay answers NO_RELAY', async () => {
    const qs: ServiceRequest[] = [
      { type: 'notice', recipient: bob.sessionId, timestamp: 1_700_000_000_000, ttl: 60_000, data: encodeNotice(chainNotice) },
      { type: 'relayQuote', recipient: alice.sessionId, target: '0x5fbdb2315678afecb367f032d93f642f64180aa3' },
      { type: 'relay', recipient: alice.sessionId, action: Uint8Array.of(1, 2), signature: Uint8Array.of(3), publicKey: Uint8Array.of(4) },
    ]
    for (const q of qs) expect(decodeRequest(encodeRequest(q))).toEqual(q)
    const as: ServiceResponse[] = [
      { type: 'relayQuote', relayer: `0x${'11'.repeat(20)}`, chainId: 6133n, nonce: 2n ** 200n + 7n },
      { type: 'relayQuote', relayer: `0x${'11'.repeat(20)}`, chainId: 1n, nonce: 0n },
      { type: 'relayed', txHash: `0x${'ef'.repeat(32)}` },
    ]
    for (const a of as) expect(decodeResponse(encodeResponse(a))).toEqual(a)
    const net = await network(3)
    const r = await onionRequest(net.client, net.hops, { type: 'relayQuote', recipient: alice.sessionId, target: relayNotice.target })
    expect(r).toMatchObject({ type: 'error', code: 'NO_RELAY' })
  })
})

describe('notices in the swarm and the daemon', () => {
  it('a service node stores a notice in every member; clients cannot write the namespace; the owner reads it', async () => {
    const net = await network(7)
    const members = net.swarms.nodesFor(bob.sessionId)
    const relayNode = net.nodes.get(net.ids.find((id) => !members.includes(id)) ?? net.ids[0]!)!
    const now = Date.now()
    expect(await relayNode.sendNotice(bob.sessionId, encodeNotice(relayNotice), now, 60_000)).toBe(members.length)
    // a client storing into the notice namespace directly is refused
    const store = await onionRequest(net.client, [net.hops[0]!, net.hops[1]!, net.hops.find((h) => h.peerId === members[0])!], {
      type: 'store',
      recipient: bob.sessionId,
      namespace: NOTICE_NAMESPACE,
      timestamp: now,
      ttl: 60_000,
      data: encodeNotice(chainNotice),
    })
    expect(store).toMatchObject({ type: 'error', code: 'MALFORMED' })
    // and so is a 'notice' request from a client (only service nodes send them)
    const member = net.nodes.get(members[0]!)!
    const forged = encodeRequest({ type: 'notice', recipient: bob.sessionId, timestamp: now, ttl: 60_000, data: encodeNotice(chainNotice) })
    expect(decodeResponse(await member.handle(forged, 'client'))).toMatchObject({ type: 'error', code: 'BAD_SIGNATURE' })
    expect(decodeResponse(await member.handle(forged, undefined))).toMatchObject({ type: 'error', code: 'BAD_SIGNATURE' })
    // only the owner retrieves
    const read = (auth: ReturnType<typeof signOwner>) =>
      onionRequest(net.client, [net.hops[2]!, net.hops.find((h) => h.peerId === members[1])!], {
        type: 'retrieve',
        recipient: bob.sessionId,
        namespace: NOTICE_NAMESPACE,
        limit: 10,
        auth,
      })
    expect(await read(signOwner(alice.mldsa, 'retrieve', NOTICE_NAMESPACE, Date.now()))).toMatchObject({
      type: 'error',
      code: 'BAD_SIGNATURE',
    })
    const got = await read(signOwner(bob.mldsa, 'retrieve', NOTICE_NAMESPACE, Date.now()))
    expect(got.type === 'messages' && got.messages.map((m) => decodeNotice(m.data))).toEqual([relayNotice])

    // Bob's daemon shows it once in the notices conversation (both lanes' members hold it), read-only
    const d = new SessionDaemon({
      kv: await openMemoryDb(),
      transport: net.client,
      hops: () => net.hops,
      identity: { identity: bob, phrase: PHRASE_B, createdAt: 0, prekeys: [generatePrekey(1, Math.floor(Date.now() / 1000))] },
      pollMs: 3_600_000,
    })
    await d.start()
    expect(await d.poll()).toBe(1)
    expect(await d.poll()).toBe(0)
    const shown = d.getMessages(NOTICES_SESSION)
    expect(shown).toHaveLength(1)
    expect(shown[0]).toMatchObject({ direction: 'in', text: noticeText(relayNotice), notice: relayNotice })
    expect(d.getSessions().map((s) => s.peer)).toEqual([NOTICES_SESSION])
    await expect(d.sendMessage(NOTICES_SESSION, 'hello?')).rejects.toMatchObject({ code: 'MALFORMED' })
    // a daemon that does not know its chain signs no actions
    await expect(d.trigger({ target: relayNotice.target, callData: '0xd09de08a' })).rejects.toMatchObject({ code: 'NO_RELAY' })
    await d.stop()
  })
})

describe('a signed contract action, checked off chain as the contract will', () => {
  const action = {
    chainId: 6133n,
    target: relayNotice.target as `0x${string}`,
    nonce: 3n,
    expiry: 2_000_000_000n,
    callData: '0xd09de08a' as const,
  }

  it('verifies and decodes to what was signed', () => {
    const signed = signTriggerAction(alice, action)
    expect(verifyTriggerAction(signed)).toEqual({ ...action, target: action.target, sessionId: alice.sessionId })
  })

  it('a flipped signature bit, another key, or bytes that are not an action are refused', () => {
    const signed = signTriggerAction(alice, action)
    const flipped =
      `${signed.mldsaSignature.slice(0, 10)}${signed.mldsaSignature[10] === '0' ? '1' : '0'}${signed.mldsaSignature.slice(11)}` as `0x${string}`
    expect(codeOf(() => verifyTriggerAction({ ...signed, mldsaSignature: flipped }))).toBe('BAD_SIGNATURE')
    const bobs = signTriggerAction(bob, action)
    expect(codeOf(() => verifyTriggerAction({ ...bobs, sessionMessage: signed.sessionMessage }))).toBe('BAD_SIGNATURE')
    expect(codeOf(() => verifyTriggerAction({ ...signed, mldsaPublicKey: '0x1234' }))).toBe('BAD_SIGNATURE')
    expect(codeOf(() => verifyTriggerAction({ ...signed, sessionMessage: '0x1234' }))).toBe('MALFORMED')
    // another domain
    const other = `${signed.sessionMessage.slice(0, 2)}${'00'.repeat(32)}${signed.sessionMessage.slice(66)}` as `0x${string}`
    expect(codeOf(() => verifyTriggerAction({ ...signed, sessionMessage: other }))).toBe('MALFORMED')
  })
})
