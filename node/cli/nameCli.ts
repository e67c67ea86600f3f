// `parsctl name register|resolve|renew|transfer|release`: the Session Name Service (the NameRegistry
// system contract). register signs the consent with the datadir's Session identity and pays the fee
// from --from-key; resolve reads the finalized state.
import { createPublicClient, createWalletClient, http, parseEther, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { NameRegistry } from '../../evm/index.js'
import { normalizeName, sessionIdBody, SessionError, signNameProof } from '../../session/index.js'
import { contractFailure } from './contractError.js'
import { CliError } from './cliError.js'
import { readSmallFile } from './secrets.js'
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
  const client = createPublicClient({ transport: http(rpc, { timeout: 30_000, retryCount: 0 }) })
  let r: readonly [Hex, Hex, bigint]
  try {
    r = (await client.readContract({
      address: NameRegistry.address,
      abi: NameRegistry.abi,
      functionName: 'resolve',
      args: [n],
      blockTag: 'finalized',
    })) as readonly [Hex, Hex, bigint]
  } catch {
    throw new CliError(`cannot resolve ${n}.pars: no node answered at ${rpc} (give --rpc URL)`)
  }
  if (BigInt(r[0]) === 0n) throw new CliError(`${n}.pars is not registered (or has expired)`)
  return `05${r[0].slice(2)}`
}

async function account(flags: NameFlags) {
  if (flags.fromKey === undefined)
    throw new CliError('--from-key FILE is needed: the account that pays and owns (a 0x private key in the file)')
  const text = (await readSmallFile(flags.fromKey, '--from-key')).trim()
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(text)) throw new CliError(`--from-key ${flags.fromKey}: expected a 32-byte hex private key`)
  return privateKeyToAccount((text.startsWith('0x') ? text : `0x${text}`) as Hex)
}

export async function runNameCommand(cmd: NameCommand, arg: string | undefined, flags: NameFlags): Promise<void> {
  const out = (s: string): boolean => process.stdout.write(s)
  if (cmd === 'resolve') {
    const id = await resolveName(flags.rpc, name(arg))
    out(`${name(arg)}.pars\n${id}\n`)
    return
  }
  const n = name(arg)
  const transport = http(flags.rpc, { timeout: 30_000, retryCount: 0 })
  const client = createPublicClient({ transport })
  let chainId: number
  try {
    chainId = await client.getChainId()
  } catch {
    throw new CliError(`cannot reach ${flags.rpc}: is parsd running?`)
  }
  const chain = {
    id: chainId,
    name: 'pars',
    nativeCurrency: { name: 'PARS', symbol: 'PARS', decimals: 18 },
    rpcUrls: { default: { http: [flags.rpc] } },
  } as const
  const from = await account(flags)
  const wallet = createWalletClient({ account: from, chain, transport })
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
