// `parsctl session trigger`: build a SessionTrigger action, sign it with the datadir's Session identity,
// and submit it. The relay that takes actions through the session network is not built yet; until it
// is, --from-key submits the action from the user's own funded account (the contract checks the same).
import { encodeFunctionData, parseAbi, parseAbiItem, type AbiFunction, type Hex } from 'viem'
import { sessionIdBody, signTriggerAction } from '../../session/index.js'
import { connectRpc, fromKeyAccount } from './chainClient.js'
import { contractFailure } from './contractError.js'
import { CliError } from './cliError.js'
import { unlock } from './sessionIdentity.js'

export interface TriggerFlags {
  rpc: string
  datadir: string
  passphraseFile?: string
  fromKey?: string
  to?: string
  function?: string
  args?: string
  wait?: boolean
  expiry?: string
}

/** SessionTrigger's entry points and refusals (contracts/src/session/SessionTrigger.sol). */
const TRIGGER_ABI = parseAbi([
  'function executeFromSession(bytes sessionMessage, bytes mldsaSignature, bytes mldsaPublicKey) returns (bytes)',
  'function sessionNonces(bytes32) view returns (uint256)',
  'error WrongDomain(bytes32 domain)',
  'error WrongChain(uint256 expected, uint256 actual)',
  'error WrongTarget(address expected, address actual)',
  'error Expired(uint64 expiry, uint256 blockTime)',
  'error BadNonce(uint256 expected, uint256 actual)',
  'error NotMLDSA87Key(uint256 length)',
  'error KeyNotForSession(bytes32 sessionId, bytes32 keyHash)',
  'error BadSessionSignature()',
  'error NotAllowed(bytes32 sessionId, bytes4 selector)',
  'error OnlyFromSession()',
  'error Reentrant()',
])

/** Arguments from a JSON array, numbers and numeric strings as bigints where the ABI wants integers. */
function parseArgs(fn: AbiFunction, text: string | undefined): unknown[] {
  if (text === undefined) return []
  let values: unknown
  try {
    values = JSON.parse(text)
  } catch {
    throw new CliError(`--args must be a JSON array, e.g. '[1, "0x..."]'; got ${JSON.stringify(text)}`)
  }
  if (!Array.isArray(values)) throw new CliError('--args must be a JSON array')
  if (values.length !== fn.inputs.length) throw new CliError(`${fn.name} takes ${fn.inputs.length} arguments, --args has ${values.length}`)
  return values.map((v, i) => (/^u?int/.test(fn.inputs[i]!.type) && (typeof v === 'number' || typeof v === 'string') ? BigInt(v) : v))
}

export async function runTrigger(flags: TriggerFlags): Promise<void> {
  if (flags.to === undefined || !/^0x[0-9a-fA-F]{40}$/.test(flags.to))
    throw new CliError('--to ADDRESS is needed: the SessionTrigger contract')
  if (flags.function === undefined) throw new CliError('--function is needed, e.g. --function "increment()"')
  let fn: AbiFunction
  try {
    const item = parseAbiItem(`function ${flags.function.replace(/^function\s+/, '')}`)
    if (item.type !== 'function') throw new Error('not a function')
    fn = item
  } catch {
    throw new CliError(`--function ${JSON.stringify(flags.function)} is not a function signature like "increment()" or "set(uint256)"`)
  }
  const callData = encodeFunctionData({ abi: [fn], functionName: fn.name, args: parseArgs(fn, flags.args) })
  if (flags.fromKey === undefined)
    throw new CliError(
      'relaying through the session network is not built yet: give --from-key FILE to submit the action from your own account',
    )
  const account = await fromKeyAccount(flags.fromKey, 'the account that submits the action')
  const { client, chainId, wallet: walletFor } = await connectRpc(flags.rpc)
  const u = await unlock(flags.datadir, {
    datadir: flags.datadir,
    ...(flags.passphraseFile !== undefined ? { passphraseFile: flags.passphraseFile } : {}),
  })
  const target = flags.to as Hex
  const nonce = (await client
    .readContract({ address: target, abi: TRIGGER_ABI, functionName: 'sessionNonces', args: [sessionIdBody(u.identity.sessionId)] })
    .catch(() => {
      throw new CliError(`${target} does not answer sessionNonces: is it a SessionTrigger contract?`)
    })) as bigint
  const seconds = flags.expiry === undefined ? 600 : Number(flags.expiry)
  if (!Number.isSafeInteger(seconds) || seconds <= 0) throw new CliError('--expiry is a number of seconds from now')
  const signed = signTriggerAction(u.identity, {
    chainId: BigInt(chainId),
    target,
    nonce,
    expiry: BigInt(Math.floor(Date.now() / 1000) + seconds),
    callData,
  })
  const wallet = walletFor(account)
  let hash: Hex
  try {
    // viem simulates first: a refused action costs nothing
    hash = await wallet.writeContract({
      address: target,
      abi: TRIGGER_ABI,
      functionName: 'executeFromSession',
      args: [signed.sessionMessage, signed.mldsaSignature, signed.mldsaPublicKey],
    })
  } catch (e) {
    throw new CliError(`the action was refused: ${contractFailure(e)}`)
  }
  if (flags.wait !== true) {
    process.stdout.write(`${hash}\n`)
    return
  }
  const receipt = await client.waitForTransactionReceipt({ hash, timeout: 60_000 })
  process.stdout.write(`${hash} ${receipt.status}\n`)
  if (receipt.status !== 'success') process.exitCode = 1
}
