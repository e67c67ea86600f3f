// `parsctl session identity ...`: the Session identity of a datadir, offline (the keystore file only,
// never the RPC). Loaded by parsctl only for these commands.
import { resolve } from 'node:path'
import QRCode from 'qrcode'
import {
  SessionError,
  createKeystore,
  keystoreExists,
  keystorePath,
  normalizePhrase,
  sessionLink,
  unlockKeystore,
  type UnlockedIdentity,
} from '../../session/index.js'
import { parseNodeArgs } from '../options.js'
import { CliError, fileProblem } from './cliError.js'
import { promptHidden, readPassphraseFile, readSmallFile, readStdinLine } from './secrets.js'

export type IdentityCommand = 'create' | 'show' | 'export-phrase' | 'restore'

export interface IdentityFlags {
  datadir?: string
  passphraseFile?: string
  duressPassphraseFile?: string
  phraseFile?: string
}

/** The datadir as parsd resolves it: the same default (~/.pars) and the same ~ expansion. */
function resolveDatadir(flag: string | undefined): string {
  if (flag === '') throw new CliError('--datadir must not be empty')
  return resolve(parseNodeArgs(flag === undefined ? [] : [`--datadir=${flag}`]).options.datadir)
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}

function noIdentity(datadir: string): CliError {
  return new CliError(
    `no identity in ${datadir}: create one with \`parsctl session identity create\`, or restore one with \`parsctl session identity restore --phrase-file FILE\``,
  )
}

function identityExists(datadir: string): CliError {
  return new CliError(
    `${keystorePath(datadir)} already holds an identity; it was left as it is. To have another identity, use another --datadir`,
  )
}

/** The words of a SessionError (branching on its code) or of a file-system error; other errors pass through. */
function explain(e: unknown, datadir: string, phraseFile?: string): unknown {
  if (e instanceof SessionError) {
    const file = keystorePath(datadir)
    switch (e.code) {
      case 'WRONG_PASSPHRASE':
        return new CliError(`wrong passphrase: the identity in ${file} did not open; nothing was changed`)
      case 'NO_IDENTITY':
        return noIdentity(datadir)
      case 'IDENTITY_EXISTS':
        return identityExists(datadir)
      case 'BAD_PASSPHRASE':
        return new CliError(`${e.message}; nothing was stored`)
      case 'BAD_PHRASE':
        return new CliError(`${phraseFile ?? 'the phrase'} is not a valid 24-word recovery phrase (${e.message})`)
      case 'MALFORMED':
      case 'UNSUPPORTED_VERSION':
        return new CliError(`cannot read the keystore: ${e.message}`)
      default:
        return new CliError(e.message)
    }
  }
  const problem = fileProblem(e)
  if (problem !== undefined) return new CliError(`cannot use the datadir ${datadir}: ${problem}`)
  return e
}

async function ask(question: string): Promise<string> {
  const answer = await promptHidden(question)
  if (answer === '') throw new CliError('an empty passphrase is not allowed')
  return answer
}

/**
 * The passphrase: from --passphrase-file, else typed at the terminal (twice for a new identity), else
 * one line of stdin. Never empty.
 */
async function passphrase(flags: IdentityFlags, isNew: boolean): Promise<string> {
  if (flags.passphraseFile !== undefined) {
    const p = await readPassphraseFile(flags.passphraseFile, '--passphrase-file')
    if (p === '') throw new CliError(`--passphrase-file ${flags.passphraseFile} is empty: an empty passphrase is not allowed`)
    return p
  }
  if (process.stdin.isTTY === true) {
    if (!isNew) return ask('Passphrase: ')
    const p = await ask('Passphrase for the identity (it encrypts the keystore on this device): ')
    if ((await promptHidden('Repeat the passphrase: ')) !== p) throw new CliError('the two passphrases differ; nothing was stored')
    return p
  }
  const p = await readStdinLine()
  if (p === '')
    throw new CliError('no passphrase: stdin gave an empty line, or none (give --passphrase-file FILE, or run in a terminal to be asked)')
  return p
}

async function duressPassphrase(flags: IdentityFlags): Promise<string | undefined> {
  if (flags.duressPassphraseFile === undefined) return undefined
  const d = await readPassphraseFile(flags.duressPassphraseFile, '--duress-passphrase-file')
  if (d === '') throw new CliError(`--duress-passphrase-file ${flags.duressPassphraseFile} is empty: an empty passphrase is not allowed`)
  return d
}

/** create and restore: a new keystore, from a new phrase or the given one. */
async function store(datadir: string, flags: IdentityFlags, phrase: string | undefined): Promise<UnlockedIdentity> {
  if (keystoreExists(datadir)) throw identityExists(datadir) // before asking for anything (createKeystore checks again)
  const duress = await duressPassphrase(flags)
  const pass = await passphrase(flags, true)
  // the keystore derives keys from the NFKC form: two spellings of one passphrase are one passphrase
  if (duress !== undefined && duress.normalize('NFKC') === pass.normalize('NFKC')) {
    throw new CliError('the duress passphrase must differ from the passphrase; nothing was stored')
  }
  try {
    const options: { phrase?: string; duressPassphrase?: string } = {}
    if (phrase !== undefined) options.phrase = phrase
    if (duress !== undefined) options.duressPassphrase = duress
    return await createKeystore(datadir, pass, options)
  } catch (e) {
    throw explain(e, datadir, flags.phraseFile)
  }
}

/** Unlock the identity of a datadir (asking for the passphrase as the identity commands do); also used by `parsctl name register`. */
export async function unlock(datadir: string, flags: IdentityFlags): Promise<UnlockedIdentity> {
  if (!keystoreExists(datadir)) throw noIdentity(datadir) // before asking for the passphrase
  const pass = await passphrase(flags, false)
  try {
    return await unlockKeystore(datadir, pass)
  } catch (e) {
    throw explain(e, datadir)
  }
}

function write(lines: string[]): void {
  process.stdout.write(lines.join('\n') + '\n')
}

/**
 * Run `parsctl session identity <command>`. create and restore end with the Session ID alone on the
 * last line; show starts with `Session ID  <id>` and `Link        pars://session/<id>`, then the QR
 * code; export-phrase prints the 24 words on one line. Failures are CliErrors (one line, exit 1).
 */
export async function runIdentityCommand(command: IdentityCommand, flags: IdentityFlags): Promise<void> {
  const datadir = resolveDatadir(flags.datadir)
  const datadirFlag = flags.datadir === undefined ? '' : ` --datadir ${shellQuote(datadir)}`
  switch (command) {
    case 'create': {
      const u = await store(datadir, flags, undefined)
      // nothing is said about a duress passphrase: like the keystore file, the output does not tell whether one is set
      write([
        `Created a new identity in ${keystorePath(datadir)} (encrypted with your passphrase).`,
        'Write down its 24-word recovery phrase and keep it offline: it is the only way to restore this identity.',
        `  parsctl session identity export-phrase${datadirFlag}`,
        'Session ID:',
        u.identity.sessionId,
      ])
      return
    }
    case 'restore': {
      if (flags.phraseFile === undefined) throw new CliError('restore needs --phrase-file FILE (a file holding the 24 words)')
      let phrase: string
      try {
        phrase = normalizePhrase(await readSmallFile(flags.phraseFile, '--phrase-file'))
      } catch (e) {
        throw explain(e, datadir, `--phrase-file ${flags.phraseFile}`)
      }
      const u = await store(datadir, flags, phrase)
      write([`Restored the identity into ${keystorePath(datadir)} (encrypted with your passphrase).`, 'Session ID:', u.identity.sessionId])
      return
    }
    case 'show': {
      const u = await unlock(datadir, flags)
      const link = sessionLink(u.identity.sessionId)
      const qr = await QRCode.toString(link, { type: 'terminal', small: true })
      // qrcode ends its block with a line holding only colour codes: drop it
      write([`Session ID  ${u.identity.sessionId}`, `Link        ${link}`, '', qr.replace(/\n(?:\u001b\[[0-9;]*m)*$/, '')])
      return
    }
    case 'export-phrase': {
      const u = await unlock(datadir, flags)
      if (process.stdout.isTTY === true) {
        process.stderr.write('Anyone with these 24 words has this identity: write them down, keep them offline, share them with no one.\n')
      }
      write([u.phrase])
      return
    }
  }
}
