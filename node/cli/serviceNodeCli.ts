// `parsctl service register|deregister|list`: joining the session network as a service node with
// stake, through the ServiceNodeRegistry system contract. register signs with the datadir's libp2p key
// (node.key) and onion key (onion.key, made when missing), and sends the stake from --from-key.
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { parseEther, type Hex } from 'viem'
import { fromHex, toHex } from '../../common/index.js'
import { ServiceNodeRegistry } from '../../evm/index.js'
import { onionKeyPair, registrationStatement, verifyRegistration } from '../../session/index.js'
import { ONION_KEY_FILE } from '../node.js'
import { loadNodeKey } from '../p2p/host.js'
import { REGISTRY_ADDRESS, registryEvent } from '../serviceRegistry.js'
import { connectRpc, fromKeyAccount } from './chainClient.js'
import { contractFailure } from './contractError.js'
import { CliError, fileProblem } from './cliError.js'

export type ServiceCommand = 'register' | 'deregister' | 'list'

export interface ServiceFlags {
  rpc: string
  datadir: string
  fromKey?: string
  stake?: string
}

/** The datadir's onion key seed, made (mode 0600) when there is none; `made` tells which. */
async function onionSeed(datadir: string): Promise<{ seed: Uint8Array; made: boolean }> {
  const path = join(datadir, ONION_KEY_FILE)
  try {
    return { seed: fromHex((await readFile(path, 'utf8')).trim()), made: false }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new CliError(`${path}: ${fileProblem(e) ?? String(e)}`)
  }
  const seed = randomBytes(32)
  await writeFile(path, toHex(seed) + '\n', { mode: 0o600, flag: 'wx' })
  return { seed, made: true }
}

export async function runServiceCommand(cmd: ServiceCommand, flags: ServiceFlags): Promise<void> {
  const { client, chainId, wallet: walletFor } = await connectRpc(flags.rpc)
  const out = (s: string): boolean => process.stdout.write(s)
  switch (cmd) {
    case 'list': {
      const logs = await client.request({
        method: 'eth_getLogs',
        params: [{ address: ServiceNodeRegistry.address, fromBlock: '0x0', toBlock: 'finalized' }],
      })
      const active = new Map<string, string>()
      for (const l of logs) {
        const e = registryEvent({ topics: l.topics.map((t) => fromHex(t)), data: fromHex(l.data) })
        if (e?.type === 'registered') {
          const n = verifyRegistration(BigInt(chainId), REGISTRY_ADDRESS, e)
          if (n !== undefined) active.set(toHex(e.peerId), `${n.peerId}  operator ${toHex(n.operator)}`)
          else active.set(toHex(e.peerId), `${toHex(e.peerId)}  (bad signature: ignored by every node)`)
        } else if (e?.type === 'deregistered') active.delete(toHex(e.peerId))
      }
      if (active.size === 0) out('no service nodes registered with stake (the genesis validators with onion keys serve without)\n')
      for (const line of active.values()) out(line + '\n')
      return
    }
    case 'register':
    case 'deregister': {
      const account = await fromKeyAccount(flags.fromKey, 'the account that stakes')
      const key = await loadNodeKey(flags.datadir)
      const peerId = peerIdFromPrivateKey(key)
      const peerIdBytes = toHex(peerId.toMultihash().bytes) as Hex
      const wallet = walletFor(account)
      let hash: Hex
      let made = false
      try {
        if (cmd === 'register') {
          const onion = await onionSeed(flags.datadir)
          made = onion.made
          const { publicKey } = await onionKeyPair(onion.seed)
          const statement = registrationStatement(BigInt(chainId), REGISTRY_ADDRESS, fromHex(account.address), publicKey)
          const signature = await key.sign(statement)
          const stake = flags.stake === undefined ? 1000n * 10n ** 18n : parseEther(flags.stake)
          hash = await wallet.writeContract({
            address: ServiceNodeRegistry.address,
            abi: ServiceNodeRegistry.abi,
            functionName: 'register',
            args: [peerIdBytes, toHex(publicKey) as Hex, toHex(signature) as Hex],
            value: stake,
          })
        } else {
          hash = await wallet.writeContract({
            address: ServiceNodeRegistry.address,
            abi: ServiceNodeRegistry.abi,
            functionName: 'deregister',
            args: [peerIdBytes],
          })
        }
      } catch (e) {
        throw new CliError(`${cmd} failed: ${contractFailure(e)}`)
      }
      const receipt = await client.waitForTransactionReceipt({ hash, timeout: 60_000 })
      if (receipt.status !== 'success') throw new CliError(`${cmd}: transaction ${hash} reverted`)
      if (cmd === 'register') {
        out(`registered ${peerId.toString()} with stake; the network lists it once the block is final\n`)
        if (made) out(`made ${join(flags.datadir, ONION_KEY_FILE)}: (re)start parsd on this datadir so it serves with that key\n`)
      } else out(`deregistered ${peerId.toString()}; the stake can be withdrawn after the unbonding period\n`)
      out(`${hash} ${receipt.status}\n`)
      return
    }
  }
}
