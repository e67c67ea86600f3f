// A `sessiond` process for e2e tests: started on a datadir, ready when its control API listens
// (the line it logs, not a timer), stopped by its pid; nothing outlives the test worker.
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import type { MessageEvent, ParsSession } from '../../../session/index.js'
import { deathSignalPrefix, REPO_ROOT } from './node.js'

export const SESSIOND = join(REPO_ROOT, 'dist', 'node', 'cli', 'sessiond.js')

export interface RunningDaemon {
  pid: number
  datadir: string
  output(): string
  stop(): Promise<void>
}

const live = new Set<ChildProcess>()
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL')
})

export async function startSessiond(args: string[], datadir: string): Promise<RunningDaemon> {
  const full = [...deathSignalPrefix(), process.execPath, SESSIOND, '--datadir', datadir, '--session-port', '0', ...args]
  const proc = spawn(full[0]!, full.slice(1), { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  live.add(proc)
  let out = ''
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
  void exited.then(() => live.delete(proc))
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer): void => {
      out += d.toString('utf8')
      if (out.includes('sessiond running')) resolve()
    }
    proc.stdout!.on('data', onData)
    proc.stderr!.on('data', onData)
    void exited.then(() => reject(new Error(`sessiond exited before it was ready:\n${out}`)))
  })
  return {
    pid: proc.pid!,
    datadir,
    output: () => out,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM')
      await exited
    },
  }
}

/** Every key and value of the service node stores of these (stopped) nodes' datadirs. */
export async function* serviceRecords(datadirs: readonly string[]): AsyncGenerator<[Uint8Array, Uint8Array]> {
  for (const d of datadirs) {
    const db = new ClassicLevel<Uint8Array, Uint8Array>(join(d, 'session', 'service'), { keyEncoding: 'view', valueEncoding: 'view' })
    await db.open()
    try {
      for await (const entry of db.iterator()) yield entry
    } finally {
      await db.close()
    }
  }
}

/** Resolve with the first `n` events the client's onMessage delivers (no timers: the long poll wakes on arrival). */
export function nextMessages(client: ParsSession, n: number, options: { session?: string; after?: number } = {}): Promise<MessageEvent[]> {
  return new Promise((resolve) => {
    const got: MessageEvent[] = []
    const stop = client.onMessage(
      (e) => {
        got.push(e)
        if (got.length === n) {
          stop()
          resolve(got)
        }
      },
      { ...options, includeOwn: true },
    )
  })
}

/** Resolve with the first event of `client` that `match` accepts. */
export function nextEvent(
  client: ParsSession,
  match: (e: MessageEvent) => boolean,
  options: { session?: string; after?: number } = {},
): Promise<MessageEvent> {
  return new Promise((resolve) => {
    const stop = client.onMessage(
      (e) => {
        if (!match(e)) return
        stop()
        resolve(e)
      },
      { ...options, includeOwn: true },
    )
  })
}
