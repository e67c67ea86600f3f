// `parsctl session identity ...` as a user meets it: real processes of the built CLI on temporary
// datadirs (offline: no node is started). create / show / export-phrase / restore, the passphrase
// from a file or from stdin, the refusals that must leave the keystore byte-identical, and the
// duress passphrase.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import QRCode from 'qrcode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runParsctl, type CliRun } from './helpers/cli.js'

const SESSION_ID = /^05[0-9a-f]{64}$/

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '')
}

function lastLine(text: string): string {
  return lines(text).at(-1) ?? ''
}

/** A success: exit 0 and nothing on stderr. */
function expectOk(r: CliRun): void {
  expect(r.code, `exit status; stderr:\n${r.stderr}`).toBe(0)
  expect(r.stderr).toBe('')
}

/** A refusal: exit 1, one `parsctl: ...` line on stderr matching `why`, no stack trace, nothing on stdout. */
function expectRefused(r: CliRun, why: RegExp): void {
  expect(r.code, `exit status; stdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toBe(1)
  expect(lines(r.stderr), r.stderr).toHaveLength(1)
  expect(r.stderr).toMatch(/^parsctl: /)
  expect(r.stderr).toMatch(why)
  expect(r.stdout).toBe('')
}

let work: string
let n = 0
/** A fresh datadir path (not created). */
const datadir = (): string => join(work, `datadir-${++n}`)
/** A file holding `text`. */
function file(name: string, text: string): string {
  const path = join(work, name)
  writeFileSync(path, text)
  return path
}
const keystore = (dir: string): string => join(dir, 'session', 'identity.json')

let pass: string // --passphrase-file of the main identity
let main: string // its datadir
let created: CliRun
let mainId: string
let mainPhrase: string

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'pars-e2e-session-cli-'))
  pass = file('pass', 'correct horse battery staple\n')
  main = datadir()
  created = await runParsctl(['session', 'identity', 'create', '--datadir', main, '--passphrase-file', pass])
  expectOk(created)
  mainId = lastLine(created.stdout)
  const exported = await runParsctl(['session', 'identity', 'export-phrase', '--datadir', main, '--passphrase-file', pass])
  expectOk(exported)
  mainPhrase = exported.stdout.trim()
})

afterAll(() => {
  rmSync(work, { recursive: true, force: true })
})

describe('parsctl session identity', () => {
  it('create prints the Session ID on its last line and stores a keystore of mode 0600', () => {
    expect(mainId).toMatch(SESSION_ID)
    expect(mainId).toHaveLength(66)
    expect(created.stdout).toContain(keystore(main))
    expect(created.stdout).toContain('parsctl session identity export-phrase')
    expect(statSync(keystore(main)).mode & 0o777).toBe(0o600)
    // the keystore is encrypted: neither the passphrase nor the phrase is in it
    const text = readFileSync(keystore(main), 'utf8')
    expect(text).not.toContain('correct horse')
    expect(text).not.toContain(mainPhrase.split(' ').slice(0, 3).join(' '))
  })

  it('show prints the ID, its pars://session/ link and the link as a QR code', async () => {
    const r = await runParsctl(['session', 'identity', 'show', '--datadir', main, '--passphrase-file', pass])
    expectOk(r)
    const out = r.stdout.split('\n')
    expect(out[0]).toBe(`Session ID  ${mainId}`)
    expect(out[1]).toBe(`Link        pars://session/${mainId}`)
    // the QR block is the link's QR code, as the qrcode package draws it for a terminal
    const qr = await QRCode.toString(`pars://session/${mainId}`, { type: 'terminal', small: true })
    const qrRows = qr.split('\n').filter((l) => /[▀▄█]/.test(l))
    expect(qrRows.length).toBeGreaterThan(15)
    expect(r.stdout).toContain(qrRows.join('\n'))
  })

  it('export-phrase prints the 24 words on one line', () => {
    expect(mainPhrase).toMatch(/^[a-z]+( [a-z]+){23}$/)
  })

  it('restore of that phrase in a fresh datadir gives the same Session ID (case and spacing do not matter)', async () => {
    const dir = datadir()
    const messy = mainPhrase
      .toUpperCase()
      .split(' ')
      .map((w, i) => (i % 6 === 5 ? `${w}\n` : `${w}  `))
      .join('')
    const phraseFile = file('phrase-messy', `  ${messy}\n`)
    const r = await runParsctl(['session', 'identity', 'restore', '--phrase-file', phraseFile, '--datadir', dir, '--passphrase-file', pass])
    expectOk(r)
    expect(lastLine(r.stdout)).toBe(mainId)
    expect(r.stdout).toContain(keystore(dir))
    expect(statSync(keystore(dir)).mode & 0o777).toBe(0o600)
  })

  it('restore over an existing identity is refused and leaves the file byte-identical', async () => {
    const before = readFileSync(keystore(main))
    const phraseFile = file('phrase', mainPhrase + '\n')
    const r = await runParsctl([
      'session',
      'identity',
      'restore',
      '--phrase-file',
      phraseFile,
      '--datadir',
      main,
      '--passphrase-file',
      pass,
    ])
    expectRefused(r, /already holds an identity/)
    expect(r.stderr).toMatch(/another --datadir/)
    expect(readFileSync(keystore(main)).equals(before)).toBe(true)
    // create over it is refused the same way
    const c = await runParsctl(['session', 'identity', 'create', '--datadir', main, '--passphrase-file', pass])
    expectRefused(c, /already holds an identity/)
    expect(readFileSync(keystore(main)).equals(before)).toBe(true)
  })

  it('a wrong passphrase is refused and changes nothing', async () => {
    const before = readFileSync(keystore(main))
    const wrong = file('wrong', 'correct horse battery stapler\n')
    for (const cmd of ['show', 'export-phrase']) {
      const r = await runParsctl(['session', 'identity', cmd, '--datadir', main, '--passphrase-file', wrong])
      expectRefused(r, /wrong passphrase/)
      expect(r.stderr).toMatch(/nothing was changed/)
      expect(readFileSync(keystore(main)).equals(before)).toBe(true)
    }
  })

  it('a phrase that is not a valid 24-word recovery phrase is refused, and nothing is stored', async () => {
    const words = mainPhrase.split(' ')
    const cases = {
      short: words.slice(0, 12).join(' '),
      checksum: Array(24).fill('abandon').join(' '), // BIP39 words, but the checksum fails ("... abandon art" is valid)
      unknown: [...words.slice(0, 23), 'parsec'].join(' '), // not a BIP39 word
    }
    for (const [name, phrase] of Object.entries(cases)) {
      const dir = datadir()
      const r = await runParsctl([
        'session',
        'identity',
        'restore',
        '--phrase-file',
        file(`bad-${name}`, phrase),
        '--datadir',
        dir,
        '--passphrase-file',
        pass,
      ])
      expectRefused(r, /not a valid 24-word recovery phrase/)
      expect(existsSync(keystore(dir))).toBe(false)
    }
  })

  it('reads the passphrase as one line of stdin when stdin is not a terminal', async () => {
    // show: the file's passphrase (its newline stripped) equals the stdin line
    const r = await runParsctl(['session', 'identity', 'show', '--datadir', main], { input: 'correct horse battery staple\nignored\n' })
    expectOk(r)
    expect(r.stdout.split('\n')[0]).toBe(`Session ID  ${mainId}`)
    // create from stdin with the default datadir ($HOME/.pars, as parsd), then open it with a file
    // holding the same passphrase without a newline
    const home = join(work, 'home')
    const c = await runParsctl(['session', 'identity', 'create'], { input: 'from stdin\r\n', env: { HOME: home } })
    expectOk(c)
    const id = lastLine(c.stdout)
    expect(id).toMatch(SESSION_ID)
    expect(existsSync(keystore(join(home, '.pars')))).toBe(true)
    const s = await runParsctl(['session', 'identity', 'show', '--passphrase-file', file('no-newline', 'from stdin')], {
      env: { HOME: home },
    })
    expectOk(s)
    expect(s.stdout.split('\n')[0]).toBe(`Session ID  ${id}`)
  })

  it('refuses an empty passphrase (stdin or file), and stores nothing', async () => {
    const dir = datadir()
    expectRefused(await runParsctl(['session', 'identity', 'create', '--datadir', dir], { input: '\n' }), /passphrase/)
    expectRefused(await runParsctl(['session', 'identity', 'create', '--datadir', dir], { input: '' }), /passphrase/)
    expectRefused(await runParsctl(['session', 'identity', 'create', '--datadir', dir, '--passphrase-file', file('empty', '\n')]), /empty/)
    expect(existsSync(keystore(dir))).toBe(false)
  })

  it('other mistakes get one clear line: no identity, unreadable files, flags that do not apply', async () => {
    expectRefused(
      await runParsctl(['session', 'identity', 'show', '--datadir', datadir(), '--passphrase-file', pass]),
      /no identity in .*parsctl session identity create/,
    )
    const missing = join(work, 'missing')
    expectRefused(
      await runParsctl(['session', 'identity', 'show', '--datadir', main, '--passphrase-file', missing]),
      /cannot read .*missing/,
    )
    expectRefused(
      await runParsctl(['session', 'identity', 'restore', '--datadir', datadir(), '--phrase-file', missing, '--passphrase-file', pass]),
      /cannot read .*missing/,
    )
    expectRefused(await runParsctl(['session', 'identity', 'restore', '--datadir', datadir(), '--passphrase-file', pass]), /--phrase-file/)
    expectRefused(
      await runParsctl([
        'session',
        'identity',
        'create',
        '--datadir',
        datadir(),
        '--passphrase-file',
        pass,
        '--duress-passphrase-file',
        pass,
      ]),
      /duress passphrase must differ/,
    )
    expectRefused(
      await runParsctl(['session', 'identity', 'show', '--datadir', main, '--phrase-file', pass]),
      /--phrase-file does not apply/,
    )
    expectRefused(await runParsctl(['session', 'identity', 'frobnicate']), /unknown command/)
    const help = await runParsctl(['--help'])
    expectOk(help)
    for (const cmd of ['create', 'show', 'export-phrase', 'restore']) expect(help.stdout).toContain(`parsctl session identity ${cmd}`)
    for (const flag of ['--datadir', '--passphrase-file', '--duress-passphrase-file', '--phrase-file']) expect(help.stdout).toContain(flag)
  })

  it('the duress passphrase erases the identity and answers, as usual, with a new one', async () => {
    const dir = datadir()
    const duress = file('duress', 'open sesame\n')
    const c = await runParsctl([
      'session',
      'identity',
      'create',
      '--datadir',
      dir,
      '--passphrase-file',
      pass,
      '--duress-passphrase-file',
      duress,
    ])
    expectOk(c)
    const realId = lastLine(c.stdout)
    expect(realId).toMatch(SESSION_ID)
    const realPhrase = await runParsctl(['session', 'identity', 'export-phrase', '--datadir', dir, '--passphrase-file', pass])
    expectOk(realPhrase)

    // under duress: exit 0, an ordinary answer with another valid ID
    const shown = await runParsctl(['session', 'identity', 'show', '--datadir', dir, '--passphrase-file', duress])
    expectOk(shown)
    const out = shown.stdout.split('\n')
    const decoyId = out[0]!.replace(/^Session ID {2}/, '')
    expect(decoyId).toMatch(SESSION_ID)
    expect(decoyId).not.toBe(realId)
    expect(out[1]).toBe(`Link        pars://session/${decoyId}`)
    expect(shown.stdout).not.toMatch(/duress|eras|wipe/i)

    // the real passphrase no longer opens anything
    const real = await runParsctl(['session', 'identity', 'show', '--datadir', dir, '--passphrase-file', pass])
    expectRefused(real, /wrong passphrase/)

    // the duress passphrase now opens the new identity, whose phrase is another one
    const decoyPhrase = await runParsctl(['session', 'identity', 'export-phrase', '--datadir', dir, '--passphrase-file', duress])
    expectOk(decoyPhrase)
    expect(decoyPhrase.stdout.trim()).toMatch(/^[a-z]+( [a-z]+){23}$/)
    expect(decoyPhrase.stdout.trim()).not.toBe(realPhrase.stdout.trim())
    const again = await runParsctl(['session', 'identity', 'show', '--datadir', dir, '--passphrase-file', duress])
    expectOk(again)
    expect(again.stdout.split('\n')[0]).toBe(`Session ID  ${decoyId}`)
  })
})
