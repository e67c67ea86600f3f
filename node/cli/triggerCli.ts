// `parsctl session trigger`: build a SessionTrigger action and have it run. By default the datadir's
// running daemon signs it and sends it through an onion path to a relay, which pays the gas and sends
// the outcome back as a notice; with --from-key, parsctl signs it with the datadir's identity itself and
// submits it from that account (the contract checks the same either way).
import { encodeFunctionData, parseAbiItem, type AbiFunction, type Hex } from 'viem'
import { SessionError, sessionIdBody, signTriggerAction, TRIGGER_ABI } from '../../session/index.js'
import { connectRpc, fromKeyAccount } from './chainClient.js'
import { connectDaemon } from './sessionClient.js'
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
  relay?: string
}

/** Through the datadir's daemon and a relay of the session network. */
async function viaRelay(flags: TriggerFlags, target: Hex, callData: Hex, seconds: number): Promise<void> {
  const client = await connectDaemon(flags.datadir)
  try {
    const r = await client.trigger({
      target,
      callData,
      expirySeconds: seconds,
      ...(flags.relay !== undefined ? { relay: flags.relay } : {}),
    })
    process.stdout.write(`relay ${r.relay} took action ${r.nonce}\n`)
    if (flags.wait !== true) {
      process.stdout.write(`${r.txHash}\n`)
      return
    }
    const n = await client.outcome(r.txHash)
    if (n.reason !== undefined) process.stdout.write(`${n.reason}\n`)
    process.stdout.write(`${n.txHash} ${n.status}\n`)
    if (n.status !== 'success') process.exitCode = 1
  } catch (e) {
    if (e instanceof SessionError && (e.code === 'RELAY_REFUSED' || e.code === 'BAD_SIGNATURE'))
      throw new CliError(`the action was refused: ${e.message}`)
    throw e instanceof SessionError ? new CliError(e.message) : e
  } finally {
    client.close()
  }
}

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
  const seconds = flags.expiry === undefined ? 600 : Number(flags.expiry)
  if (!Number.isSafeInteger(seconds) || seconds <= 0) throw new CliError('--expiry is a number of seconds from now')
  if (flags.fromKey === undefined) return viaRelay(flags, flags.to as Hex, callData, seconds)
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
