// The Snowman engine driven by hand: a scripted network around one node.
import { describe, expect, it } from 'vitest'
import { seededRandomInt, SnowmanEngine, ValidatorSet, type ConsensusMessage } from '../../../consensus/index.js'
import { GENESIS, SimChain, SimClock, type SimBlock } from '../../sim/harness.js'

describe('the Snowman engine', () => {
  it('a node that hears of a later block while its start-up sync runs still polls when the sync ends', () => {
    const clock = new SimClock()
    const ids = ['a', 'b', 'c', 'd']
    const validators = new ValidatorSet(ids.map((id) => ({ id, stake: 1n })))
    const sent: { to: string; msg: ConsensusMessage<SimBlock> }[] = []
    const engine = new SnowmanEngine<SimBlock>({
      self: 'a',
      validators,
      params: { k: 4, alphaPreference: 3, alphaConfidence: 3, beta: 2 },
      chain: new SimChain(GENESIS, 'a'),
      transport: { send: (to, msg) => void sent.push({ to, msg }), broadcast: () => undefined },
      clock,
      randomInt: seededRandomInt('engine'),
      timing: { queryTimeout: 100, idleCheck: 10_000 },
    })
    engine.start()
    // the start-up sync asks for status; before any answer, a block for height 2 arrives
    expect(sent.some((s) => s.msg.type === 'status')).toBe(true)
    const b1: SimBlock = { id: '1:b:0', height: 1, parentId: GENESIS.id, proposer: 'b', timestamp: 400, valid: true }
    engine.handle('b', { type: 'propose', block: { ...b1, id: '2:b:0', height: 2, parentId: b1.id, timestamp: 800 } })
    // the sync times out (peers one block ahead are not worth a range): polling must start
    sent.length = 0
    clock.run(150)
    expect(sent.filter((s) => s.msg.type === 'query').length).toBeGreaterThan(0)
  })
})
