import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { Address, privateToAddress } from '@ethereumjs/util'
import { decodeFunctionResult, encodeFunctionData, getAddress, type Hex } from 'viem'
import { errorMessage, fromHex, ParsError, toHex, type Logger } from '../common/index.js'
import { call, estimateGas, type Chain, type TxPool } from '../evm/index.js'
import {
  describeRevert,
  encodeNotice,
  NOTICE_TTL_MS,
  SessionError,
  sessionIdBody,
  TRIGGER_ABI,
  verifyTriggerAction,
  type Notice,
  type RelayStatus,
  type SignedTrigger,
  type TriggerRelay,
} from '../session/index.js'

/**
 * The contract action relay (parsd --relay; docs/bridge.md). A user's daemon sends it a SessionTrigger
 * action through an onion path; the relay checks everything it can before it spends gas, submits the
 * action from its own funded account, and, once the transaction is final (or dropped), stores the
 * outcome as a notice in the user's swarm.
 *
 * Checks, in order (each refusal is RELAY_REFUSED, BAD_SIGNATURE or MALFORMED with the reason):
 *   the action decodes; the chain is this one; the contract is one the relay serves (--relay-targets,
 *   or any); it has not expired (with a margin for inclusion); the key is the claimed ID's and the
 *   signature verifies (off chain, as the contract will); the ID is within its rate; the nonce is the
 *   contract's next one; and the whole call succeeds in a simulation at the head (so what the contract
 *   would refuse costs nothing), within the relay's gas cap.
 * The same action (ID, contract, nonce) sent again while it is pending gets the same transaction hash.
 */
export interface RelayConfig {
  /** the relay account's secp256k1 private key */
  key: Uint8Array
  /** contracts the relay pays for; empty: any that accepts the action */
  targets: readonly string[]
  /** actions a minute one Session ID may have relayed (a token bucket; burst = the same number) */
  perIdPerMinute: number
  /** the most gas one action may use */
  gasCap: bigint
  /** the priority fee the relay pays (the node's suggested tip) */
  tip: bigint
}

export interface RelayComponents {
  chain: Chain
  pool: TxPool
  logger: Logger
  /** store a notice in every member of the swarm of `sessionId` (the node's service node) */
  sendNotice: (sessionId: string, data: Uint8Array, timestamp: number, ttl: number) => Promise<number>
}

/** an action must have this long left when it is submitted (it has to reach a block first) */
const EXPIRY_MARGIN_S = 10n
/** a submitted action that is in no final block after this long is reported dropped */
const DROP_AFTER_MS = 120_000

interface Pending {
  sessionId: string
  target: string
  nonce: bigint
  hash: Uint8Array
  since: number
}

export class ActionRelay implements TriggerRelay {
  readonly address: Uint8Array
  private readonly pending = new Map<string, Pending>()
  private readonly buckets = new Map<string, { tokens: number; at: number }>()
  private readonly targets: Set<string>
  /** one submission at a time: the relay's nonces stay in order */
  private submitting: Promise<unknown> = Promise.resolve()
  private settling: Promise<void> = Promise.resolve()
  private timer: NodeJS.Timeout | undefined
  /** one outcome check at a time (each block, and now and then for drops when no blocks come) */
  private readonly onHead = (): void => {
    this.settling = this.settling
      .then(() => this.settle())
      .catch((e: unknown) => this.c.logger.warn('relay outcome check failed', { error: String(e) }))
  }

  constructor(
    private readonly c: RelayComponents,
    private readonly cfg: RelayConfig,
  ) {
    this.address = privateToAddress(cfg.key)
    this.targets = new Set(cfg.targets.map((t) => t.toLowerCase()))
  }

  start(): void {
    this.c.chain.on('newHead', this.onHead)
    this.timer = setInterval(() => {
      if (this.pending.size > 0) this.onHead()
    }, 10_000)
    this.timer.unref()
    this.c.logger.info('relaying contract actions', {
      account: getAddress(toHex(this.address)),
      targets: this.targets.size === 0 ? 'any' : [...this.targets].join(','),
    })
  }

  async stop(): Promise<void> {
    this.c.chain.off('newHead', this.onHead)
    clearInterval(this.timer)
    await this.settling
  }

  private refuse(message: string): never {
    throw new SessionError('RELAY_REFUSED', message)
  }

  private checkTarget(target: string): void {
    if (this.targets.size > 0 && !this.targets.has(target.toLowerCase()))
      this.refuse(`this relay does not pay for actions on ${getAddress(target)} (it serves ${[...this.targets].join(', ')})`)
  }

  private async nonceOf(sessionId: string, target: string): Promise<bigint> {
    const data = encodeFunctionData({ abi: TRIGGER_ABI, functionName: 'sessionNonces', args: [sessionIdBody(sessionId)] })
    try {
      const out = await call(this.c.chain, this.c.chain.head, { to: fromHex(target), data: fromHex(data) }, undefined, {
        gasCap: 1_000_000n,
      })
      return decodeFunctionResult({ abi: TRIGGER_ABI, functionName: 'sessionNonces', data: toHex(out) as Hex })
    } catch {
      this.refuse(`${getAddress(target)} does not answer sessionNonces: it is not a SessionTrigger contract`)
    }
  }

  async quote(sessionId: string, target: string): Promise<{ relayer: string; chainId: bigint; nonce: bigint }> {
    this.checkTarget(target)
    return { relayer: toHex(this.address), chainId: this.c.chain.chainId, nonce: await this.nonceOf(sessionId, target) }
  }

  /** A token per 60/perIdPerMinute s, at most perIdPerMinute kept. */
  private take(sessionId: string): void {
    const now = Date.now()
    const rate = this.cfg.perIdPerMinute
    const b = this.buckets.get(sessionId) ?? { tokens: rate, at: now }
    b.tokens = Math.min(rate, b.tokens + ((now - b.at) * rate) / 60_000)
    b.at = now
    if (b.tokens < 1) this.refuse(`rate limit: at most ${rate} actions a minute for one Session ID; try again in a few seconds`)
    b.tokens -= 1
    this.buckets.set(sessionId, b)
    if (this.buckets.size > 100_000) this.buckets.delete(this.buckets.keys().next().value!)
  }

  async submit(sessionId: string, signed: SignedTrigger): Promise<{ txHash: string }> {
    const action = verifyTriggerAction(signed)
    if (action.sessionId !== sessionId)
      throw new SessionError('BAD_SIGNATURE', 'the action is signed for another Session ID than the request names')
    if (action.chainId !== this.c.chain.chainId)
      this.refuse(`the action is for chain ${action.chainId}; this relay is on ${this.c.chain.chainId}`)
    this.checkTarget(action.target)
    const now = BigInt(Math.floor(Date.now() / 1000))
    if (action.expiry < now + EXPIRY_MARGIN_S)
      this.refuse(`the action expired (or expires within ${EXPIRY_MARGIN_S} s) at ${action.expiry}`)
    const key = `${sessionId}:${action.target.toLowerCase()}:${action.nonce}`
    const known = this.pending.get(key)
    if (known !== undefined) return { txHash: toHex(known.hash) }
    this.take(sessionId)
    const run = this.submitting.then(() => this.send(key, sessionId, action.target, action.nonce, signed))
    this.submitting = run.catch(() => undefined)
    return run
  }

  private async send(key: string, sessionId: string, target: string, nonce: bigint, signed: SignedTrigger): Promise<{ txHash: string }> {
    const known = this.pending.get(key)
    if (known !== undefined) return { txHash: toHex(known.hash) }
    const expected = await this.nonceOf(sessionId, target)
    if (nonce !== expected) this.refuse(`BadNonce(${expected}, ${nonce}): the contract's next nonce for this Session ID is ${expected}`)
    const chain = this.c.chain
    const data = fromHex(
      encodeFunctionData({
        abi: TRIGGER_ABI,
        functionName: 'executeFromSession',
        args: [signed.sessionMessage, signed.mldsaSignature, signed.mldsaPublicKey],
      }),
    )
    const req = { from: this.address, to: fromHex(target), data }
    let gas: bigint
    try {
      gas = await estimateGas(chain, chain.head, req, undefined, { gasCap: this.cfg.gasCap })
    } catch (e) {
      if (e instanceof ParsError && e.type.code === 'EXECUTION_REVERTED')
        this.refuse(`the contract would refuse it: ${describeRevert((e.type as { data?: string }).data as Hex | undefined)}`)
      this.refuse(`the action does not run within this relay's gas cap (${this.cfg.gasCap}): ${errorMessage(e)}`)
    }
    const account = await chain.reader(chain.head).getAccount(new Address(this.address))
    // after the relay's own pending transactions (submissions run one at a time, so this is the next free one)
    const txNonce = this.c.pool.nextNonce(this.address, account?.nonce ?? 0n)
    const tx = createFeeMarket1559Tx(
      {
        chainId: chain.chainId,
        nonce: txNonce,
        to: new Address(fromHex(target)),
        data,
        // a margin over the estimate: the state may move between the simulation and the block
        gasLimit: (gas * 6n) / 5n + 10_000n,
        maxPriorityFeePerGas: this.cfg.tip,
        maxFeePerGas: chain.nextBaseFee() * 2n + this.cfg.tip,
      },
      { common: chain.common },
    ).sign(this.cfg.key)
    try {
      await this.c.pool.add(tx)
    } catch (e) {
      this.refuse(`the relay could not submit it: ${errorMessage(e)}`)
    }
    const hash = tx.hash()
    this.pending.set(key, { sessionId, target, nonce, hash, since: Date.now() })
    this.c.logger.info('relayed a contract action', { target, sessionId: `${sessionId.slice(0, 10)}…`, nonce, tx: toHex(hash) })
    return { txHash: toHex(hash) }
  }

  /** Report every pending action that is now in a final block, or that was dropped. */
  private async settle(): Promise<void> {
    const chain = this.c.chain
    for (const [key, p] of this.pending) {
      const found = await chain.getTransaction(p.hash)
      let status: RelayStatus | undefined
      let reason: string | undefined
      let block: bigint | undefined
      if (found !== undefined && found.block.header.number <= chain.finalized.header.number) {
        const receipt = (await chain.getReceipts(found.block))?.[found.index]
        status = receipt?.status === 1 ? 'success' : 'reverted'
        if (status === 'reverted') reason = 'reverted in its block (the state moved after the relay simulated it)'
        block = found.block.header.number
      } else if (found === undefined && !this.c.pool.getByHash(p.hash) && Date.now() - p.since > DROP_AFTER_MS) {
        status = 'dropped'
        reason = 'the transaction left the pool without reaching a block'
      }
      if (status === undefined) continue
      this.pending.delete(key)
      const notice: Notice = {
        kind: 'relay',
        chainId: chain.chainId.toString(),
        target: getAddress(p.target),
        nonce: p.nonce.toString(),
        txHash: toHex(p.hash),
        status,
        ...(reason !== undefined ? { reason } : {}),
        ...(block !== undefined ? { block: block.toString() } : {}),
      }
      const held = await this.c.sendNotice(p.sessionId, encodeNotice(notice), Date.now(), NOTICE_TTL_MS)
      this.c.logger.info('relayed action settled', { tx: toHex(p.hash), status, noticeHeldBy: held })
    }
  }
}
