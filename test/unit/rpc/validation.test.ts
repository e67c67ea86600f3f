import { describe, expect, it } from 'vitest'
import { toHex } from '../../../common/index.js'
import { RpcError, toJsonRpcError } from '../../../rpc/errors.js'
import {
  address,
  blockTag,
  blockTagOrHash,
  bool,
  checkParamCount,
  data,
  filterOptions,
  hash32,
  optional,
  quantity,
  quantityAsNumber,
  stateOverride,
  transactionRequest,
  typedData,
  uint64,
} from '../../../rpc/validation.js'

/** The -32602 message thrown by fn (fails the test if fn does not throw one). */
function invalid(fn: () => unknown): string {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(RpcError)
    const j = toJsonRpcError(e)
    expect(j.code).toBe(-32602)
    return j.message
  }
  throw new Error('expected an invalid params error')
}

const ADDR = '0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed'
const ADDR_CHECKSUM = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'
const HASH = '0x' + 'ab'.repeat(32)
const HASH2 = '0x' + '01'.repeat(32)

describe('address', () => {
  it('accepts lowercase, uppercase and correctly checksummed addresses', () => {
    expect(toHex(address(ADDR, 0))).toBe(ADDR)
    expect(toHex(address('0x' + ADDR.slice(2).toUpperCase(), 0))).toBe(ADDR)
    expect(toHex(address(ADDR_CHECKSUM, 0))).toBe(ADDR)
    for (const a of [
      '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
      '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB',
      '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb',
    ]) {
      expect(address(a, 0)).toHaveLength(20)
    }
    expect(address('0X' + ADDR.slice(2), 0)).toHaveLength(20)
  })

  it('rejects a wrong checksum, a wrong length, bad digits, no prefix and non-strings', () => {
    expect(invalid(() => address('0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD', 0))).toBe(
      'invalid argument 0: address has an invalid EIP-55 checksum',
    )
    expect(invalid(() => address('0x' + 'a'.repeat(38), 0))).toBe('invalid argument 0: hex string has length 38, want 40 for address')
    expect(invalid(() => address('0x' + 'g'.repeat(40), 1))).toBe('invalid argument 1: invalid hex string')
    expect(invalid(() => address(ADDR.slice(2), 0))).toBe('invalid argument 0: hex string without 0x prefix')
    expect(invalid(() => address('', 0))).toBe('invalid argument 0: empty hex string')
    expect(invalid(() => address(5, 2))).toBe('invalid argument 2: expected a hex string for address, got number')
    expect(invalid(() => address(null, 0))).toMatch(/got null/)
    expect(invalid(() => address(undefined, 3))).toBe('missing value for required argument 3')
  })
})

describe('hash32', () => {
  it('accepts 32 bytes', () => {
    expect(toHex(hash32(HASH, 0))).toBe(HASH)
    expect(toHex(hash32(HASH.toUpperCase().replace('0X', '0x'), 0))).toBe(HASH)
  })
  it('rejects other lengths and bad hex', () => {
    expect(invalid(() => hash32('0x' + 'ab'.repeat(31), 0))).toBe('invalid argument 0: hex string has length 62, want 64 for hash')
    expect(invalid(() => hash32('0x' + 'zz'.repeat(32), 0))).toBe('invalid argument 0: invalid hex string')
    expect(invalid(() => hash32({}, 0))).toMatch(/got object/)
  })
})

describe('quantity', () => {
  it('parses canonical quantities up to 256 bits', () => {
    expect(quantity('0x0', 0)).toBe(0n)
    expect(quantity('0x1', 0)).toBe(1n)
    expect(quantity('0xff', 0)).toBe(255n)
    expect(quantity('0xFF', 0)).toBe(255n)
    expect(quantity('0X10', 0)).toBe(16n)
    expect(quantity('0x' + 'f'.repeat(64), 0)).toBe(2n ** 256n - 1n)
  })
  it('rejects leading zeros, "0x", overflow, no prefix, bad digits, numbers', () => {
    expect(invalid(() => quantity('0x01', 0))).toBe('invalid argument 0: hex number with leading zero digits')
    expect(invalid(() => quantity('0x00', 0))).toBe('invalid argument 0: hex number with leading zero digits')
    expect(invalid(() => quantity('0x', 0))).toMatch(/no digits/)
    expect(invalid(() => quantity('0x1' + '0'.repeat(64), 0))).toBe('invalid argument 0: hex number > 256 bits')
    expect(invalid(() => quantity('10', 0))).toBe('invalid argument 0: hex string without 0x prefix')
    expect(invalid(() => quantity('0x1g', 0))).toBe('invalid argument 0: invalid hex string')
    expect(invalid(() => quantity('0x-1', 0))).toBe('invalid argument 0: invalid hex string')
    expect(invalid(() => quantity(16, 0))).toMatch(/expected a hex string for quantity, got number/)
  })
  it('uint64 and quantityAsNumber bound the value', () => {
    expect(uint64('0x' + 'f'.repeat(16), 0)).toBe(2n ** 64n - 1n)
    expect(invalid(() => uint64('0x1' + '0'.repeat(16), 0))).toBe('invalid argument 0: hex number > 64 bits')
    expect(quantityAsNumber('0x400', 1, 1024)).toBe(1024)
    expect(quantityAsNumber('0x1fffffffffffff', 1)).toBe(Number.MAX_SAFE_INTEGER)
    expect(invalid(() => quantityAsNumber('0x401', 1, 1024))).toBe('invalid argument 1: number 1025 exceeds the maximum 1024')
    expect(invalid(() => quantityAsNumber('0x20000000000000', 1))).toMatch(/exceeds the maximum/)
  })
})

describe('data', () => {
  it('accepts even-length hex including empty', () => {
    expect(data('0x', 0)).toEqual(new Uint8Array(0))
    expect(data('0x00ff', 0)).toEqual(Uint8Array.from([0, 255]))
    expect(data('0xABcd', 0)).toEqual(Uint8Array.from([0xab, 0xcd]))
  })
  it('rejects odd length, bad digits, no prefix', () => {
    expect(invalid(() => data('0x123', 0))).toBe('invalid argument 0: hex string of odd length')
    expect(invalid(() => data('0xzz', 0))).toBe('invalid argument 0: invalid hex string')
    expect(invalid(() => data('abcd', 0))).toBe('invalid argument 0: hex string without 0x prefix')
    expect(invalid(() => data([], 0))).toMatch(/got array/)
  })
})

describe('bool', () => {
  it('accepts booleans only', () => {
    expect(bool(true, 1)).toBe(true)
    expect(bool(false, 1)).toBe(false)
    expect(invalid(() => bool('true', 1))).toBe('invalid argument 1: expected a boolean, got string')
    expect(invalid(() => bool(1, 1))).toMatch(/got number/)
  })
})

describe('blockTag', () => {
  it('accepts tags and numbers', () => {
    for (const tag of ['latest', 'pending', 'safe', 'finalized', 'earliest'] as const)
      expect(blockTag(tag, 1)).toEqual({ kind: 'tag', tag })
    expect(blockTag('0x0', 1)).toEqual({ kind: 'number', number: 0n })
    expect(blockTag('0x1b4', 1)).toEqual({ kind: 'number', number: 436n })
    expect(blockTag('0x7fffffffffffffff', 1)).toEqual({ kind: 'number', number: 2n ** 63n - 1n })
  })
  it('rejects unknown tags, leading zeros, overflow, numbers, hashes', () => {
    expect(invalid(() => blockTag('Latest', 1))).toMatch(/^invalid argument 1: invalid block number or tag "Latest"/)
    expect(invalid(() => blockTag('0x01', 1))).toBe('invalid argument 1: hex number with leading zero digits')
    expect(invalid(() => blockTag('0x8000000000000000', 1))).toBe('invalid argument 1: block number larger than int64')
    expect(invalid(() => blockTag('0x1' + '0'.repeat(16), 1))).toBe('invalid argument 1: hex number > 64 bits')
    expect(invalid(() => blockTag(5, 1))).toMatch(/got number/)
    expect(invalid(() => blockTag(HASH, 1))).toMatch(/> 64 bits/)
    expect(invalid(() => blockTag(undefined, 1))).toBe('missing value for required argument 1')
  })
})

describe('blockTagOrHash', () => {
  it('accepts tags, numbers, hash strings and EIP-1898 objects', () => {
    expect(blockTagOrHash('latest', 1)).toEqual({ kind: 'tag', tag: 'latest' })
    expect(blockTagOrHash('0x10', 1)).toEqual({ kind: 'number', number: 16n })
    const h = blockTagOrHash(HASH, 1)
    expect(h.kind).toBe('hash')
    if (h.kind === 'hash') {
      expect(toHex(h.hash)).toBe(HASH)
      expect(h.requireCanonical).toBe(false)
    }
    expect(blockTagOrHash({ blockHash: HASH, requireCanonical: true }, 1)).toMatchObject({ kind: 'hash', requireCanonical: true })
    expect(blockTagOrHash({ blockHash: HASH }, 1)).toMatchObject({ kind: 'hash', requireCanonical: false })
    expect(blockTagOrHash({ blockNumber: '0x5' }, 1)).toEqual({ kind: 'number', number: 5n })
    expect(blockTagOrHash({ blockNumber: 'safe' }, 1)).toEqual({ kind: 'tag', tag: 'safe' })
  })
  it('rejects both, neither, bad hash, bad requireCanonical, other types', () => {
    expect(invalid(() => blockTagOrHash({ blockHash: HASH, blockNumber: '0x1' }, 1))).toMatch(
      /cannot specify both blockHash and blockNumber/,
    )
    expect(invalid(() => blockTagOrHash({}, 1))).toMatch(/either blockHash or blockNumber/)
    expect(invalid(() => blockTagOrHash({ blockHash: '0x12' }, 1))).toBe(
      'invalid argument 1: blockHash: hex string has length 2, want 64 for hash',
    )
    expect(invalid(() => blockTagOrHash({ blockHash: HASH, requireCanonical: 'yes' }, 1))).toMatch(/requireCanonical: expected a boolean/)
    expect(invalid(() => blockTagOrHash({ blockNumber: '0x01' }, 1))).toBe(
      'invalid argument 1: blockNumber: hex number with leading zero digits',
    )
    expect(invalid(() => blockTagOrHash('0x' + 'zz'.repeat(32), 1))).toBe('invalid argument 1: invalid hex string')
    expect(invalid(() => blockTagOrHash(12, 1))).toMatch(/got number/)
    expect(invalid(() => blockTagOrHash([HASH], 1))).toMatch(/got array/)
  })
})

describe('optional', () => {
  it('passes absent and null through as undefined', () => {
    expect(optional(undefined, 1, blockTag)).toBeUndefined()
    expect(optional(null, 1, blockTag)).toBeUndefined()
    expect(optional('latest', 1, blockTag)).toEqual({ kind: 'tag', tag: 'latest' })
    expect(invalid(() => optional('nope', 1, blockTag))).toMatch(/^invalid argument 1/)
  })
})

describe('checkParamCount', () => {
  it('accepts counts in range', () => {
    expect(() => checkParamCount([], 0, 0)).not.toThrow()
    expect(() => checkParamCount([1], 1, 2)).not.toThrow()
    expect(() => checkParamCount([1, 2], 1, 2)).not.toThrow()
  })
  it('rejects missing and extra arguments', () => {
    expect(invalid(() => checkParamCount([1], 2, 3))).toBe('missing value for required argument 1')
    expect(invalid(() => checkParamCount([], 1))).toBe('missing value for required argument 0')
    expect(invalid(() => checkParamCount([1, 2, 3], 1, 2))).toBe('too many arguments, want at most 2')
  })
})

describe('transactionRequest', () => {
  it('parses every field', () => {
    const tx = transactionRequest(
      {
        from: ADDR_CHECKSUM,
        to: ADDR,
        gas: '0x5208',
        maxFeePerGas: '0x3b9aca00',
        maxPriorityFeePerGas: '0x1',
        maxFeePerBlobGas: '0x2',
        value: '0xde0b6b3a7640000',
        nonce: '0x7',
        input: '0xabcd',
        data: '0xabcd',
        accessList: [{ address: ADDR, storageKeys: [HASH, HASH2] }, { address: ADDR }],
        type: '0x4',
        chainId: '0x17f5',
        authorizationList: [{ chainId: '0x17f5', address: ADDR, nonce: '0x0', yParity: '0x1', r: '0x1', s: '0x2' }],
        blobVersionedHashes: [HASH],
        someUnknownField: 'ignored',
      },
      0,
    )
    expect(toHex(tx.from!)).toBe(ADDR)
    expect(toHex(tx.to!)).toBe(ADDR)
    expect(tx.gas).toBe(21000n)
    expect(tx.maxFeePerGas).toBe(1_000_000_000n)
    expect(tx.maxPriorityFeePerGas).toBe(1n)
    expect(tx.maxFeePerBlobGas).toBe(2n)
    expect(tx.value).toBe(10n ** 18n)
    expect(tx.nonce).toBe(7n)
    expect(toHex(tx.data!)).toBe('0xabcd')
    expect(tx.accessList).toHaveLength(2)
    expect(tx.accessList![0]!.storageKeys.map(toHex)).toEqual([HASH, HASH2])
    expect(tx.accessList![1]!.storageKeys).toEqual([])
    expect(tx.type).toBe(4)
    expect(tx.chainId).toBe(6133n)
    expect(tx.authorizationList).toEqual([{ chainId: 6133n, address: address(ADDR, 0), nonce: 0n, yParity: 1, r: 1n, s: 2n }])
    expect(tx.blobVersionedHashes!.map(toHex)).toEqual([HASH])
    expect('someUnknownField' in tx).toBe(false)
  })

  it('treats absent or null to as creation and null fields as absent; data alone is the input', () => {
    expect(transactionRequest({}, 0)).toEqual({ to: null })
    expect(transactionRequest({ to: null, gas: null, data: '0x6000' }, 0)).toEqual({ to: null, data: Uint8Array.from([0x60, 0x00]) })
    expect(transactionRequest({ gasPrice: '0x1' }, 0)).toEqual({ to: null, gasPrice: 1n })
  })

  it('rejects conflicting and malformed fields, naming the field', () => {
    expect(invalid(() => transactionRequest({ data: '0x01', input: '0x02' }, 0))).toMatch(
      /^invalid argument 0: both "data" and "input" are set and not equal/,
    )
    expect(invalid(() => transactionRequest({ gasPrice: '0x1', maxFeePerGas: '0x2' }, 0))).toBe(
      'invalid argument 0: both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified',
    )
    expect(invalid(() => transactionRequest({ gasPrice: '0x1', maxPriorityFeePerGas: '0x2' }, 0))).toMatch(/both gasPrice/)
    expect(invalid(() => transactionRequest({ to: '0x1234' }, 0))).toBe(
      'invalid argument 0: to: hex string has length 4, want 40 for address',
    )
    expect(invalid(() => transactionRequest({ from: 1 }, 0))).toMatch(/^invalid argument 0: from: expected a hex string/)
    expect(invalid(() => transactionRequest({ gas: '0x1' + '0'.repeat(16) }, 0))).toBe('invalid argument 0: gas: hex number > 64 bits')
    expect(invalid(() => transactionRequest({ nonce: '0x01' }, 0))).toBe('invalid argument 0: nonce: hex number with leading zero digits')
    expect(invalid(() => transactionRequest({ value: 1 }, 0))).toMatch(/^invalid argument 0: value:/)
    expect(invalid(() => transactionRequest({ input: '0x1' }, 0))).toBe('invalid argument 0: input: hex string of odd length')
    expect(invalid(() => transactionRequest({ type: '0x100' }, 0))).toMatch(/type: transaction type 256 out of range/)
    expect(invalid(() => transactionRequest({ accessList: {} }, 0))).toMatch(/accessList: expected an array/)
    expect(invalid(() => transactionRequest({ accessList: [{ address: ADDR, storageKeys: ['0x01'] }] }, 0))).toBe(
      'invalid argument 0: accessList[0].storageKeys[0]: hex string has length 2, want 64 for hash',
    )
    expect(
      invalid(() =>
        transactionRequest({ authorizationList: [{ chainId: '0x1', address: ADDR, nonce: '0x0', yParity: '0x0', r: '0x1' }] }, 0),
      ),
    ).toBe('invalid argument 0: authorizationList[0].s: missing value')
    expect(invalid(() => transactionRequest({ blobVersionedHashes: ['0x12'] }, 0))).toMatch(/blobVersionedHashes\[0\]/)
    expect(invalid(() => transactionRequest('0x', 0))).toMatch(/expected a transaction object, got string/)
    expect(invalid(() => transactionRequest([], 0))).toMatch(/got array/)
    expect(invalid(() => transactionRequest(undefined, 0))).toBe('missing value for required argument 0')
  })
})

describe('stateOverride', () => {
  it('parses accounts keyed by lowercase address', () => {
    const slot = '0x' + '00'.repeat(31) + '01'
    const m = stateOverride(
      {
        [ADDR_CHECKSUM]: { balance: '0x10', nonce: '0x2', code: '0x6000', stateDiff: { [slot.toUpperCase().replace('0X', '0x')]: HASH } },
        ['0x' + '11'.repeat(20)]: { state: {} },
      },
      2,
    )
    expect([...m.keys()]).toEqual([ADDR, '0x' + '11'.repeat(20)])
    const a = m.get(ADDR)!
    expect(a.balance).toBe(16n)
    expect(a.nonce).toBe(2n)
    expect(a.code).toEqual(Uint8Array.from([0x60, 0]))
    expect([...a.stateDiff!.keys()]).toEqual([slot])
    expect(toHex(a.stateDiff!.get(slot)!)).toBe(HASH)
    expect(a.state).toBeUndefined()
    expect(m.get('0x' + '11'.repeat(20))!.state!.size).toBe(0)
    expect(stateOverride(undefined, 2).size).toBe(0)
    expect(stateOverride(null, 2).size).toBe(0)
  })

  it('rejects state with stateDiff, bad keys and values, duplicates', () => {
    expect(invalid(() => stateOverride({ [ADDR]: { state: {}, stateDiff: {} } }, 2))).toBe(
      `invalid argument 2: ${ADDR}: account has both "state" and "stateDiff"`,
    )
    expect(invalid(() => stateOverride({ '0x1234': {} }, 2))).toMatch(/hex string has length 4, want 40 for address/)
    expect(invalid(() => stateOverride({ [ADDR]: { stateDiff: { '0x01': HASH } } }, 2))).toMatch(/want 64 for hash/)
    expect(invalid(() => stateOverride({ [ADDR]: { stateDiff: { [HASH]: '0x01' } } }, 2))).toMatch(/want 64 for hash/)
    expect(invalid(() => stateOverride({ [ADDR]: { balance: '0x01' } }, 2))).toMatch(/balance: hex number with leading zero/)
    expect(invalid(() => stateOverride({ [ADDR]: { code: '0x1' } }, 2))).toMatch(/code: hex string of odd length/)
    // not implemented, so refused rather than silently ignored
    expect(invalid(() => stateOverride({ [ADDR]: { movePrecompileToAddress: '0x' + '22'.repeat(20) } }, 2))).toMatch(
      /movePrecompileToAddress is not supported/,
    )
    expect(invalid(() => stateOverride({ [ADDR]: 5 }, 2))).toMatch(/expected an account override object/)
    expect(invalid(() => stateOverride({ [ADDR]: {}, [ADDR.toUpperCase().replace('0X', '0x')]: {} }, 2))).toMatch(/overridden twice/)
    expect(invalid(() => stateOverride([], 2))).toMatch(/got array/)
  })
})

describe('filterOptions', () => {
  it('parses ranges, addresses and topics', () => {
    const f = filterOptions(
      { fromBlock: '0x1', toBlock: 'latest', address: ADDR, topics: [HASH, null, [HASH, HASH2], [], [HASH, null]].slice(0, 4) },
      0,
    )
    expect(f.fromBlock).toEqual({ kind: 'number', number: 1n })
    expect(f.toBlock).toEqual({ kind: 'tag', tag: 'latest' })
    expect(f.blockHash).toBeUndefined()
    expect(f.addresses.map(toHex)).toEqual([ADDR])
    expect(f.topics.map((t) => (t === null ? null : t.map(toHex)))).toEqual([[HASH], null, [HASH, HASH2], null])
    // a null among alternatives makes the position a wildcard (as geth)
    expect(filterOptions({ topics: [[HASH, null]] }, 0).topics).toEqual([null])
    expect(filterOptions({ address: [ADDR, ADDR_CHECKSUM] }, 0).addresses).toHaveLength(2)
    expect(filterOptions({ address: null, topics: null }, 0)).toEqual({ addresses: [], topics: [] })
    expect(filterOptions({}, 0)).toEqual({ addresses: [], topics: [] })
    const byHash = filterOptions({ blockHash: HASH }, 0)
    expect(toHex(byHash.blockHash!)).toBe(HASH)
  })

  it('rejects blockHash with a range, too many topics, bad topics and addresses', () => {
    expect(invalid(() => filterOptions({ blockHash: HASH, fromBlock: '0x1' }, 0))).toMatch(
      /cannot specify both blockHash and fromBlock\/toBlock/,
    )
    expect(invalid(() => filterOptions({ blockHash: HASH, toBlock: 'latest' }, 0))).toMatch(/cannot specify both/)
    expect(invalid(() => filterOptions({ topics: [null, null, null, null, null] }, 0))).toMatch(/too many topic positions: 5, at most 4/)
    expect(invalid(() => filterOptions({ topics: ['0x12'] }, 0))).toBe(
      'invalid argument 0: topics[0]: hex string has length 2, want 64 for topic',
    )
    expect(invalid(() => filterOptions({ topics: [[HASH, 5]] }, 0))).toMatch(/topics\[0\]\[1\]: expected a topic hash or null/)
    expect(invalid(() => filterOptions({ topics: [5] }, 0))).toMatch(/topics\[0\]: expected a topic hash/)
    expect(invalid(() => filterOptions({ topics: HASH }, 0))).toMatch(/topics: expected an array/)
    expect(invalid(() => filterOptions({ address: ['0x12'] }, 0))).toBe(
      'invalid argument 0: address[0]: hex string has length 2, want 40 for address',
    )
    expect(invalid(() => filterOptions({ address: 5 }, 0))).toMatch(/address: expected an address or an array/)
    expect(invalid(() => filterOptions({ address: new Array(1001).fill(ADDR) }, 0))).toMatch(/too many addresses/)
    expect(invalid(() => filterOptions({ fromBlock: 'earliest', toBlock: 'nope' }, 0))).toMatch(/toBlock: invalid block number or tag/)
    expect(invalid(() => filterOptions('latest', 0))).toMatch(/expected a filter object/)
  })
})

describe('typedData', () => {
  const td = {
    types: {
      EIP712Domain: [{ name: 'name', type: 'string' }],
      Mail: [
        { name: 'from', type: 'address' },
        { name: 'contents', type: 'string' },
      ],
    },
    primaryType: 'Mail',
    domain: { name: 'Pars' },
    message: { from: ADDR, contents: 'hi' },
  }

  it('accepts an object or its JSON text', () => {
    expect(typedData(td, 1)).toEqual(td)
    expect(typedData(JSON.stringify(td), 1)).toEqual(td)
  })

  it('rejects missing or malformed parts', () => {
    expect(invalid(() => typedData('{nope', 1))).toMatch(/not valid JSON/)
    expect(invalid(() => typedData({ ...td, types: [] }, 1))).toMatch(/types: expected an object/)
    expect(invalid(() => typedData({ ...td, types: { Mail: [{ name: 'a' }] } }, 1))).toMatch(
      /types\.Mail\[0\]: expected \{name: string, type: string\}/,
    )
    expect(invalid(() => typedData({ ...td, primaryType: 'Letter' }, 1))).toMatch(/primaryType: type "Letter" is not defined/)
    expect(invalid(() => typedData({ ...td, primaryType: 3 }, 1))).toMatch(/primaryType: expected a string/)
    expect(invalid(() => typedData({ ...td, domain: null }, 1))).toMatch(/domain: expected an object/)
    expect(invalid(() => typedData({ ...td, message: 'x' }, 1))).toMatch(/message: expected an object/)
    expect(invalid(() => typedData(42, 1))).toMatch(/expected typed data object/)
  })
})
