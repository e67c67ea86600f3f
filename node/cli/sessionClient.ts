// `parsctl session create|send|messages|list|close|status|peers` and `parsctl peers`: the session
// daemon of a datadir (parsd --session or sessiond), through its control API with the token of
// DATADIR/session/control.json. Loaded by parsctl only for these commands.
import { ParsSession, SessionError, type ConversationMessage, type MessageEvent } from '../../session/index.js'
import { CliError } from './cliError.js'

export type SessionClientCommand = 'create' | 'send' | 'messages' | 'list' | 'close' | 'status' | 'peers'

export interface SessionClientFlags {
  datadir: string
  recipient?: string
  session?: string
  message?: string
  follow?: boolean
}

function explain(e: unknown): unknown {
  if (!(e instanceof SessionError)) return e
  switch (e.code) {
    case 'NO_IDENTITY':
      return new CliError(
        `${e.message} (or create one before starting the daemon: parsctl session identity create, then --session-passphrase-file)`,
      )
    case 'UNKNOWN_SESSION':
      return new CliError(`${e.message} (parsctl session create --recipient ID)`)
    default:
      return new CliError(e.message)
  }
}

const time = (unixSeconds: number): string => new Date(unixSeconds * 1000).toISOString().slice(0, 16).replace('T', ' ')

function line(m: ConversationMessage): string {
  return `${time(m.timestamp)}  ${m.direction === 'in' ? '<' : '>'} ${m.text}\n`
}

function need(value: string | undefined, flag: string, cmd: string): string {
  if (value === undefined || value.length === 0) throw new CliError(`parsctl session ${cmd} needs --${flag}`)
  return value
}

export async function connectDaemon(datadir: string): Promise<ParsSession> {
  try {
    return await ParsSession.connect({ datadir })
  } catch (e) {
    throw explain(e)
  }
}

export async function runSessionCommand(cmd: SessionClientCommand, flags: SessionClientFlags): Promise<void> {
  const client = await connectDaemon(flags.datadir)
  const out = (s: string): boolean => process.stdout.write(s)
  try {
    switch (cmd) {
      case 'create': {
        const session = await client.createSession(need(flags.recipient, 'recipient', cmd))
        out(`session with ${session}\n${session}\n`)
        return
      }
      case 'send': {
        const session = need(flags.session, 'session', cmd)
        const m = await client.sendMessage(session, need(flags.message, 'message', cmd))
        out(`sent to ${session} through an onion path\n${m.id}\n`)
        return
      }
      case 'messages': {
        const session = need(flags.session, 'session', cmd)
        const msgs = await client.getMessages(session)
        for (const m of msgs) out(line(m))
        await client.markRead(session)
        if (flags.follow !== true) return
        const after = msgs.reduce((n, m) => Math.max(n, m.seq), 0)
        await new Promise<void>((resolve) => {
          const stop = client.onMessage(
            (e: MessageEvent) => {
              out(line(e.message))
              void client.markRead(session).catch(() => undefined)
            },
            { session, after, includeOwn: true, onError: (err) => process.stderr.write(`parsctl: ${err.message} (retrying)\n`) },
          )
          const end = (): void => {
            stop()
            resolve()
          }
          process.once('SIGINT', end)
          process.once('SIGTERM', end)
        })
        return
      }
      case 'list': {
        const sessions = await client.getSessions()
        if (sessions.length === 0) out('no sessions yet: parsctl session create --recipient ID\n')
        for (const s of sessions)
          out(`${s.peer}  ${s.messages} messages  ${s.unread} unread  ${s.lastTimestamp > 0 ? `last ${time(s.lastTimestamp)}` : ''}\n`)
        return
      }
      case 'close': {
        await client.closeSession(need(flags.session, 'session', cmd))
        out('closed: the conversation and its keys are deleted from this device\n')
        return
      }
      case 'status': {
        out(await sessionStatusText(client))
        return
      }
      case 'peers': {
        const peers = await client.getPeers()
        for (const p of peers) out(`${p.peerId}${p.guard ? '  guard' : ''}${p.mySwarm ? '  my swarm' : ''}\n`)
        return
      }
    }
  } catch (e) {
    throw explain(e)
  } finally {
    client.close()
  }
}

/** The daemon's part of `parsctl status`. */
export async function sessionStatusText(client: ParsSession): Promise<string> {
  const s = await client.getStatus()
  if (!s.identity) return 'session      daemon running, no identity yet\n'
  const poll = s.lastPoll !== undefined && s.lastPoll > 0 ? new Date(s.lastPoll).toISOString() : 'not yet'
  return (
    `session id   ${s.sessionId}\n` +
    `sessions     ${s.sessions}\n` +
    `nodes        ${s.serviceNodes} service nodes, ${(s.guards ?? []).length} guards\n` +
    `last poll    ${poll}\n` +
    (s.unsynced !== undefined && s.unsynced > 0 ? `unsynced     ${s.unsynced} (device sync pending)\n` : '')
  )
}
