import { randomBytes as nodeRandomBytes, scrypt as nodeScrypt } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, open as openFile, readFile, readdir, rename, rm, stat, unlink } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { SessionError } from '../errors.js'
import { generatePrekey, type Prekey } from './bundle.js'
import { generatePhrase, identityFromPhrase, normalizePhrase, type Identity } from './identity.js'
import { open, osRandom, seal, utf8, type RandomSource } from './primitives.js'

/**
 * The identity's secrets at rest: `<datadir>/session/identity.json`, mode 0600, replaced atomically
 * (written to a temporary file, flushed, renamed, directory flushed).
 *
 *   key  = scrypt(passphrase, salt, N, r = 8, p = 1, 32 bytes)           N = 2^17 unless chosen
 *   slot = XChaCha20-Poly1305(key, random nonce, aad "pars-keystore-v1").seal(payload)
 *
 * The file has two slots, each with its own salt: the identity (the recovery phrase and the signed
 * prekeys' secrets) and the duress slot. The duress slot holds a marker sealed under the duress
 * passphrase, or random bytes of the same length when none was set, so the file does not say
 * whether one exists. Unlocking tries the identity slot, then the duress slot: a wrong passphrase
 * is WRONG_PASSPHRASE and changes nothing; the duress passphrase overwrites and deletes the
 * identity and the local message store, then writes a fresh identity under that same passphrase
 * and answers with it as any unlock does — to whoever forced the passphrase, the device simply holds
 * an identity with no history.
 */
export interface ScryptParams {
  N: number
  r: number
  p: number
}

export const DEFAULT_SCRYPT: ScryptParams = { N: 1 << 17, r: 8, p: 1 }
const FILE_VERSION = 1
const AAD = utf8.encode('pars-keystore-v1')
const DURESS_MARKER = 'pars-duress-v1'
/** sealed size of the duress marker: nonce 24 + 32-byte payload + tag 16 */
const DURESS_PAYLOAD_BYTES = 32
const DURESS_SLOT_BYTES = 24 + DURESS_PAYLOAD_BYTES + 16

interface Slot {
  salt: string
  sealed: string
}

interface KeystoreFile {
  version: number
  kdf: { name: 'scrypt' } & ScryptParams
  identity: Slot
  duress: Slot
}

interface Payload {
  phrase: string
  createdAt: number
  prekeys: { id: number; expiresAt: number; x25519: string; mlkemSecret: string; mlkemPublic: string; x25519Public: string }[]
}

export interface UnlockedIdentity {
  identity: Identity
  phrase: string
  prekeys: Prekey[]
  createdAt: number
}

export interface KeystoreOptions {
  scrypt?: ScryptParams
  random?: RandomSource
  /** unix seconds */
  now?: number
}

/** Where the session files of a datadir live. */
export function sessionDir(datadir: string): string {
  return join(datadir, 'session')
}

export function keystorePath(datadir: string): string {
  return join(sessionDir(datadir), 'identity.json')
}

/** The local message store the duress passphrase wipes with the identity. */
export function messageStorePath(datadir: string): string {
  return join(sessionDir(datadir), 'store')
}

export function keystoreExists(datadir: string): boolean {
  return existsSync(keystorePath(datadir))
}

const scryptAsync = promisify(nodeScrypt) as (pw: Uint8Array, salt: Uint8Array, len: number, opts: object) => Promise<Buffer>

async function deriveKey(passphrase: string, salt: Uint8Array, p: ScryptParams): Promise<Uint8Array> {
  const pw = utf8.encode(passphrase.normalize('NFKC'))
  const key = await scryptAsync(pw, salt, 32, { N: p.N, r: p.r, p: p.p, maxmem: 256 * p.N * p.r + 64 * 1024 * 1024 })
  return new Uint8Array(key)
}

async function atomicWrite(path: string, data: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  const tmp = `${path}.tmp-${process.pid}-${bytesToHex(nodeRandomBytes(4))}`
  const fh = await openFile(tmp, 'wx', 0o600)
  try {
    await fh.writeFile(data)
    await fh.sync()
  } finally {
    await fh.close()
  }
  await rename(tmp, path)
  const dir = await openFile(dirname(path), 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
}

/** Overwrite a file with random bytes and flush before deleting it (best effort on journaling/SSD storage). */
async function shred(path: string): Promise<void> {
  let size: number
  try {
    size = (await stat(path)).size
  } catch {
    return
  }
  const fh = await openFile(path, 'r+')
  try {
    await fh.write(nodeRandomBytes(Math.max(size, 1)), 0, Math.max(size, 1), 0)
    await fh.sync()
  } finally {
    await fh.close()
  }
  await unlink(path)
}

async function shredTree(dir: string): Promise<void> {
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch {
    return
  }
  for (const e of entries) {
    const p = join(dir, e.name)
    if (e.isDirectory()) await shredTree(p)
    else await shred(p)
  }
  await rm(dir, { recursive: true, force: true })
}

function encodePayload(u: UnlockedIdentity): Uint8Array {
  const payload: Payload = {
    phrase: u.phrase,
    createdAt: u.createdAt,
    prekeys: u.prekeys.map((p) => ({
      id: p.id,
      expiresAt: p.expiresAt,
      x25519: bytesToHex(p.x25519.secretKey),
      x25519Public: bytesToHex(p.x25519.publicKey),
      mlkemSecret: bytesToHex(p.mlkem.secretKey),
      mlkemPublic: bytesToHex(p.mlkem.publicKey),
    })),
  }
  return utf8.encode(JSON.stringify(payload))
}

function decodePayload(bytes: Uint8Array): UnlockedIdentity {
  const p = JSON.parse(new TextDecoder().decode(bytes)) as Payload
  return {
    phrase: p.phrase,
    createdAt: p.createdAt,
    identity: identityFromPhrase(p.phrase),
    prekeys: p.prekeys.map((k) => ({
      id: k.id,
      expiresAt: k.expiresAt,
      x25519: { secretKey: hexToBytes(k.x25519), publicKey: hexToBytes(k.x25519Public) },
      mlkem: { secretKey: hexToBytes(k.mlkemSecret), publicKey: hexToBytes(k.mlkemPublic) },
    })),
  }
}

async function writeKeystore(
  datadir: string,
  u: UnlockedIdentity,
  passphrase: string,
  duressPassphrase: string | undefined,
  params: ScryptParams,
  random: RandomSource,
): Promise<void> {
  const salt = random(16)
  const key = await deriveKey(passphrase, salt, params)
  const duressSalt = random(16)
  let duressSealed: Uint8Array
  if (duressPassphrase !== undefined) {
    if (duressPassphrase.normalize('NFKC') === passphrase.normalize('NFKC')) {
      throw new SessionError('BAD_PASSPHRASE', 'the duress passphrase must differ from the passphrase')
    }
    const dk = await deriveKey(duressPassphrase, duressSalt, params)
    const marker = new Uint8Array(DURESS_PAYLOAD_BYTES)
    marker.set(utf8.encode(DURESS_MARKER))
    duressSealed = seal(dk, marker, AAD, random)
  } else {
    duressSealed = random(DURESS_SLOT_BYTES)
  }
  const file: KeystoreFile = {
    version: FILE_VERSION,
    kdf: { name: 'scrypt', ...params },
    identity: { salt: bytesToHex(salt), sealed: bytesToHex(seal(key, encodePayload(u), AAD, random)) },
    duress: { salt: bytesToHex(duressSalt), sealed: bytesToHex(duressSealed) },
  }
  await atomicWrite(keystorePath(datadir), utf8.encode(JSON.stringify(file, null, 2) + '\n'))
}

function newIdentity(phrase: string, now: number, random: RandomSource): UnlockedIdentity {
  const normalized = normalizePhrase(phrase)
  return { phrase: normalized, identity: identityFromPhrase(normalized), createdAt: now, prekeys: [generatePrekey(1, now, random)] }
}

/**
 * Create the identity of a datadir: from `phrase` (a restore) or a new one. Refuses to overwrite an
 * existing identity (IDENTITY_EXISTS).
 */
export async function createKeystore(
  datadir: string,
  passphrase: string,
  options: KeystoreOptions & { phrase?: string; duressPassphrase?: string } = {},
): Promise<UnlockedIdentity> {
  const random = options.random ?? osRandom
  const phrase = normalizePhrase(options.phrase ?? generatePhrase(random))
  if (keystoreExists(datadir)) {
    throw new SessionError('IDENTITY_EXISTS', `${keystorePath(datadir)} already holds an identity; use another --datadir to keep both`)
  }
  if (passphrase.length === 0) throw new SessionError('BAD_PASSPHRASE', 'the passphrase must not be empty')
  const now = options.now ?? Math.floor(Date.now() / 1000)
  const u = newIdentity(phrase, now, random)
  await writeKeystore(datadir, u, passphrase, options.duressPassphrase, options.scrypt ?? DEFAULT_SCRYPT, random)
  return u
}

function parseFile(text: string, path: string): KeystoreFile {
  let f: KeystoreFile
  try {
    f = JSON.parse(text) as KeystoreFile
  } catch (e) {
    throw new SessionError('MALFORMED', `${path} is not a keystore (not JSON)`, { cause: e })
  }
  if (f.version !== FILE_VERSION) throw new SessionError('UNSUPPORTED_VERSION', `${path}: keystore version ${String(f.version)}`)
  if (f.kdf?.name !== 'scrypt' || typeof f.identity?.salt !== 'string' || typeof f.duress?.sealed !== 'string') {
    throw new SessionError('MALFORMED', `${path}: keystore fields missing`)
  }
  return f
}

/**
 * Open the identity of a datadir. WRONG_PASSPHRASE (nothing changed) if neither slot opens; with the
 * duress passphrase, wipes and answers with a fresh identity (see above).
 */
export async function unlockKeystore(datadir: string, passphrase: string, options: KeystoreOptions = {}): Promise<UnlockedIdentity> {
  const path = keystorePath(datadir)
  if (!existsSync(path))
    throw new SessionError('NO_IDENTITY', `no identity in ${sessionDir(datadir)}: create one with \`parsctl session identity create\``)
  const file = parseFile(await readFile(path, 'utf8'), path)
  const params: ScryptParams = { N: file.kdf.N, r: file.kdf.r, p: file.kdf.p }
  const key = await deriveKey(passphrase, hexToBytes(file.identity.salt), params)
  const payload = open(key, hexToBytes(file.identity.sealed), AAD)
  if (payload !== undefined) return decodePayload(payload)
  const dk = await deriveKey(passphrase, hexToBytes(file.duress.salt), params)
  const marker = open(dk, hexToBytes(file.duress.sealed), AAD)
  if (marker === undefined || !new TextDecoder().decode(marker).startsWith(DURESS_MARKER)) {
    throw new SessionError('WRONG_PASSPHRASE', 'wrong passphrase: the identity did not open (nothing was changed)')
  }
  // duress: destroy, then look ordinary
  await shred(path)
  await shredTree(messageStorePath(datadir))
  const random = options.random ?? osRandom
  const now = options.now ?? Math.floor(Date.now() / 1000)
  const decoy = newIdentity(generatePhrase(random), now, random)
  await writeKeystore(datadir, decoy, passphrase, undefined, params, random)
  return decoy
}

/** A prekey is replaced when the newest one has less than this left (seconds). */
export const PREKEY_ROTATE_BEFORE_SECONDS = 7 * 24 * 3600
/** Prekeys a keystore keeps at most: the newest, and older ones still open handshakes in flight. */
const KEPT_PREKEYS = 3

/**
 * Rotate the signed prekey: when the newest one has less than `within` seconds left, add a fresh one
 * and drop expired ones (at most KEPT_PREKEYS kept), re-sealing the identity slot under the same
 * passphrase; the duress slot is left byte for byte as it is. Returns the identity as it now is, or
 * undefined when nothing was due. WRONG_PASSPHRASE (and nothing written) if the passphrase does not
 * open the identity slot — never the duress path.
 */
export async function rotatePrekeys(
  datadir: string,
  passphrase: string,
  options: KeystoreOptions & { within?: number } = {},
): Promise<UnlockedIdentity | undefined> {
  const path = keystorePath(datadir)
  const file = parseFile(await readFile(path, 'utf8'), path)
  const params: ScryptParams = { N: file.kdf.N, r: file.kdf.r, p: file.kdf.p }
  const key = await deriveKey(passphrase, hexToBytes(file.identity.salt), params)
  const payload = open(key, hexToBytes(file.identity.sealed), AAD)
  if (payload === undefined) throw new SessionError('WRONG_PASSPHRASE', 'wrong passphrase: the identity did not open (nothing was changed)')
  const u = decodePayload(payload)
  const now = options.now ?? Math.floor(Date.now() / 1000)
  const newest = Math.max(0, ...u.prekeys.map((p) => p.expiresAt))
  if (newest - now > (options.within ?? PREKEY_ROTATE_BEFORE_SECONDS)) return undefined
  const random = options.random ?? osRandom
  const next = generatePrekey(Math.max(0, ...u.prekeys.map((p) => p.id)) + 1, now, random)
  const kept = [next, ...u.prekeys.filter((p) => p.expiresAt > now).sort((a, b) => b.expiresAt - a.expiresAt)].slice(0, KEPT_PREKEYS)
  const rotated: UnlockedIdentity = { ...u, prekeys: kept }
  const salt = random(16)
  const newKey = await deriveKey(passphrase, salt, params)
  const out: KeystoreFile = {
    ...file,
    identity: { salt: bytesToHex(salt), sealed: bytesToHex(seal(newKey, encodePayload(rotated), AAD, random)) },
  }
  await atomicWrite(path, utf8.encode(JSON.stringify(out, null, 2) + '\n'))
  return rotated
}
