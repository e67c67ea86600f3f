import { Common, Mainnet, createCommonFromGethGenesis } from '@ethereumjs/common'
import { createTx, createTxFromRLP, type TypedTransaction, type TypedTxData } from '@ethereumjs/tx'
import { beforeEach, describe, expect, it } from 'vitest'
import { ParsError, toHex } from '../../../../common/index.js'
import { TX_GAS_LIMIT_CAP, type Chain, type TxPool, type TxPoolErrorReason } from '../../../../evm/index.js'
import { ACCOUNTS, ETHER, FUNDED, GWEI, RECIPIENT, mine, openTestChain, poolFor, signTx, testGenesis } from '../../helpers/chain.js'

const [A, B, C, D] = ACCOUNTS as [(typeof ACCOUNTS)[0], (typeof ACCOUNTS)[0], (typeof ACCOUNTS)[0], (typeof ACCOUNTS)[0]]

/** The pool's rejection of `tx`: its reason and message. */
async function rejection(pool: TxPool, tx: TypedTransaction): Promise<{ reason: TxPoolErrorReason; message: string }> {
  try {
    await pool.add(tx)
  } catch (e) {
    expect(e).toBeInstanceOf(ParsError)
    const err = e as ParsError<{ code: 'TX_REJECTED'; reason: TxPoolErrorReason }>
    expect(err.code).toBe('TX_REJECTED')
    return { reason: err.type.reason, message: err.message }
  }
  throw new Error('the pool accepted the transaction')
}

const hashes = (txs: readonly TypedTransaction[]): string[] => txs.map((t) => toHex(t.hash()))

describe('TxPool', () => {
  let chain: Chain
  let pool: TxPool
  // the pool judges fees against the base fee of the NEXT block: 7/8 of genesis' 1 gwei (empty genesis)
  const nextBaseFee = 875_000_000n

  beforeEach(async () => {
    ;({ chain } = await openTestChain())
    pool = poolFor(chain)
    expect(chain.nextBaseFee()).toBe(nextBaseFee)
  })

  describe('accepts', () => {
    it('a valid EIP-1559 transaction, returns its hash, emits "added" and makes it pending', async () => {
      const tx = signTx(chain.common, A)
      const added: TypedTransaction[] = []
      pool.on('added', (t) => added.push(t))
      const hash = await pool.add(tx)
      expect(toHex(hash)).toBe(toHex(tx.hash()))
      expect(added).toEqual([tx])
      expect(pool.getByHash(hash)).toBe(tx)
      expect(pool.getByHash(toHex(hash).toUpperCase().replace('0X', '0x'))).toBe(tx)
      expect(pool.size).toBe(1)
      expect(pool.status()).toEqual({ pending: 1, queued: 0 })
      expect(pool.hasPending()).toBe(true)
    })

    it('an EIP-155 legacy transaction and an EIP-2930 one for this chain', async () => {
      await pool.add(signTx(chain.common, A, { type: 0, nonce: 0n }))
      await pool.add(signTx(chain.common, A, { type: 1, nonce: 1n }))
      expect(pool.status()).toEqual({ pending: 2, queued: 0 })
    })
  })

  describe('rejects', () => {
    it('a transaction it already has: "already known"', async () => {
      const tx = signTx(chain.common, A)
      await pool.add(tx)
      expect(await rejection(pool, tx)).toEqual({ reason: 'ALREADY_KNOWN', message: 'already known' })
      expect(pool.size).toBe(1)
    })

    it('a nonce the account has already used: "nonce too low"', async () => {
      await mine(chain, [signTx(chain.common, A, { nonce: 0n }), signTx(chain.common, A, { nonce: 1n })])
      const r = await rejection(pool, signTx(chain.common, A, { nonce: 1n }))
      expect(r).toEqual({ reason: 'NONCE_TOO_LOW', message: 'nonce too low: next nonce 2, tx nonce 1' })
    })

    it('a nonce too far ahead of the account: "nonce too high"', async () => {
      pool = poolFor(chain, { maxNonceGap: 4 })
      const r = await rejection(pool, signTx(chain.common, A, { nonce: 5n }))
      expect(r).toEqual({ reason: 'NONCE_TOO_HIGH', message: 'nonce too high: next nonce 0, tx nonce 5' })
      // the edge of the allowed gap is fine (and waits in the queue)
      await pool.add(signTx(chain.common, A, { nonce: 4n }))
      expect(pool.status()).toEqual({ pending: 0, queued: 1 })
    })

    it('a transaction the sender cannot pay for: "insufficient funds"', async () => {
      const tx = signTx(chain.common, A, { value: FUNDED })
      const want = FUNDED + 21_000n * 2n * GWEI
      const r = await rejection(pool, tx)
      expect(r).toEqual({
        reason: 'INSUFFICIENT_FUNDS',
        message: `insufficient funds for gas * price + value: address ${A.hex} have ${FUNDED} want ${want}`,
      })
    })

    it('a transaction the sender can pay for alone but not together with its earlier pending ones', async () => {
      const first = signTx(chain.common, A, { nonce: 0n, value: 60n * ETHER })
      await pool.add(first)
      const second = signTx(chain.common, A, { nonce: 1n, value: 50n * ETHER })
      const r = await rejection(pool, second)
      expect(r.reason).toBe('INSUFFICIENT_FUNDS')
      const cost = 21_000n * 2n * GWEI
      expect(r.message).toBe(`insufficient funds for gas * price + value: address ${A.hex} have ${FUNDED} want ${110n * ETHER + 2n * cost}`)
      // the same amount from another sender is fine: balances are per sender
      await pool.add(signTx(chain.common, B, { nonce: 0n, value: 50n * ETHER }))
      // and a later nonce does not count against an earlier one
      const poolB = poolFor(chain)
      await poolB.add(signTx(chain.common, A, { nonce: 1n, value: 60n * ETHER }))
      await poolB.add(signTx(chain.common, A, { nonce: 0n, value: 39n * ETHER }))
    })

    it('a typed transaction for another chain: "invalid chain id"', async () => {
      const mainnet = new Common({ chain: Mainnet, hardfork: 'prague' })
      const tx = signTx(mainnet, A)
      expect(await rejection(pool, tx)).toEqual({ reason: 'WRONG_CHAIN', message: 'invalid chain id: have 1, want 6133' })
    })

    it('an EIP-155 legacy transaction for another chain: "invalid chain id"', async () => {
      const mainnet = new Common({ chain: Mainnet, hardfork: 'prague' })
      const tx = signTx(mainnet, A, { type: 0 })
      expect((tx as unknown as { v: bigint }).v).toBeGreaterThanOrEqual(37n) // chain 1: v = 37 or 38
      expect(await rejection(pool, tx)).toEqual({ reason: 'WRONG_CHAIN', message: 'invalid chain id: have 1, want 6133' })
    })

    it('a legacy transaction without replay protection, unless configured to allow it', async () => {
      // signed the pre-EIP-155 way (v = 27/28), then decoded from the wire as eth_sendRawTransaction does
      const old = chain.common.copy()
      old.setHardfork('tangerineWhistle')
      const raw = signTx(old, A, { type: 0 }).serialize()
      const tx = createTxFromRLP(raw, { common: chain.common })
      expect((tx as unknown as { v: bigint }).v).toBeLessThanOrEqual(28n)
      expect(await rejection(pool, tx)).toEqual({
        reason: 'NOT_REPLAY_PROTECTED',
        message: 'only replay-protected (EIP-155) transactions allowed over RPC',
      })
      const lenient = poolFor(chain, { requireReplayProtection: false })
      await lenient.add(tx)
      expect(lenient.size).toBe(1)
    })

    it('a gas limit below the intrinsic gas: "intrinsic gas too low"', async () => {
      expect(await rejection(pool, signTx(chain.common, A, { gasLimit: 20_999n }))).toEqual({
        reason: 'INTRINSIC_GAS',
        message: 'intrinsic gas too low: gas 20999, minimum needed 21000',
      })
      // calldata costs gas too: 21,000 is not enough for a transfer carrying data
      const withData = signTx(chain.common, A, { gasLimit: 21_000n, data: new Uint8Array(64).fill(0xff) })
      const r = await rejection(pool, withData)
      expect(r.reason).toBe('INTRINSIC_GAS')
      const needed = BigInt(/minimum needed (\d+)$/.exec(r.message)![1]!)
      expect(needed).toBeGreaterThan(21_000n)
      await pool.add(signTx(chain.common, A, { gasLimit: needed, data: new Uint8Array(64).fill(0xff) }))
    })

    it('a gas limit above the EIP-7825 per-transaction cap (2^24)', async () => {
      expect(TX_GAS_LIMIT_CAP).toBe(2n ** 24n)
      // EthereumJS will not even build such a transaction at Osaka; built under Prague rules it exists,
      // and the pool (which follows the chain's rules, not the transaction object's) refuses it
      const prague = chain.common.copy()
      prague.setHardfork('prague')
      const r = await rejection(pool, signTx(prague, A, { gasLimit: TX_GAS_LIMIT_CAP + 1n }))
      expect(r).toEqual({ reason: 'GAS_LIMIT', message: `transaction gas limit too high (cap: 16777216, tx: 16777217)` })
      await pool.add(signTx(chain.common, A, { gasLimit: TX_GAS_LIMIT_CAP }))
    })

    it('a gas limit above the block gas limit', async () => {
      const { chain: small } = await openTestChain({ genesis: testGenesis({ gasLimit: 10_000_000n }) })
      const smallPool = poolFor(small)
      const r = await rejection(smallPool, signTx(small.common, A, { gasLimit: 10_000_001n }))
      expect(r).toEqual({ reason: 'GAS_LIMIT', message: 'exceeds block gas limit: gas 10000001, limit 10000000' })
      await smallPool.add(signTx(small.common, A, { gasLimit: 10_000_000n }))
    })

    it('a fee cap below the next block base fee', async () => {
      const tx = signTx(chain.common, A, { maxFeePerGas: nextBaseFee - 1n, maxPriorityFeePerGas: 1n })
      expect(await rejection(pool, tx)).toEqual({
        reason: 'FEE_TOO_LOW',
        message: `max fee per gas less than block base fee: address ${A.hex}, maxFeePerGas: ${nextBaseFee - 1n}, baseFee: ${nextBaseFee}`,
      })
      const legacy = signTx(chain.common, A, { type: 0, gasPrice: nextBaseFee - 1n })
      expect((await rejection(pool, legacy)).reason).toBe('FEE_TOO_LOW')
      // exactly the base fee is enough
      await pool.add(signTx(chain.common, A, { maxFeePerGas: nextBaseFee, maxPriorityFeePerGas: 0n }))
    })

    it('a priority fee above the fee cap', async () => {
      // EthereumJS refuses to build such a transaction, so decoding one from the wire fails first; the
      // pool still refuses it if a transaction object ever carries it (here: fields changed after signing)
      const tx = createTx(
        {
          type: 2,
          to: RECIPIENT,
          gasLimit: 21_000n,
          maxFeePerGas: 2n * GWEI,
          maxPriorityFeePerGas: GWEI,
          chainId: chain.chainId,
        } as TypedTxData,
        { common: chain.common, freeze: false },
      ).sign(A.privateKey)
      ;(tx as unknown as { maxPriorityFeePerGas: bigint }).maxPriorityFeePerGas = 3n * GWEI
      expect(await rejection(pool, tx)).toEqual({
        reason: 'TIP_ABOVE_FEE',
        message: `max priority fee per gas higher than max fee per gas: maxPriorityFeePerGas: ${3n * GWEI}, maxFeePerGas: ${2n * GWEI}`,
      })
    })

    it('a blob transaction', async () => {
      // a Common with a (never called) KZG backend, so EthereumJS lets us build the blob transaction
      const common = createCommonFromGethGenesis(testGenesis(), { chain: 'pars', customCrypto: { kzg: {} as never } })
      const tx = createTx(
        {
          type: 3,
          to: RECIPIENT,
          gasLimit: 21_000n,
          maxFeePerGas: 2n * GWEI,
          maxPriorityFeePerGas: GWEI,
          maxFeePerBlobGas: 1n,
          blobVersionedHashes: [`0x01${'00'.repeat(31)}`],
          chainId: chain.chainId,
        } as TypedTxData,
        { common },
      ).sign(A.privateKey)
      expect(await rejection(pool, tx)).toEqual({
        reason: 'UNSUPPORTED_TYPE',
        message: 'transaction type not supported: blob transactions (type 3) are not accepted by this node',
      })
    })

    it('a signature that recovers no sender', async () => {
      const good = signTx(chain.common, A)
      const forged = createTx({ ...good.toJSON(), type: 2, r: 0n } as TypedTxData, { common: chain.common })
      expect(await rejection(pool, forged)).toEqual({
        reason: 'INVALID_SENDER',
        message: 'invalid sender: the signature does not recover a sender',
      })
    })

    it('a transaction larger than the size limit', async () => {
      const small = poolFor(chain, { maxTxSize: 200 })
      const big = signTx(chain.common, A, { gasLimit: 100_000n, data: new Uint8Array(300) })
      expect(await rejection(small, big)).toEqual({
        reason: 'OVERSIZED',
        message: `oversized data: transaction size ${big.serialize().length}, limit 200`,
      })
      await small.add(signTx(chain.common, A))
    })

    it('more transactions from one sender than its cap: "account limit exceeded"', async () => {
      pool = poolFor(chain, { maxPerSender: 2 })
      await pool.add(signTx(chain.common, A, { nonce: 0n }))
      await pool.add(signTx(chain.common, A, { nonce: 1n }))
      expect(await rejection(pool, signTx(chain.common, A, { nonce: 2n }))).toEqual({
        reason: 'SENDER_FULL',
        message: `account limit exceeded: ${A.hex} has 2 transactions in the pool`,
      })
      // others are unaffected, and the full sender may still replace one of its transactions
      await pool.add(signTx(chain.common, B, { nonce: 0n }))
      await pool.add(signTx(chain.common, A, { nonce: 1n, maxFeePerGas: 3n * GWEI, maxPriorityFeePerGas: 2n * GWEI }))
      expect(pool.size).toBe(3)
    })

    it('any new transaction once the pool is full: "txpool is full"', async () => {
      pool = poolFor(chain, { maxTotal: 2 })
      await pool.add(signTx(chain.common, A))
      await pool.add(signTx(chain.common, B))
      expect(await rejection(pool, signTx(chain.common, C))).toEqual({ reason: 'POOL_FULL', message: 'txpool is full' })
      expect(pool.size).toBe(2)
    })
  })

  describe('replacement', () => {
    const original = { nonce: 0n, maxFeePerGas: 20n * GWEI, maxPriorityFeePerGas: 10n * GWEI }

    it('needs both fee fields raised by 10%', async () => {
      const first = signTx(chain.common, A, original)
      await pool.add(first)
      const cases = [
        { maxFeePerGas: 22n * GWEI, maxPriorityFeePerGas: 10n * GWEI }, // tip not raised
        { maxFeePerGas: 20n * GWEI, maxPriorityFeePerGas: 11n * GWEI }, // fee cap not raised
        { maxFeePerGas: 22n * GWEI - 1n, maxPriorityFeePerGas: 11n * GWEI }, // fee cap 1 wei short of +10%
        { maxFeePerGas: 22n * GWEI, maxPriorityFeePerGas: 11n * GWEI - 1n }, // tip 1 wei short of +10%
      ]
      for (const fees of cases) {
        const r = await rejection(pool, signTx(chain.common, A, { ...original, ...fees }))
        expect(r).toEqual({ reason: 'REPLACEMENT_UNDERPRICED', message: 'replacement transaction underpriced' })
      }
      expect(pool.getByHash(first.hash())).toBe(first)
      expect(pool.size).toBe(1)
    })

    it('raised by exactly 10% replaces the old transaction', async () => {
      const first = signTx(chain.common, A, original)
      await pool.add(first)
      const second = signTx(chain.common, A, { ...original, maxFeePerGas: 22n * GWEI, maxPriorityFeePerGas: 11n * GWEI, value: 2n })
      await pool.add(second)
      expect(pool.getByHash(first.hash())).toBeUndefined()
      expect(pool.getByHash(second.hash())).toBe(second)
      expect(pool.size).toBe(1)
      expect(hashes(pool.content().pending.get(A.hex)!)).toEqual(hashes([second]))
      expect(hashes(pool.allPending(nextBaseFee))).toEqual(hashes([second]))
    })
  })

  describe('ordering', () => {
    it("takes a sender's transactions in nonce order, even when a later one pays more", async () => {
      const tx1 = signTx(chain.common, A, { nonce: 1n, maxFeePerGas: 50n * GWEI, maxPriorityFeePerGas: 40n * GWEI })
      const tx0 = signTx(chain.common, A, { nonce: 0n, maxFeePerGas: 2n * GWEI, maxPriorityFeePerGas: 1n * GWEI })
      const tx2 = signTx(chain.common, A, { nonce: 2n })
      for (const tx of [tx2, tx1, tx0]) await pool.add(tx)
      expect(hashes(pool.allPending(nextBaseFee))).toEqual(hashes([tx0, tx1, tx2]))
    })

    it('across senders, the best effective tip first (capped by the fee cap)', async () => {
      const base = nextBaseFee
      // effective tip = min(tip, feeCap - baseFee)
      const a0 = signTx(chain.common, A, { nonce: 0n, maxFeePerGas: 10n * GWEI, maxPriorityFeePerGas: 1n * GWEI }) // 1 gwei
      const a1 = signTx(chain.common, A, { nonce: 1n, maxFeePerGas: 10n * GWEI, maxPriorityFeePerGas: 5n * GWEI }) // 5 gwei, after a0
      const b0 = signTx(chain.common, B, { nonce: 0n, maxFeePerGas: 10n * GWEI, maxPriorityFeePerGas: 3n * GWEI }) // 3 gwei
      const c0 = signTx(chain.common, C, { nonce: 0n, maxFeePerGas: base + 2n * GWEI, maxPriorityFeePerGas: base + 2n * GWEI }) // capped: 2 gwei
      const d0 = signTx(chain.common, D, { type: 0, nonce: 0n, gasPrice: base + 4n * GWEI }) // legacy: 4 gwei
      for (const tx of [a0, a1, b0, c0, d0]) await pool.add(tx)
      expect(hashes(pool.allPending(base))).toEqual(hashes([d0, b0, c0, a0, a1]))
    })

    it('leaves out what the base fee prices out, and everything after it from the same sender', async () => {
      const a0 = signTx(chain.common, A, { nonce: 0n, maxFeePerGas: 1n * GWEI, maxPriorityFeePerGas: 1n })
      const a1 = signTx(chain.common, A, { nonce: 1n, maxFeePerGas: 5n * GWEI, maxPriorityFeePerGas: 1n * GWEI })
      const b0 = signTx(chain.common, B, { nonce: 0n, maxFeePerGas: 5n * GWEI, maxPriorityFeePerGas: 1n * GWEI })
      for (const tx of [a0, a1, b0]) await pool.add(tx)
      expect(hashes(pool.allPending(nextBaseFee))).toEqual(hashes([b0, a0, a1]))
      // at a base fee of 2 gwei a0 cannot be included, so neither can a1 (its nonce would be a gap)
      expect(hashes(pool.allPending(2n * GWEI))).toEqual(hashes([b0]))
      // both stay in the pool for later
      expect(pool.size).toBe(3)
    })

    it("skip() drops the rest of that sender's run from this iteration only", async () => {
      const a0 = signTx(chain.common, A, { nonce: 0n, maxFeePerGas: 10n * GWEI, maxPriorityFeePerGas: 5n * GWEI })
      const a1 = signTx(chain.common, A, { nonce: 1n, maxFeePerGas: 10n * GWEI, maxPriorityFeePerGas: 1n * GWEI })
      const b0 = signTx(chain.common, B, { nonce: 0n, maxFeePerGas: 10n * GWEI, maxPriorityFeePerGas: 3n * GWEI })
      for (const tx of [a0, a1, b0]) await pool.add(tx)
      const cands = pool.candidates(nextBaseFee)
      const seen: TypedTransaction[] = []
      for (const tx of cands.txs) {
        seen.push(tx)
        if (tx === a0) cands.skip(tx)
      }
      expect(hashes(seen)).toEqual(hashes([a0, b0]))
      expect(pool.size).toBe(3)
      expect(hashes(pool.allPending(nextBaseFee))).toEqual(hashes([a0, b0, a1]))
    })
  })

  describe('queued transactions', () => {
    it('a future nonce waits in the queue and is promoted when the gap closes', async () => {
      const tx2 = signTx(chain.common, A, { nonce: 2n })
      const tx1 = signTx(chain.common, A, { nonce: 1n })
      await pool.add(tx2)
      await pool.add(tx1)
      expect(pool.status()).toEqual({ pending: 0, queued: 2 })
      expect(pool.hasPending()).toBe(false)
      expect(pool.allPending(nextBaseFee)).toEqual([])
      expect(pool.pendingNonce(A.address)).toBe(0n)
      const content = pool.content()
      expect(content.pending.size).toBe(0)
      expect(hashes(content.queued.get(A.hex)!)).toEqual(hashes([tx1, tx2]))

      const tx0 = signTx(chain.common, A, { nonce: 0n })
      await pool.add(tx0)
      expect(pool.status()).toEqual({ pending: 3, queued: 0 })
      expect(pool.pendingNonce(A.address)).toBe(3n)
      expect(hashes(pool.content().pending.get(A.hex)!)).toEqual(hashes([tx0, tx1, tx2]))
      expect(pool.content().queued.size).toBe(0)
      expect(hashes(pool.allPending(nextBaseFee))).toEqual(hashes([tx0, tx1, tx2]))
    })

    it('a queued transaction is promoted when a block includes the missing nonce', async () => {
      const tx1 = signTx(chain.common, A, { nonce: 1n })
      await pool.add(tx1)
      expect(pool.status()).toEqual({ pending: 0, queued: 1 })
      // nonce 0 arrives in a block the pool never saw (another node's transaction)
      const { block } = await mine(chain, [signTx(chain.common, A, { nonce: 0n })])
      await pool.onNewHead(block.transactions)
      expect(pool.status()).toEqual({ pending: 1, queued: 0 })
      expect(pool.pendingNonce(A.address)).toBe(2n)
      expect(hashes(pool.allPending(chain.nextBaseFee()))).toEqual(hashes([tx1]))
    })
  })

  describe('onNewHead', () => {
    it('removes included transactions and those whose nonce a block used', async () => {
      const a0 = signTx(chain.common, A, { nonce: 0n })
      const a1 = signTx(chain.common, A, { nonce: 1n })
      const b0 = signTx(chain.common, B, { nonce: 0n })
      const c0 = signTx(chain.common, C, { nonce: 0n })
      for (const tx of [a0, a1, b0, c0]) await pool.add(tx)
      // the block holds b0 and ANOTHER transaction of A with nonce 0: a0 can never be included now
      const a0other = signTx(chain.common, A, { nonce: 0n, value: 7n })
      const { block } = await mine(chain, [a0other, b0])
      await pool.onNewHead(block.transactions)
      expect(pool.getByHash(a0.hash())).toBeUndefined()
      expect(pool.getByHash(b0.hash())).toBeUndefined()
      expect(pool.getByHash(a1.hash())).toBe(a1)
      expect(pool.getByHash(c0.hash())).toBe(c0)
      expect(pool.size).toBe(2)
      expect(pool.status()).toEqual({ pending: 2, queued: 0 })
      expect(pool.pendingNonce(A.address)).toBe(2n)
      expect(pool.pendingNonce(B.address)).toBeUndefined()
      // what is left is exactly what the next block can take
      const next = await mine(chain, pool.allPending(chain.nextBaseFee()))
      expect(next.receipts.map((r) => r.status)).toEqual([1, 1])
    })

    it('a dropped transaction is forgotten', async () => {
      const tx = signTx(chain.common, A)
      await pool.add(tx)
      pool.drop(tx)
      expect(pool.size).toBe(0)
      expect(pool.getByHash(tx.hash())).toBeUndefined()
      expect(pool.pendingNonce(A.address)).toBeUndefined()
      await pool.add(tx) // and may be sent again
    })
  })

  it('pendingNonce() counts only the executable run', async () => {
    expect(pool.pendingNonce(A.address)).toBeUndefined()
    await pool.add(signTx(chain.common, A, { nonce: 0n }))
    await pool.add(signTx(chain.common, A, { nonce: 1n }))
    await pool.add(signTx(chain.common, A, { nonce: 3n }))
    expect(pool.pendingNonce(A.address)).toBe(2n)
    expect(pool.status()).toEqual({ pending: 2, queued: 1 })
    const { pending, queued } = pool.content()
    expect(pending.get(A.hex)!.map((t) => t.nonce)).toEqual([0n, 1n])
    expect(queued.get(A.hex)!.map((t) => t.nonce)).toEqual([3n])
  })
})
