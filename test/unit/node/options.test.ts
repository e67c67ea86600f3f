// parsd and sessiond flags of the bridge: what --dev --session implies, and what is refused with a
// message naming the flag.
import { describe, expect, it } from 'vitest'
import { ParsError } from '../../../common/index.js'
import { parseNodeArgs, parseSessiondArgs } from '../../../node/options.js'

const refusal = (f: () => unknown): string => {
  try {
    f()
  } catch (e) {
    if (e instanceof ParsError) return e.message
    throw e
  }
  throw new Error('not refused')
}

describe('relay and session flags', () => {
  it('--dev --session relays by default (from the last dev account) and listens on loopback only', () => {
    const o = parseNodeArgs(['--dev', '--session', '--datadir', '/tmp/pars-options-test']).options
    expect(o).toMatchObject({ dev: true, session: true, relay: true, p2pAddr: '127.0.0.1', relayRate: 6, relayTargets: [] })
    expect(o.relayKey).toBeUndefined()
    expect(parseNodeArgs(['--datadir', '/tmp/pars-options-test']).options).toMatchObject({ relay: false, p2pAddr: '0.0.0.0' })
  })

  it('a network relay needs its key; targets must be addresses; the dev relay needs the session network', () => {
    expect(refusal(() => parseNodeArgs(['--relay', '--datadir', '/tmp/pars-options-test']))).toMatch(/^--relay: needs --relay-key FILE/)
    expect(
      parseNodeArgs(['--relay', '--relay-key', '/k', '--relay-targets', `0x${'ab'.repeat(20)}, any`, '--datadir', '/tmp/x']).options,
    ).toMatchObject({ relay: true, relayKey: '/k', relayTargets: [`0x${'ab'.repeat(20)}`] })
    expect(refusal(() => parseNodeArgs(['--relay', '--relay-key', '/k', '--relay-targets', '0x12', '--datadir', '/tmp/x']))).toContain(
      '--relay-targets: "0x12" is not a 0x address',
    )
    expect(refusal(() => parseNodeArgs(['--dev', '--relay', '--datadir', '/tmp/x']))).toContain(
      '--relay: the dev relay is reached through the session network',
    )
    expect(refusal(() => parseNodeArgs(['--relay-rate', '0', '--datadir', '/tmp/x']))).toContain('--relay-rate: must be between 1')
  })

  it('sessiond takes --rpc alone (the service nodes come from it), else needs --genesis and --bootstrap', () => {
    expect(parseSessiondArgs(['--rpc', 'http://127.0.0.1:8545'])).toMatchObject({ rpc: 'http://127.0.0.1:8545', bootstrap: [] })
    expect(refusal(() => parseSessiondArgs([]))).toContain('--genesis: sessiond needs')
    expect(refusal(() => parseSessiondArgs(['--genesis', 'g.json']))).toContain('--bootstrap: sessiond needs')
  })
})
