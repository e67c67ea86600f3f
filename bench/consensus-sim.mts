// The simulated half of bench:consensus: 100 validators of test/sim (real engines, virtual clock and
// network), 20 blocks; prints one JSON line with the virtual time per block and the polls per decision.
import { validateSnowParams } from '../consensus/index.js'
import { Simulation } from '../test/sim/harness.js'

const params = validateSnowParams({ k: 20, alphaPreference: 15, alphaConfidence: 15, beta: 20 })
const sim = new Simulation({ seed: 11, validators: 100, params })
const blocks = 20
if (!sim.runUntilHeight(blocks, 120_000)) throw new Error('the simulation did not reach 20 blocks')
if (sim.disagreements().length > 0) throw new Error('the simulation disagreed')
const polls = sim.honest.flatMap((n) => n.engine!.pollsPerDecision)
console.log(
  JSON.stringify({
    k: params.k,
    alpha: params.alphaConfidence,
    beta: params.beta,
    msPerBlock: sim.clock.now() / blocks,
    pollsPerDecision: polls.reduce((a, b) => a + b, 0) / polls.length,
    messagesPerBlock: sim.net.messages / blocks,
  }),
)
