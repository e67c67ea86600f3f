import type { MerkleStateManager } from '@ethereumjs/statemanager'
import type { Account, Address } from '@ethereumjs/util'
import { Lru, hexOf } from '../../common/index.js'

/**
 * Read-only access to the state at one root. Readers are shared between requests (nobody writes
 * through them), so the trie nodes they load stay cached for the next request on the same block.
 */
export class StateReader {
  private sm: Promise<MerkleStateManager> | undefined
  /** decoded accounts by address: the root never changes, so neither do they (null = no account) */
  private readonly accounts = new Lru<string, Account | null>(4096)

  constructor(private readonly open: () => Promise<MerkleStateManager>) {}

  private state(): Promise<MerkleStateManager> {
    this.sm ??= this.open()
    return this.sm
  }

  /** The account if a read has already decoded it: `null` for no account, `undefined` when not known yet. */
  cachedAccount(address: Address): Account | null | undefined {
    return this.accounts.get(hexOf(address.bytes))
  }

  async getAccount(address: Address): Promise<Account | undefined> {
    const key = hexOf(address.bytes)
    const hit = this.accounts.get(key)
    if (hit !== undefined) return hit ?? undefined
    const account = await (await this.state()).getAccount(address)
    this.accounts.set(key, account ?? null)
    return account
  }

  async getCode(address: Address): Promise<Uint8Array> {
    return (await this.state()).getCode(address)
  }

  async getStorage(address: Address, key: Uint8Array): Promise<Uint8Array> {
    const sm = await this.state()
    const account = await sm.getAccount(address)
    if (account === undefined) return new Uint8Array(0)
    return sm.getStorage(address, key)
  }
}
