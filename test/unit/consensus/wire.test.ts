import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isParsError } from '../../../common/index.js'
import {
  consensusFromGenesis,
  decodeConsensusMessage,
  encodeConsensusMessage,
  generateValidatorKey,
  signBlock,
  verifyBlockSignature,
  type ConsensusMessage,
  type NetBlock,
} from '../../../consensus/index.js'
import { toHex } from '../../../common/index.js'

const block: NetBlock = {
  id: '0x' + '11'.repeat(32),
  height: 7,
  parentId: '0x' + '22'.repeat(32),
  proposer: '12D3KooWFozBXp92E7MDoJYyu3KZbphJtbaz5Rk2ek7W1Q3n1abs',
  timestamp: 1_800_000_000_123,
  rlp: Uint8Array.of(0xc0, 1, 2, 3),
  signature: new Uint8Array(100).fill(9),
}

describe('the consensus wire format', () => {
  it('round-trips every message type', () => {
    for (const m of [
      { type: 'propose', block },
      { type: 'block', block },
      { type: 'query', reqId: 5, height: 7, block },
      { type: 'query', reqId: 6, height: 8 },
      { type: 'reply', reqId: 5, height: 7, vote: block.id },
      { type: 'reply', reqId: 6, height: 8 },
      { type: 'get', id: block.id },
      { type: 'status', reqId: 9 },
      { type: 'statusReply', reqId: 9, height: 1234 },
      { type: 'range', reqId: 10, from: 5, count: 64 },
      { type: 'rangeReply', reqId: 10, blocks: [block, { ...block, height: 8 }] },
      { type: 'rangeReply', reqId: 11, blocks: [] },
    ] as ConsensusMessage<NetBlock>[]) {
      expect(decodeConsensusMessage(encodeConsensusMessage(m))).toEqual(m)
    }
  })

  it('refuses anything malformed with a typed error, never anything else (fuzz)', () => {
    const valid = encodeConsensusMessage({ type: 'query', reqId: 5, height: 7, block })
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 400 }),
          fc.tuple(fc.nat(), fc.nat(255)).map(([at, x]) => {
            const b = Uint8Array.from(valid)
            b[at % b.length] ^= x
            return b.subarray(0, b.length - (at % 3))
          }),
        ),
        (bytes) => {
          try {
            decodeConsensusMessage(bytes)
          } catch (e) {
            expect(isParsError(e)).toBe(true)
          }
        },
      ),
      { numRuns: 500, seed: 3 },
    )
  })
})

describe('validator keys and the genesis validator set', () => {
  const { key } = generateValidatorKey()
  const pub = { mldsa: key.mldsa.publicKey, ed25519: key.ed25519.publicKey }

  it('a block signature covers chain id, hash, height and timestamp, and needs both schemes', () => {
    const hash = new Uint8Array(32).fill(4)
    const sig = signBlock(key, 6133n, hash, 9, 1000)
    expect(verifyBlockSignature(pub, 6133n, hash, 9, 1000, sig)).toBe(true)
    expect(verifyBlockSignature(pub, 6134n, hash, 9, 1000, sig)).toBe(false)
    expect(verifyBlockSignature(pub, 6133n, hash, 10, 1000, sig)).toBe(false)
    expect(verifyBlockSignature(pub, 6133n, hash, 9, 1001, sig)).toBe(false)
    const broken = Uint8Array.from(sig)
    broken[broken.length - 1] ^= 1 // the Ed25519 half
    expect(verifyBlockSignature(pub, 6133n, hash, 9, 1000, broken)).toBe(false)
  })

  it('reads config.pars from a genesis, caps k at the validator count, and refuses bad sets', () => {
    const v = {
      peerId: '12D3KooWFozBXp92E7MDoJYyu3KZbphJtbaz5Rk2ek7W1Q3n1abs',
      address: '0x' + '01'.repeat(20),
      stake: '10',
      ed25519: toHex(pub.ed25519),
      mldsa65: toHex(pub.mldsa),
    }
    const c = consensusFromGenesis({ config: { pars: { validators: [v], consensus: { beta: 5 } } } })!
    expect(c.params).toEqual({ k: 1, alphaPreference: 1, alphaConfidence: 1, beta: 5 })
    expect(c.set.total).toBe(10n)
    expect(consensusFromGenesis({ config: {} })).toBeUndefined()
    expect(() => consensusFromGenesis({ config: { pars: { validators: [] } } })).toThrow(/non-empty/)
    expect(() => consensusFromGenesis({ config: { pars: { validators: [{ ...v, mldsa65: '0x00' }] } } })).toThrow(/mldsa65/)
    expect(() => consensusFromGenesis({ config: { pars: { validators: [v, v] } } })).toThrow(/twice/)
    expect(() =>
      consensusFromGenesis({ config: { pars: { validators: [v], consensus: { k: 20, alphaPreference: 11, alphaConfidence: 11 } } } }),
    ).toThrow(/floor/)
  })
})
