/**
 * Small test contracts, compiled with the offline solc-js the project already depends on (a few
 * hundred ms), so the tests read as Solidity instead of hand-assembled bytecode.
 */
import solc from 'solc'
import type { Abi } from 'viem'
import { encodeFunctionData } from 'viem'
import type { Common } from '@ethereumjs/common'
import type { TypedTransaction } from '@ethereumjs/tx'
import { fromHex, toHex, type Hex } from '../../../common/index.js'
import type { Chain } from '../../../evm/index.js'
import { mine, signTx, type TestAccount, type TxFields } from './chain.js'

export const TEST_CONTRACTS_SOURCE = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

contract Store {
    uint256 public value;
    event Stored(address indexed who, uint256 indexed value, bytes32 tag);
    event Ping(uint256 indexed a, uint256 indexed b);
    error Custom(uint256 code);

    function set(uint256 v) external {
        value = v;
        emit Stored(msg.sender, v, "stored");
    }

    function ping(uint256 a, uint256 b) external {
        emit Ping(a, b);
    }

    function fail(string calldata reason) external pure {
        revert(reason);
    }

    function failCustom(uint256 code) external pure {
        revert Custom(code);
    }
}

/** Calls Store.set through a CALL, so it needs more gas than it uses (the 63/64 rule). */
contract Relay {
    function relaySet(address target, uint256 v) external {
        (bool ok, ) = target.call(abi.encodeWithSignature("set(uint256)", v));
        require(ok, "inner call failed");
    }
}
`

export interface CompiledContract {
  abi: Abi
  /** creation code */
  bytecode: Uint8Array
  /** the code a deployed instance holds */
  runtime: Uint8Array
}

export interface TestContracts {
  Store: CompiledContract
  Relay: CompiledContract
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[]
  contracts: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>>
}

export function compileTestContracts(): TestContracts {
  const input = {
    language: 'Solidity',
    sources: { 'Test.sol': { content: TEST_CONTRACTS_SOURCE } },
    settings: { evmVersion: 'prague', outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } } },
  }
  const out = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput
  const errors = (out.errors ?? []).filter((e) => e.severity === 'error')
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join('\n'))
  const get = (name: string): CompiledContract => {
    const c = out.contracts['Test.sol']![name]!
    return { abi: c.abi, bytecode: fromHex(c.evm.bytecode.object), runtime: fromHex(c.evm.deployedBytecode.object) }
  }
  return { Store: get('Store'), Relay: get('Relay') }
}

/** Calldata of `fn(args)` for a compiled contract. */
export function calldata(c: CompiledContract, functionName: string, args: readonly unknown[] = []): Uint8Array {
  return fromHex(encodeFunctionData({ abi: c.abi, functionName, args } as Parameters<typeof encodeFunctionData>[0]))
}

/** A contract-creation transaction. */
export function deployTx(common: Common, from: TestAccount, c: CompiledContract, fields: TxFields = {}): TypedTransaction {
  return signTx(common, from, { gasLimit: 1_000_000n, value: 0n, ...fields, to: undefined, data: c.bytecode })
}

/** A call transaction to `to`. */
export function callTx(
  common: Common,
  from: TestAccount,
  to: Uint8Array,
  c: CompiledContract,
  functionName: string,
  args: readonly unknown[],
  fields: TxFields = {},
): TypedTransaction {
  return signTx(common, from, { gasLimit: 200_000n, value: 0n, ...fields, to, data: calldata(c, functionName, args) })
}

/** Deploy `c` in its own block and return its address. */
export async function deploy(chain: Chain, from: TestAccount, c: CompiledContract, nonce: bigint): Promise<Uint8Array> {
  const { receipts } = await mine(chain, [deployTx(chain.common, from, c, { nonce })])
  const r = receipts[0]!
  if (r.status !== 1 || r.contractAddress === undefined) throw new Error('deployment failed')
  return r.contractAddress
}

/** The 32-byte topic of an indexed uint256 / address argument. */
export function topicOf(v: bigint | Uint8Array): Uint8Array {
  const out = new Uint8Array(32)
  if (typeof v === 'bigint') {
    const hex = v.toString(16).padStart(64, '0')
    out.set(fromHex(hex))
  } else {
    out.set(v, 32 - v.length)
  }
  return out
}

export function hex(b: Uint8Array): Hex {
  return toHex(b)
}
