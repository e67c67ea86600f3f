import { quantity } from '../../../common/index.js'
import { getProof } from '../../../evm/index.js'
import { invalidParams } from '../../errors.js'
import { address, blockTagOrHash, checkParamCount, hash32 } from '../../validation.js'
import { requireBlock, type MethodFactory } from '../deps.js'

export const eth_getProof: MethodFactory = (d) => async (params) => {
  checkParamCount(params, 3)
  const addr = address(params[0], 0)
  if (!Array.isArray(params[1])) throw invalidParams('invalid argument 1: expected an array of storage keys')
  if (params[1].length > 1024) throw invalidParams('invalid argument 1: at most 1024 storage keys')
  const keys = params[1].map((k: unknown, i: number) => hash32(k, `1[${i}]`))
  const block = await requireBlock(d, blockTagOrHash(params[2], 2))
  const p = await getProof(d.chain, block, addr, keys)
  return {
    address: p.address,
    accountProof: p.accountProof,
    balance: quantity(p.balance),
    codeHash: p.codeHash,
    nonce: quantity(p.nonce),
    storageHash: p.storageHash,
    storageProof: p.storageProof.map((s) => ({ key: s.key, value: quantity(s.value), proof: s.proof })),
  }
}
