import { quantity } from '../../../common/index.js'
import { getProof } from '../../../evm/index.js'
import { invalidParams } from '../../errors.js'
import { address, blockTagOrHash, checkParamCount, data } from '../../validation.js'
import { requireBlock, type MethodFactory } from '../deps.js'

export const eth_getProof: MethodFactory = (d) => async (params) => {
  checkParamCount(params, 3)
  const addr = address(params[0], 0)
  if (!Array.isArray(params[1])) throw invalidParams('invalid argument 1: expected an array of storage keys')
  if (params[1].length > 1024) throw invalidParams('invalid argument 1: at most 1024 storage keys')
  // storage keys: up to 32 bytes, any length (geth left-pads); the answer repeats each key as given
  const given = params[1] as unknown[]
  const keys = given.map((k, i) => {
    const b = data(k, `1[${i}]`)
    if (b.length > 32) throw invalidParams(`invalid argument 1[${i}]: storage key longer than 32 bytes`)
    return b
  })
  const block = await requireBlock(d, blockTagOrHash(params[2], 2))
  const p = await getProof(d.chain, block, addr, keys)
  return {
    address: p.address,
    accountProof: p.accountProof,
    balance: quantity(p.balance),
    codeHash: p.codeHash,
    nonce: quantity(p.nonce),
    storageHash: p.storageHash,
    storageProof: p.storageProof.map((s, i) => ({ key: given[i] as string, value: quantity(s.value), proof: s.proof })),
  }
}
