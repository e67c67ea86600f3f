// What the parsctl commands that send transactions share: the node they talk to (its chain id asked
// once) and the account of --from-key.
import {
  createPublicClient,
  createWalletClient,
  http,
  type Chain,
  type Hex,
  type HttpTransport,
  type PrivateKeyAccount,
  type PublicClient,
  type WalletClient,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { CliError } from './cliError.js'
import { readSmallFile } from './secrets.js'

export interface RpcConnection {
  client: PublicClient
  chainId: number
  /** a wallet of `account` on this node's chain */
  wallet: (account: PrivateKeyAccount) => WalletClient<HttpTransport, Chain, PrivateKeyAccount>
}

/** A node's JSON-RPC: a viem client, its chain id, and wallets on its chain. */
export async function connectRpc(rpc: string): Promise<RpcConnection> {
  const transport: HttpTransport = http(rpc, { timeout: 30_000, retryCount: 0 })
  const client = createPublicClient({ transport })
  let chainId: number
  try {
    chainId = await client.getChainId()
  } catch {
    throw new CliError(`cannot reach ${rpc}: is parsd running?`)
  }
  const chain: Chain = {
    id: chainId,
    name: 'pars',
    nativeCurrency: { name: 'PARS', symbol: 'PARS', decimals: 18 },
    rpcUrls: { default: { http: [rpc] } },
  }
  return { client, chainId, wallet: (account) => createWalletClient({ account, chain, transport }) }
}

/** The account of a --from-key file (a 32-byte hex private key); `why` says what the account is for. */
export async function fromKeyAccount(file: string | undefined, why: string): Promise<PrivateKeyAccount> {
  if (file === undefined) throw new CliError(`--from-key FILE is needed: ${why} (a 0x private key in the file)`)
  const text = (await readSmallFile(file, '--from-key')).trim()
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(text)) throw new CliError(`--from-key ${file}: expected a 32-byte hex private key`)
  return privateKeyToAccount((text.startsWith('0x') ? text : `0x${text}`) as Hex)
}
