// Reading passphrases and recovery phrases for parsctl: from a file, from a terminal without echo,
// or as one line of a piped stdin.
import { open } from 'node:fs/promises'
import { CliError, fileProblem } from './cliError.js'

/** Larger than any passphrase or phrase: a bigger "secret file" is a mistake (or /dev/zero). */
const MAX_SECRET_FILE_BYTES = 64 * 1024

/**
 * The text of a small file (a regular file, or a pipe such as `<(pass show pars)`), read to its end.
 * `flag` names where the path came from, for the message when it cannot be read.
 */
export async function readSmallFile(path: string, flag: string): Promise<string> {
  const chunks: Buffer[] = []
  let total = 0
  try {
    const fh = await open(path, 'r')
    try {
      for (;;) {
        const buf = Buffer.alloc(16 * 1024)
        const { bytesRead } = await fh.read(buf, 0, buf.length, null)
        if (bytesRead === 0) break
        total += bytesRead
        if (total > MAX_SECRET_FILE_BYTES)
          throw new CliError(`${flag} ${path}: larger than ${MAX_SECRET_FILE_BYTES} bytes, not a passphrase or phrase file`)
        chunks.push(buf.subarray(0, bytesRead))
      }
    } finally {
      await fh.close()
    }
  } catch (e) {
    if (e instanceof CliError) throw e
    throw new CliError(`cannot read ${flag} ${path}: ${fileProblem(e, false) ?? (e instanceof Error ? e.message : String(e))}`)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** A passphrase file's content is the passphrase, with one trailing newline (\n or \r\n) removed. */
export async function readPassphraseFile(path: string, flag: string): Promise<string> {
  return (await readSmallFile(path, flag)).replace(/\r?\n$/, '')
}

/** One line from a stdin that is not a terminal (a pipe or a file), without its line ending. */
export function readStdinLine(): Promise<string> {
  const stdin = process.stdin
  return new Promise((resolve, reject) => {
    let buf = ''
    const done = (line: string): void => {
      stdin.off('data', onData)
      stdin.off('end', onEnd)
      stdin.off('error', onError)
      stdin.pause()
      resolve(line.replace(/\r$/, ''))
    }
    const onData = (chunk: string): void => {
      buf += chunk
      const nl = buf.indexOf('\n')
      if (nl >= 0) done(buf.slice(0, nl))
      else if (buf.length > MAX_SECRET_FILE_BYTES) onError(new CliError('stdin: no line ending in the first 64 KiB'))
    }
    const onEnd = (): void => done(buf)
    const onError = (e: Error): void => {
      stdin.off('data', onData)
      stdin.off('end', onEnd)
      stdin.off('error', onError)
      stdin.pause()
      reject(e instanceof CliError ? e : new CliError(`cannot read stdin: ${e.message}`))
    }
    stdin.setEncoding('utf8')
    stdin.on('data', onData)
    stdin.on('end', onEnd)
    stdin.on('error', onError)
    stdin.resume()
  })
}

/**
 * Ask on the terminal (the question on stderr, so stdout stays clean) and read the answer without
 * echo. Backspace and Ctrl-U edit; Enter ends; Ctrl-C cancels (exit status 130); Ctrl-D on an empty
 * answer ends it empty.
 */
export function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin
  const out = process.stderr
  return new Promise((resolve) => {
    let value = ''
    const finish = (): void => {
      stdin.off('data', onData)
      stdin.setRawMode(false)
      stdin.pause()
      out.write('\n')
    }
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') {
          finish()
          resolve(value)
          return
        }
        if (ch === '\u0003') {
          finish()
          process.exit(130)
        }
        if (ch === '\u0004') {
          if (value !== '') continue
          finish()
          resolve(value)
          return
        }
        if (ch === '\u007f' || ch === '\b') value = Array.from(value).slice(0, -1).join('')
        else if (ch === '\u0015') value = ''
        else if (ch === '\u001b')
          break // an escape sequence (arrow keys...): ignore the rest of it
        else if (ch >= ' ') value += ch
      }
    }
    // echo off before the question appears: what is typed once it shows is never echoed
    stdin.setRawMode(true)
    stdin.setEncoding('utf8')
    out.write(question)
    stdin.on('data', onData)
    stdin.resume()
  })
}
