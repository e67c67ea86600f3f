import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync, existsSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createKeystore, keystorePath, messageStorePath, rotatePrekeys, unlockKeystore, type ScryptParams } from '../../../session/index.js'
import { alice, PHRASE_A, codeOfAsync } from './helpers.js'

// small scrypt cost for speed; the file records the parameters it was written with
const scrypt: ScryptParams = { N: 1 << 10, r: 8, p: 1 }
const root = mkdtempSync(join(tmpdir(), 'pars-keystore-'))
let n = 0
const datadir = () => join(root, `d${n++}`)
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('the keystore', () => {
  it('stores the identity encrypted, mode 0600, and opens it with the passphrase', async () => {
    const dir = datadir()
    const made = await createKeystore(dir, 'correct horse', { phrase: PHRASE_A, scrypt })
    expect(made.identity.sessionId).toBe(alice.sessionId)
    const path = keystorePath(dir)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    const raw = readFileSync(path, 'utf8')
    for (const word of ['abandon', 'art']) expect(raw).not.toContain(word) // no secret in the clear
    expect(readdirSync(join(dir, 'session')).filter((f) => f.includes('.tmp-'))).toEqual([]) // atomic: no leftovers
    const opened = await unlockKeystore(dir, 'correct horse')
    expect(opened.identity.sessionId).toBe(alice.sessionId)
    expect(opened.phrase).toBe(PHRASE_A)
    expect(opened.prekeys[0]!.x25519.secretKey).toEqual(made.prekeys[0]!.x25519.secretKey)
  })

  it('a wrong passphrase is a clear error and changes nothing', async () => {
    const dir = datadir()
    await createKeystore(dir, 'right', { scrypt })
    const before = readFileSync(keystorePath(dir))
    expect(await codeOfAsync(unlockKeystore(dir, 'wrong'))).toBe('WRONG_PASSPHRASE')
    expect(readFileSync(keystorePath(dir))).toEqual(before)
    expect(await codeOfAsync(unlockKeystore(datadir(), 'x'))).toBe('NO_IDENTITY')
    expect(await codeOfAsync(createKeystore(dir, 'again', { scrypt }))).toBe('IDENTITY_EXISTS')
    expect(readFileSync(keystorePath(dir))).toEqual(before)
  })

  it('refuses an empty passphrase, a bad phrase and a duress passphrase equal to the passphrase', async () => {
    expect(await codeOfAsync(createKeystore(datadir(), '', { scrypt }))).toBe('BAD_PASSPHRASE')
    expect(await codeOfAsync(createKeystore(datadir(), 'p', { scrypt, phrase: 'not a phrase' }))).toBe('BAD_PHRASE')
    const dir = datadir()
    expect(await codeOfAsync(createKeystore(dir, 'same', { scrypt, duressPassphrase: 'same' }))).toBe('BAD_PASSPHRASE')
    // the same text in another Unicode form is the same passphrase (keys come from the NFKC form)
    expect(await codeOfAsync(createKeystore(dir, 'caf\u00e9', { scrypt, duressPassphrase: 'cafe\u0301' }))).toBe('BAD_PASSPHRASE')
    expect(existsSync(keystorePath(dir))).toBe(false)
  })

  it('the file does not say whether a duress passphrase exists', async () => {
    const a = datadir()
    const b = datadir()
    await createKeystore(a, 'pw', { scrypt, phrase: PHRASE_A })
    await createKeystore(b, 'pw', { scrypt, phrase: PHRASE_A, duressPassphrase: 'duress' })
    const shape = (d: string) => {
      const f = JSON.parse(readFileSync(keystorePath(d), 'utf8')) as Record<string, { salt?: string; sealed?: string }>
      return Object.fromEntries(
        Object.entries(f).map(([k, v]) => [
          k,
          typeof v === 'object' && v !== null ? Object.fromEntries(Object.entries(v).map(([kk, vv]) => [kk, String(vv).length])) : v,
        ]),
      )
    }
    expect(shape(a)).toEqual(shape(b))
  })

  it('the duress passphrase wipes the identity and the message store, and answers like any unlock', async () => {
    const dir = datadir()
    await createKeystore(dir, 'real', { scrypt, phrase: PHRASE_A, duressPassphrase: 'under duress' })
    const store = messageStorePath(dir)
    mkdirSync(join(store, 'sub'), { recursive: true })
    writeFileSync(join(store, 'sub', 'messages.log'), 'a secret conversation')
    const shown = await unlockKeystore(dir, 'under duress')
    // an identity, as any unlock gives, but not Alice's
    expect(shown.identity.sessionId).toMatch(/^05[0-9a-f]{64}$/)
    expect(shown.identity.sessionId).not.toBe(alice.sessionId)
    expect(shown.phrase).not.toBe(PHRASE_A)
    expect(existsSync(store)).toBe(false)
    expect(readFileSync(keystorePath(dir), 'utf8')).not.toContain('under duress')
    // irreversibly: the real passphrase opens nothing any more; the duress one keeps showing the decoy
    expect(await codeOfAsync(unlockKeystore(dir, 'real'))).toBe('WRONG_PASSPHRASE')
    expect((await unlockKeystore(dir, 'under duress')).identity.sessionId).toBe(shown.identity.sessionId)
  })

  it('rotates the signed prekey when it nears expiry, keeping the older one and leaving the duress slot as it was', async () => {
    const dir = datadir()
    const made = await createKeystore(dir, 'pw', { scrypt, phrase: PHRASE_A, duressPassphrase: 'duress', now: 1_000_000 })
    const first = made.prekeys[0]!
    const before = readFileSync(keystorePath(dir))
    // not due: nothing written
    expect(await rotatePrekeys(dir, 'pw', { now: 1_000_000 })).toBeUndefined()
    expect(readFileSync(keystorePath(dir))).toEqual(before)
    // a wrong passphrase is refused, nothing written (and it is never taken for the duress one)
    expect(await codeOfAsync(rotatePrekeys(dir, 'duress', { now: first.expiresAt - 3600 }))).toBe('WRONG_PASSPHRASE')
    expect(readFileSync(keystorePath(dir))).toEqual(before)
    // a day before expiry: a new prekey, the old one kept while it lives
    const rotated = await rotatePrekeys(dir, 'pw', { now: first.expiresAt - 86_400 })
    expect(rotated!.prekeys.map((p) => p.id)).toEqual([2, 1])
    const file = (b: Buffer) => JSON.parse(b.toString('utf8')) as { duress: unknown; identity: unknown }
    expect(file(readFileSync(keystorePath(dir))).duress).toEqual(file(before).duress)
    expect(file(readFileSync(keystorePath(dir))).identity).not.toEqual(file(before).identity)
    const opened = await unlockKeystore(dir, 'pw')
    expect(opened.identity.sessionId).toBe(alice.sessionId)
    expect(opened.prekeys.map((p) => p.id)).toEqual([2, 1])
    // once the first has expired, the next rotation drops it
    const again = await rotatePrekeys(dir, 'pw', { now: opened.prekeys[0]!.expiresAt - 3600 })
    expect(again!.prekeys.map((p) => p.id)).toEqual([3, 2])
    // the duress passphrase still does what it did
    const decoy = await unlockKeystore(dir, 'duress')
    expect(decoy.identity.sessionId).not.toBe(alice.sessionId)
  })
})
