import { verifyMerkleProof } from '@ethereumjs/mpt'
import { RLP } from '@ethereumjs/rlp'
import { Address, KECCAK256_NULL_S, KECCAK256_RLP_S, bytesToBigInt, setLengthLeft } from '@ethereumjs/util'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { decodeFunctionResult, encodeErrorResult, type Abi } from 'viem'
import { beforeAll, describe, expect, it } from 'vitest'
import { ParsError, fromHex, toHex } from '../../../common/index.js'
import {
  call,
  createAccessList,
  estimateGas,
  getProof,
  revertMessage,
  type CallRequest,
  type Chain,
  type StateOverrides,
} from '../../../evm/index.js'
import { ACCOUNTS, ETHER, RECIPIENT, balanceOf, mine, openTestChain } from '../helpers/chain.js'
import { callTx, calldata, compileTestContracts, deploy, type TestContracts } from '../helpers/contracts.js'

const [A] = ACCOUNTS as [(typeof ACCOUNTS)[0]]
const OPTS = { gasCap: 50_000_000n }
/** an address nobody funded */
const POOR = fromHex('0x' + '5a'.repeat(20))
/** an address with no code */
const EMPTY = fromHex('0x' + '6b'.repeat(20))
const SLOT0 = new Uint8Array(32)

const ERROR_ABI: Abi = [{ type: 'error', name: 'Error', inputs: [{ name: 'message', type: 'string' }] }]

async function failure(p: Promise<unknown>): Promise<ParsError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(e).toBeInstanceOf(ParsError)
  return e as ParsError
}

const word = (n: bigint): Uint8Array => setLengthLeft(fromHex(n.toString(16)), 32)

let c: TestContracts

beforeAll(() => {
  c = compileTestContracts()
})

/** A chain with a Store (value 5) and a Relay; each test that mines gets its own. */
async function setup(): Promise<{ chain: Chain; store: Uint8Array; relay: Uint8Array }> {
  const { chain } = await openTestChain()
  const store = await deploy(chain, A, c.Store, 0n)
  const relay = await deploy(chain, A, c.Relay, 1n)
  await mine(chain, [callTx(chain.common, A, store, c.Store, 'set', [5n], { nonce: 2n })])
  return { chain, store, relay }
}

describe('call', () => {
  let chain: Chain
  let store: Uint8Array
  const readValue = async (req: Partial<CallRequest> = {}, overrides?: StateOverrides, block = chain.head): Promise<bigint> => {
    const out = await call(chain, block, { to: store, data: calldata(c.Store, 'value'), ...req }, overrides, OPTS)
    return decodeFunctionResult({ abi: c.Store.abi, functionName: 'value', data: toHex(out) }) as bigint
  }

  beforeAll(async () => {
    ;({ chain, store } = await setup())
  })

  it('returns the output of the call, on the state of the block asked for', async () => {
    expect(await readValue()).toBe(5n)
    const beforeSet = (await chain.getBlockByNumber(2n))!
    expect(await readValue({}, undefined, beforeSet)).toBe(0n)
  })

  it('returns nothing from an address without code', async () => {
    expect(await call(chain, chain.head, { to: EMPTY, data: Uint8Array.of(1, 2, 3) }, undefined, OPTS)).toHaveLength(0)
  })

  it('a revert with Error(string) gives EXECUTION_REVERTED, "execution reverted: <reason>" and the revert data', async () => {
    const e = await failure(
      call(chain, chain.head, { from: A.address, to: store, data: calldata(c.Store, 'fail', ['out of cheese']) }, undefined, OPTS),
    )
    expect(e.code).toBe('EXECUTION_REVERTED')
    expect(e.message).toBe('execution reverted: out of cheese')
    expect(e.type['data']).toBe(encodeErrorResult({ abi: ERROR_ABI, errorName: 'Error', args: ['out of cheese'] }))
  })

  it('a revert with a custom error says only "execution reverted" and carries the data', async () => {
    const e = await failure(call(chain, chain.head, { to: store, data: calldata(c.Store, 'failCustom', [7n]) }, undefined, OPTS))
    expect(e.code).toBe('EXECUTION_REVERTED')
    expect(e.message).toBe('execution reverted')
    const selector = toHex(keccak_256(new TextEncoder().encode('Custom(uint256)')).subarray(0, 4))
    expect(e.type['data']).toBe(selector + toHex(word(7n)).slice(2))
  })

  it('refuses a call whose sender cannot pay the value', async () => {
    const e = await failure(call(chain, chain.head, { from: POOR, to: RECIPIENT, value: 1n }, undefined, OPTS))
    expect(e.code).toBe('EXECUTION_FAILED')
    expect(e.message).toBe('insufficient funds for gas * price + value')
  })

  it('runs out of gas with too little gas', async () => {
    const e = await failure(
      call(chain, chain.head, { from: A.address, to: store, data: calldata(c.Store, 'set', [9n]), gas: 25_000n }, undefined, OPTS),
    )
    expect(e.code).toBe('EXECUTION_FAILED')
    expect(e.message).toBe('out of gas')
  })

  it('what a call writes is gone for the next call', async () => {
    await call(chain, chain.head, { from: A.address, to: store, data: calldata(c.Store, 'set', [31337n]) }, undefined, OPTS)
    expect(await readValue()).toBe(5n)
    // also after a call that failed half-way
    await failure(
      call(chain, chain.head, { from: A.address, to: store, data: calldata(c.Store, 'set', [1n]), gas: 25_000n }, undefined, OPTS),
    )
    expect(await readValue()).toBe(5n)
  })

  it('many concurrent calls on different blocks each see their own block', async () => {
    const older = (await chain.getBlockByNumber(2n))!
    const blocks = Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? older : chain.head))
    const values = await Promise.all(
      blocks.map((b, i) =>
        i % 4 === 1
          ? call(chain, b, { from: A.address, to: store, data: calldata(c.Store, 'set', [BigInt(1000 + i)]) }, undefined, OPTS).then(
              () => -1n,
            )
          : readValue({}, undefined, b),
      ),
    )
    values.forEach((v, i) => {
      if (i % 4 === 1) expect(v).toBe(-1n)
      else expect(v).toBe(blocks[i] === older ? 0n : 5n)
    })
  })

  describe('state overrides', () => {
    it('a balance override lets a poor sender pay, and the chain is unchanged afterwards', async () => {
      const req: CallRequest = { from: POOR, to: RECIPIENT, value: ETHER }
      const overrides: StateOverrides = new Map([[toHex(POOR), { balance: 2n * ETHER }]])
      await call(chain, chain.head, req, overrides, OPTS)
      expect(await balanceOf(chain, POOR)).toBe(0n)
      const state = await chain.stateAt(chain.head)
      expect((await state.getAccount(new Address(POOR)))?.balance ?? 0n).toBe(0n)
      expect((await failure(call(chain, chain.head, req, undefined, OPTS))).message).toMatch(/insufficient funds/)
    })

    it('a code override runs that code at the address, with stateDiff slots; the chain keeps no code there', async () => {
      const overrides: StateOverrides = new Map([
        [toHex(EMPTY), { code: c.Store.runtime, stateDiff: new Map([[toHex(SLOT0), word(77n)]]) }],
      ])
      const out = await call(chain, chain.head, { to: EMPTY, data: calldata(c.Store, 'value') }, overrides, OPTS)
      expect(bytesToBigInt(out)).toBe(77n)
      expect(await chain.reader(chain.head).getCode(new Address(EMPTY))).toHaveLength(0)
      expect(await call(chain, chain.head, { to: EMPTY, data: calldata(c.Store, 'value') }, undefined, OPTS)).toHaveLength(0)
    })

    it('stateDiff changes a slot of a deployed contract for the call only', async () => {
      expect(await readValue({}, new Map([[toHex(store), { stateDiff: new Map([[toHex(SLOT0), word(1234n)]]) }]]))).toBe(1234n)
      expect(await readValue()).toBe(5n)
      expect(bytesToBigInt(await chain.reader(chain.head).getStorage(new Address(store), SLOT0))).toBe(5n)
    })

    it('state replaces the whole storage for the call only', async () => {
      const slot1 = toHex(word(1n))
      expect(await readValue({}, new Map([[toHex(store), { state: new Map([[slot1, word(3n)]]) }]]))).toBe(0n)
      expect(await readValue()).toBe(5n)
    })
  })
})

describe('estimateGas', () => {
  it('for an SSTORE: the estimate makes the transaction succeed, is >= the gas it uses, and the gas it uses is the minimum', async () => {
    const { chain, store } = await setup()
    const data = calldata(c.Store, 'set', [0xabcdefn]) // value 5 -> 0xabcdef
    const est = await estimateGas(chain, chain.head, { from: A.address, to: store, data }, undefined, OPTS)
    const parent = chain.head
    const { receipts } = await mine(chain, [callTx(chain.common, A, store, c.Store, 'set', [0xabcdefn], { nonce: 3n, gasLimit: est })])
    const used = receipts[0]!.gasUsed
    expect(receipts[0]!.status).toBe(1)
    expect(est).toBeGreaterThanOrEqual(used)
    expect(est * 1000n).toBeLessThanOrEqual(used * 1020n) // tight: within 2% of what it needs
    // one gas less than what it used fails
    const e = await failure(call(chain, parent, { from: A.address, to: store, data, gas: used - 1n }, undefined, OPTS))
    expect(e.message).toBe('out of gas')
    // and a zero-to-non-zero store, which costs more, is estimated higher
    const { chain: fresh } = await openTestChain()
    const s2 = await deploy(fresh, A, c.Store, 0n)
    const estFresh = await estimateGas(fresh, fresh.head, { from: A.address, to: s2, data }, undefined, OPTS)
    expect(estFresh).toBeGreaterThan(est + 15_000n)
    const r2 = await mine(fresh, [callTx(fresh.common, A, s2, c.Store, 'set', [0xabcdefn], { nonce: 1n, gasLimit: estFresh })])
    expect(r2.receipts[0]!.status).toBe(1)
  })

  it('leaves nothing behind in the call VMs, however many estimates run (a node serves them for months)', async () => {
    const { chain, store } = await setup()
    const data = calldata(c.Store, 'set', [77n])
    const first = await estimateGas(chain, chain.head, { from: A.address, to: store, data }, undefined, OPTS)
    for (let i = 0; i < 20; i++) {
      expect(await estimateGas(chain, chain.head, { from: A.address, to: store, data }, undefined, OPTS)).toBe(first)
      expect(chain.execution.calls.pendingWrites).toBe(0)
    }
    // and the VMs still stand on the chain's state
    const out = await call(chain, chain.head, { to: store, data: calldata(c.Store, 'value') }, undefined, OPTS)
    expect(bytesToBigInt(out)).toBe(5n)
  })

  it('for a call through another contract (63/64 rule): the estimate is enough though the gas used is not', async () => {
    const { chain, store, relay } = await setup()
    const data = calldata(c.Relay, 'relaySet', [toHex(store), 99n])
    const est = await estimateGas(chain, chain.head, { from: A.address, to: relay, data }, undefined, OPTS)
    const parent = chain.head
    const { receipts } = await mine(chain, [
      callTx(chain.common, A, relay, c.Relay, 'relaySet', [toHex(store), 99n], { nonce: 3n, gasLimit: est }),
    ])
    expect(receipts[0]!.status).toBe(1)
    const used = receipts[0]!.gasUsed
    expect(est).toBeGreaterThan(used)
    // with only the gas it used, the inner call or what follows it runs short
    const e = await failure(call(chain, parent, { from: A.address, to: relay, data, gas: used }, undefined, OPTS))
    expect(['out of gas', 'execution reverted: inner call failed']).toContain(e.message)
    const out = await call(chain, chain.head, { to: store, data: calldata(c.Store, 'value') }, undefined, OPTS)
    expect(bytesToBigInt(out)).toBe(99n)
  })

  it('for a call that earns a refund (clearing a slot): the estimate covers the gas before the refund', async () => {
    const { chain, store } = await setup()
    const data = calldata(c.Store, 'set', [0n])
    const est = await estimateGas(chain, chain.head, { from: A.address, to: store, data }, undefined, OPTS)
    const parent = chain.head
    const { receipts } = await mine(chain, [callTx(chain.common, A, store, c.Store, 'set', [0n], { nonce: 3n, gasLimit: est })])
    expect(receipts[0]!.status).toBe(1)
    const used = receipts[0]!.gasUsed
    expect(est).toBeGreaterThan(used)
    expect((await failure(call(chain, parent, { from: A.address, to: store, data, gas: used }, undefined, OPTS))).message).toBe(
      'out of gas',
    )
  })

  it('a plain transfer is estimated at about 21,000', async () => {
    const { chain } = await openTestChain()
    const est = await estimateGas(chain, chain.head, { from: A.address, to: RECIPIENT, value: 1n }, undefined, OPTS)
    expect(est).toBeGreaterThanOrEqual(21_000n)
    expect(est).toBeLessThanOrEqual(21_315n)
  })

  it('a reverting call is reported with its reason, not estimated', async () => {
    const { chain, store } = await setup()
    const e = await failure(
      estimateGas(chain, chain.head, { from: A.address, to: store, data: calldata(c.Store, 'fail', ['nope']) }, undefined, OPTS),
    )
    expect(e.code).toBe('EXECUTION_REVERTED')
    expect(e.message).toBe('execution reverted: nope')
  })

  it('a call that needs more than the gas cap: GAS_REQUIRED_EXCEEDS', async () => {
    const { chain, store } = await setup()
    const e = await failure(
      estimateGas(chain, chain.head, { from: A.address, to: store, data: calldata(c.Store, 'set', [1n]) }, undefined, { gasCap: 25_000n }),
    )
    expect(e.code).toBe('GAS_REQUIRED_EXCEEDS')
    expect(e.message).toBe('gas required exceeds allowance (25000)')
  })

  it('uses state overrides, and leaves the chain alone', async () => {
    const { chain } = await openTestChain()
    const req: CallRequest = { from: POOR, to: RECIPIENT, value: ETHER }
    expect((await failure(estimateGas(chain, chain.head, req, undefined, OPTS))).message).toMatch(/insufficient funds/)
    const est = await estimateGas(chain, chain.head, req, new Map([[toHex(POOR), { balance: 2n * ETHER }]]), OPTS)
    expect(est).toBeGreaterThanOrEqual(21_000n)
    expect(await balanceOf(chain, POOR)).toBe(0n)
  })
})

describe('createAccessList', () => {
  let chain: Chain
  let store: Uint8Array
  let relay: Uint8Array

  beforeAll(async () => {
    ;({ chain, store, relay } = await setup())
  })

  it('lists the storage slot a call touches in another contract, leaving out sender and recipient', async () => {
    const req: CallRequest = { from: A.address, to: relay, data: calldata(c.Relay, 'relaySet', [toHex(store), 6n]) }
    const { accessList, gasUsed, error } = await createAccessList(chain, chain.head, req, undefined, OPTS)
    expect(error).toBeUndefined()
    expect(accessList.map((e) => ({ address: toHex(e.address), storageKeys: e.storageKeys.map(toHex) }))).toEqual([
      { address: toHex(store), storageKeys: [toHex(SLOT0)] },
    ])
    expect(gasUsed).toBeGreaterThan(21_000n)
    // the list is usable as is: the call succeeds with it
    await call(chain, chain.head, { ...req, accessList }, undefined, OPTS)
  })

  it("lists the called contract's storage slots (its bare address is warm anyway), as geth does", async () => {
    const req: CallRequest = { from: A.address, to: store, data: calldata(c.Store, 'set', [6n]) }
    const list = (await createAccessList(chain, chain.head, req, undefined, OPTS)).accessList
    expect(list).toHaveLength(1)
    expect(list[0]!.address).toEqual(store)
    expect(list[0]!.storageKeys.length).toBeGreaterThan(0)
  })

  it('reports a revert as an error next to the list', async () => {
    const req: CallRequest = { from: A.address, to: store, data: calldata(c.Store, 'fail', ['bad']) }
    const r = await createAccessList(chain, chain.head, req, undefined, OPTS)
    expect(r.error).toBe('execution reverted: bad')
  })
})

describe('getProof', () => {
  let chain: Chain
  let store: Uint8Array

  beforeAll(async () => {
    ;({ chain, store } = await setup())
  })

  /** Check an account proof against the block's state root without the code that made it. */
  async function provenAccount(address: Uint8Array, accountProof: string[]): Promise<Uint8Array[]> {
    const nodes = accountProof.map(fromHex)
    expect(toHex(keccak_256(nodes[0]!))).toBe(toHex(chain.head.header.stateRoot))
    const value = await verifyMerkleProof(address, nodes, { useKeyHashing: true })
    expect(value).not.toBeNull()
    return RLP.decode(value!) as Uint8Array[]
  }

  it('proves a contract account and its storage slot: the fields match the state', async () => {
    const proof = await getProof(chain, chain.head, store, [SLOT0, word(1n)])
    const account = (await chain.reader(chain.head).getAccount(new Address(store)))!
    expect(proof.address).toBe(toHex(store))
    expect(proof.balance).toBe(account.balance)
    expect(proof.nonce).toBe(account.nonce)
    expect(proof.nonce).toBe(1n) // EIP-161: contracts start at nonce 1
    expect(proof.codeHash).toBe(toHex(account.codeHash))
    expect(proof.codeHash).toBe(toHex(keccak_256(c.Store.runtime)))
    expect(proof.storageHash).toBe(toHex(account.storageRoot))

    const [nonce, balance, storageRoot, codeHash] = await provenAccount(store, proof.accountProof)
    expect(bytesToBigInt(nonce!)).toBe(proof.nonce)
    expect(bytesToBigInt(balance!)).toBe(proof.balance)
    expect(toHex(storageRoot!)).toBe(proof.storageHash)
    expect(toHex(codeHash!)).toBe(proof.codeHash)

    expect(proof.storageProof.map((s) => [s.key, s.value])).toEqual([
      [toHex(SLOT0), 5n],
      [toHex(word(1n)), 0n],
    ])
    const slotNodes = proof.storageProof[0]!.proof.map(fromHex)
    expect(toHex(keccak_256(slotNodes[0]!))).toBe(proof.storageHash)
    const stored = await verifyMerkleProof(SLOT0, slotNodes, { useKeyHashing: true })
    expect(bytesToBigInt(RLP.decode(stored!) as Uint8Array)).toBe(5n)
  })

  it('proves an externally owned account: empty code and storage', async () => {
    const proof = await getProof(chain, chain.head, A.address, [])
    expect(proof.nonce).toBe(3n)
    expect(proof.balance).toBe(await balanceOf(chain, A.address))
    expect(proof.codeHash).toBe(KECCAK256_NULL_S)
    expect(proof.storageHash).toBe(KECCAK256_RLP_S)
    expect(proof.storageProof).toEqual([])
    const [nonce, balance] = await provenAccount(A.address, proof.accountProof)
    expect(bytesToBigInt(nonce!)).toBe(3n)
    expect(bytesToBigInt(balance!)).toBe(proof.balance)
  })

  it('proves that an account does not exist', async () => {
    const proof = await getProof(chain, chain.head, EMPTY, [])
    expect(proof.balance).toBe(0n)
    expect(proof.nonce).toBe(0n)
    const nodes = proof.accountProof.map(fromHex)
    expect(await verifyMerkleProof(EMPTY, nodes, { useKeyHashing: true })).toBeNull()
  })
})

describe('revertMessage', () => {
  const errorData = (reason: string): Uint8Array => fromHex(encodeErrorResult({ abi: ERROR_ABI, errorName: 'Error', args: [reason] }))

  it('decodes Error(string), including an empty and a non-ASCII reason', () => {
    expect(revertMessage(errorData('boom'))).toBe('execution reverted: boom')
    expect(revertMessage(errorData(''))).toBe('execution reverted: ')
    expect(revertMessage(errorData('ünïcödé ✓'))).toBe('execution reverted: ünïcödé ✓')
  })

  it('says just "execution reverted" for empty, other or truncated data', () => {
    expect(revertMessage(new Uint8Array(0))).toBe('execution reverted')
    expect(revertMessage(fromHex('0xdeadbeef'))).toBe('execution reverted')
    const full = errorData('a longer reason that spills past one word of data')
    expect(revertMessage(full.subarray(0, full.length - 40))).toBe('execution reverted')
    expect(revertMessage(full.subarray(0, 40))).toBe('execution reverted')
  })
})
