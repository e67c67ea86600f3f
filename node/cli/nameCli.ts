// `parsctl name register|resolve|renew|transfer|release`: the Session Name Service (the NameRegistry
// system contract). register signs the consent with the datadir's Session identity and pays the fee
// from --from-key; resolve reads the finalized state.
import { parseEther, type Hex } from 'viem'
import { NameRegistry } from '../../evm/index.js'
import { normalizeName, sessionIdBody, SessionError, signNameProof } from '../../session/index.js'
import { resolveNameByRpc } from '../nameRegistry.js'
import { connectRpc, fromKeyAccount } from './chainClient.js'
import { contractFailure } from './contractError.js'
import { CliError } from './cliError.js'
import { unlock } from './sessionIdentity.js'

export type NameCommand = 'register' | 'resolve' | 'renew' | 'transfer' | 'release'

export interface NameFlags {
  rpc: string
  datadir: string
  passphraseFile?: string
  fromKey?: string
  to?: string
}

function name(arg: string | undefined): string {
  if (arg === undefined) throw new CliError('a name is needed, e.g. alice.pars')
  try {
    return normalizeName(arg)
  } catch (e) {
    throw new CliError(e instanceof Error ? e.message : String(e))
  }
}

/** The Session ID a name resolves to at the finalized block (what parsctl does for every name.pars argument). */
export async function resolveName(rpc: string, input: string): Promise<string> {
  const n = name(input)
  let id: string | undefined
  try {
    id = await resolveNameByRpc(rpc, n)
  } catch {
    throw new CliError(`cannot resolve ${n}.pars: no node answered at ${rpc} (give --rpc URL)`)
  }
  if (id === undefined) throw new CliError(`${n}.pars is not registered (or has expired)`)
  return id
}

export async function runNameCommand(cmd: NameCommand, arg: string | undefined, flags: NameFlags): Promise<void> {
  const out = (s: string): boolean => process.stdout.write(s)
  if (cmd === 'resolve') {
    const id = await resolveName(flags.rpc, name(arg))
    out(`${name(arg)}.pars\n${id}\n`)
    return
  }
  const n = name(arg)
  const { client, chainId, wallet: walletFor } = await connectRpc(flags.rpc)
  const from = await fromKeyAccount(flags.fromKey, 'the account that pays and owns')
  const wallet = walletFor(from)
  const fee = parseEther('1')
  let hash: Hex
  try {
    switch (cmd) {
      case 'register': {
        const u = await unlock(
          flags.datadir,
          flags.passphraseFile !== undefined
            ? { passphraseFile: flags.passphraseFile, datadir: flags.datadir }
            : { datadir: flags.datadir },
        )
        const proof = signNameProof(u.identity, n, from.address, BigInt(chainId))
        hash = await wallet.writeContract({
          address: NameRegistry.address,
          abi: NameRegistry.abi,
          functionName: 'register',
          args: [n, sessionIdBody(u.identity.sessionId), `0x${Buffer.from(u.identity.mldsa.publicKey).toString('hex')}`, proof],
          value: fee,
        })
        break
      }
      case 'renew':
        hash = await wallet.writeContract({
          address: NameRegistry.address,
          abi: NameRegistry.abi,
          functionName: 'renew',
          args: [n],
          value: fee,
        })
        break
      case 'transfer': {
        if (flags.to === undefined || !/^0x[0-9a-fA-F]{40}$/.test(flags.to))
          throw new CliError('transfer needs --to ADDRESS (0x + 40 hex digits)')
        hash = await wallet.writeContract({
          address: NameRegistry.address,
          abi: NameRegistry.abi,
          functionName: 'transfer',
          args: [n, flags.to as Hex],
        })
        break
      }
      case 'release':
        hash = await wallet.writeContract({ address: NameRegistry.address, abi: NameRegistry.abi, functionName: 'release', args: [n] })
        break
    }
  } catch (e) {
    if (e instanceof CliError || e instanceof SessionError) throw e
    throw new CliError(`${cmd} ${n}.pars failed: ${contractFailure(e)}`)
  }
  const receipt = await client.waitForTransactionReceipt({ hash, timeout: 60_000 })
  if (receipt.status !== 'success') throw new CliError(`${cmd} ${n}.pars: transaction ${hash} reverted`)
  out(
    `${cmd === 'register' ? 'registered' : cmd === 'renew' ? 'renewed' : cmd === 'transfer' ? 'transferred' : 'released'} ${n}.pars\n${hash} ${receipt.status}\n`,
  )
}
