import { writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ParsError, toHex } from '../common/index.js'
import { DEFAULT_SNOW_PARAMS, DEFAULT_TIMING, generateValidatorKey } from '../consensus/index.js'
import { devGenesis, PARS_CHAIN_ID } from '../evm/index.js'
import { DEV_ACCOUNT_COUNT, DEV_BALANCE, DEV_MNEMONIC, deriveAccounts } from './dev.js'
import { ensureDir, ONION_KEY_FILE } from './node.js'
import { DATADIR_CONFIG, type TestnetOptions } from './options.js'
import { NODE_KEY_FILE } from './p2p/host.js'
import { onionKeyPair } from '../session/index.js'
import { randomBytes } from 'node:crypto'

export interface TestnetNode {
  dir: string
  peerId: string
  rpcUrl: string
  p2p: string
}

/**
 * `parsd testnet init`: N complete validator datadirs under OUT/node-i, sharing OUT/genesis.json
 * (chain 6133, the dev mnemonic's 20 accounts funded as in --dev, the N validators with equal stake
 * and their keys). Each datadir holds its libp2p key (node.key), its block-signing key
 * (validator.key), its onion key seed (onion.key, whose public key the genesis lists) and parsd.json (RPC port P+i, p2p port P+100+i on 127.0.0.1, every other node as
 * a bootstrap peer, --validator), so `parsd --datadir OUT/node-i` alone starts validator i.
 */
export async function testnetInit(t: TestnetOptions): Promise<TestnetNode[]> {
  const out = resolve(t.out)
  if (t.basePort + 100 + t.validators > 65535)
    throw new ParsError({ code: 'BAD_OPTION', option: 'base-port' }, '--base-port: ports would pass 65535')
  await ensureDir(out)
  const accounts = deriveAccounts(DEV_MNEMONIC, DEV_ACCOUNT_COUNT)
  const nodes: (TestnetNode & { validator: Record<string, string> })[] = []
  for (let i = 0; i < t.validators; i++) {
    const dir = join(out, `node-${i}`)
    await ensureDir(dir)
    const key = await generateKeyPair('Ed25519')
    const peerId = peerIdFromPrivateKey(key).toString()
    await writeFile(join(dir, NODE_KEY_FILE), toHex(privateKeyToProtobuf(key)) + '\n', { mode: 0o600, flag: 'wx' }).catch(
      (e: NodeJS.ErrnoException) => {
        if (e.code === 'EEXIST')
          throw new ParsError({ code: 'BAD_OPTION', option: 'out' }, `${dir} already holds a node; use an empty --out directory`)
        throw e
      },
    )
    const vk = generateValidatorKey()
    await writeFile(join(dir, 'validator.key'), vk.file, { mode: 0o600 })
    const onionSeed = randomBytes(32)
    await writeFile(join(dir, ONION_KEY_FILE), toHex(onionSeed) + '\n', { mode: 0o600 })
    const onion = await onionKeyPair(onionSeed)
    const p2pPort = t.basePort + 100 + i
    nodes.push({
      dir,
      peerId,
      rpcUrl: `http://127.0.0.1:${t.basePort + i}`,
      p2p: `/ip4/127.0.0.1/tcp/${p2pPort}/p2p/${peerId}`,
      validator: {
        peerId,
        address: toHex(accounts[i % accounts.length]!.address),
        stake: '1000',
        ed25519: toHex(vk.key.ed25519.publicKey),
        mldsa65: toHex(vk.key.mldsa.publicKey),
        onion: toHex(onion.publicKey),
      },
    })
  }
  const alloc: Record<string, { balance: bigint }> = {}
  for (const a of accounts) alloc[toHex(a.address)] = { balance: DEV_BALANCE }
  const genesis = devGenesis({ chainId: PARS_CHAIN_ID, alloc, timestamp: BigInt(Math.floor(Date.now() / 1000)) }) as unknown as {
    config: Record<string, unknown>
  }
  genesis.config['pars'] = {
    consensus: { ...DEFAULT_SNOW_PARAMS, blockTimeMs: DEFAULT_TIMING.blockTime, windowMs: DEFAULT_TIMING.window },
    validators: nodes.map((n) => n.validator),
  }
  await writeFile(join(out, 'genesis.json'), JSON.stringify(genesis, null, 2) + '\n')
  for (const [i, n] of nodes.entries()) {
    const config = {
      genesis: '../genesis.json',
      'rpc-addr': '127.0.0.1',
      'rpc-port': String(t.basePort + i),
      'p2p-addr': '127.0.0.1',
      'p2p-port': String(t.basePort + 100 + i),
      bootstrap: nodes
        .filter((_, j) => j !== i)
        .map((o) => o.p2p)
        .join(','),
      validator: true,
      'validator-key': 'validator.key',
    }
    await writeFile(join(n.dir, DATADIR_CONFIG), JSON.stringify(config, null, 2) + '\n')
  }
  return nodes.map(({ dir, peerId, rpcUrl, p2p }) => ({ dir, peerId, rpcUrl, p2p }))
}
