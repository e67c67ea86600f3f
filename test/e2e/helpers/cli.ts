// parsctl as users run it, for e2e tests: a child process, never blocking this one (the tests' own
// daemons and clients keep running while it does), stopped by its timeout at the latest.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { REPO_ROOT } from './node.js'

export const PARSCTL = join(REPO_ROOT, 'dist', 'node', 'cli', 'parsctl.js')

export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * Run parsctl to completion. A failing command is an answer here, not a test error: look at `code`.
 * `input` is written to its stdin (a pipe, not a TTY), then closed.
 */
export function runParsctl(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PARSCTL, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 120_000,
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.on('error', () => {}) // EPIPE when parsctl exits without reading its stdin
    child.stdin.end(opts.input ?? '')
  })
}

/** parsctl's stdout; a command that fails throws, with what it printed. */
export async function parsctl(...args: string[]): Promise<string> {
  const r = await runParsctl(args)
  if (r.code !== 0) throw new Error(`parsctl ${args.join(' ')} exited with ${r.code}:\n${r.stderr}${r.stdout}`)
  return r.stdout
}
