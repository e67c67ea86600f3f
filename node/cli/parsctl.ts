#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { VERSION } from '../version.js'
import { CliError } from './cliError.js'
import type { IdentityCommand, IdentityFlags } from './sessionIdentity.js'
import type { SessionClientCommand, SessionClientFlags } from './sessionClient.js'
import type { ServiceCommand } from './serviceNodeCli.js'
import type { NameCommand } from './nameCli.js'
import { parseNodeArgs } from '../options.js'

/** The fields that are set (the flag interfaces have optional fields, which may not hold undefined). */
function present<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> }
}

/** The datadir as parsd resolves it (default ~/.pars, ~ expanded) and the session flags. */
function sessionFlags(values: Record<string, string | boolean | undefined>): SessionClientFlags {
  const d = values['datadir']
  if (d === '') throw new CliError('--datadir must not be empty')
  const flags: SessionClientFlags = {
    datadir: parseNodeArgs(typeof d === 'string' ? [`--datadir=${d}`] : []).options.datadir,
  }
  for (const k of ['recipient', 'session', 'message'] as const) if (typeof values[k] === 'string') flags[k] = values[k]
  if (values['follow'] === true) flags.follow = true
  return flags
}

const HELP = `parsctl ${VERSION} — control client for a Pars node

Usage:
  parsctl [--rpc URL] status           chain id, head, finalized block, peers, mode, validators, client version
  parsctl [--rpc URL] validators       the validator set: stake, connection, polls answered, equivocations
  parsctl [--rpc URL] block [N|latest] a block (JSON)
  parsctl [--rpc URL] balance ADDRESS  balance in wei and PARS
  parsctl [--rpc URL] tx HASH          a transaction and its receipt (JSON)
  parsctl peers [--datadir DIR]        the service nodes the session daemon knows (guards, its own swarm)

Session messaging (through the session daemon of --datadir: parsd --session, or sessiond):
  parsctl session create --recipient ID     start a session with a Session ID (or pars://session/ link);
                                            prints the session's id (the peer's Session ID) on the last line
  parsctl session send --session ID --message TEXT
                                            encrypt and send through a 3-hop onion path
  parsctl session messages --session ID [--follow]
                                            the conversation (< received, > sent), marked read; --follow
                                            keeps printing new messages until Ctrl-C
  parsctl session list                      sessions, with message and unread counts
  parsctl session messages --session notices
                                            relay outcomes and contract notices (chain to inbox)
  parsctl session close --session ID        delete a conversation and its keys from this device
  parsctl session status                    the daemon: Session ID, sessions, service nodes, last poll
  parsctl session peers                     as parsctl peers
  parsctl session trigger --to ADDR --function "increment()" [--args JSON] [--wait] [--relay PEERID]
                                            the daemon of --datadir signs an action for a SessionTrigger
                                            contract and sends it through an onion path to a relay, which
                                            pays the gas; the outcome arrives in \`--session notices\`;
                                            --wait: the transaction hash and status on the last line
                                            (with --from-key FILE: signed here and sent from FILE's account)

Names (the Session Name Service: alice.pars names a Session ID; 1 PARS a year, burned):
  parsctl name register NAME --from-key FILE [--datadir DIR] [--passphrase-file F] [--rpc URL]
                                            NAME for the Session identity of DIR, owned by the account of FILE
  parsctl name resolve NAME [--rpc URL]     the Session ID on the last line
  parsctl name renew NAME --from-key FILE   another year
  parsctl name transfer NAME --to ADDRESS --from-key FILE
  parsctl name release NAME --from-key FILE
  Every --recipient / --session also takes a name (alice.pars), resolved at the finalized block of --rpc.

Service nodes (joining the session network with stake, through the ServiceNodeRegistry contract):
  parsctl service register --datadir DIR --from-key FILE [--stake PARS] [--rpc URL]
                                            sign with DIR's node.key and onion.key (made when missing) and
                                            stake from the account of FILE (default 1000 PARS, the minimum)
  parsctl service deregister --datadir DIR --from-key FILE [--rpc URL]
  parsctl service list [--rpc URL]          the nodes registered now (finalized)

Session identity (offline: these read and write the datadir's keystore, never the node):
  parsctl session identity create [--datadir DIR] [--passphrase-file F] [--duress-passphrase-file F]
      a new identity; prints its Session ID on the last line
  parsctl session identity show [--datadir DIR] [--passphrase-file F]
      the Session ID, its pars://session/ link, and the link as a QR code
  parsctl session identity export-phrase [--datadir DIR] [--passphrase-file F]
      the 24-word recovery phrase, on one line
  parsctl session identity restore --phrase-file F [--datadir DIR] [--passphrase-file F] [--duress-passphrase-file F]
      the identity of a recovery phrase; prints its Session ID on the last line

Flags:
  --rpc URL                       JSON-RPC endpoint (default: http://127.0.0.1:8545, or $PARS_RPC)
  --datadir DIR                   the identity lives in DIR/session/identity.json (default: ~/.pars, as parsd)
  --passphrase-file FILE          the keystore passphrase (one trailing newline is ignored); without it parsctl
                                  asks without echo in a terminal (twice for a new identity), or reads one line
                                  of stdin. An empty passphrase is refused
  --duress-passphrase-file FILE   a second passphrase: unlocking with it erases the identity and answers with a
                                  new, empty one, as if nothing happened
  --phrase-file FILE              the 24 words to restore (case and spacing do not matter)
  --recipient ID, --session ID    a Session ID (05 + 64 hex digits) or its pars://session/ link
  --message TEXT                  the message text
  --follow                        keep waiting for new messages
  --from-key FILE                 a file holding the 0x private key of the account that pays
  --stake PARS                    the stake, in PARS (default 1000)
  --to ADDRESS                    the new owner of a name
  --help                          show this help
`

/** Which flags each command takes (--help aside). */
const COMMAND_FLAGS: Record<string, readonly string[]> = {
  status: ['rpc', 'datadir'],
  peers: ['datadir'],
  'session create': ['datadir', 'recipient', 'rpc'],
  'session send': ['datadir', 'session', 'message', 'rpc'],
  'session messages': ['datadir', 'session', 'follow', 'rpc'],
  'session list': ['datadir'],
  'session close': ['datadir', 'session', 'rpc'],
  'session trigger': ['datadir', 'rpc', 'passphrase-file', 'from-key', 'to', 'function', 'args', 'wait', 'expiry', 'relay'],
  'name register': ['rpc', 'datadir', 'passphrase-file', 'from-key'],
  'name resolve': ['rpc'],
  'name renew': ['rpc', 'from-key'],
  'name transfer': ['rpc', 'from-key', 'to'],
  'name release': ['rpc', 'from-key'],
  'session status': ['datadir'],
  'session peers': ['datadir'],
  'service register': ['rpc', 'datadir', 'from-key', 'stake'],
  'service deregister': ['rpc', 'datadir', 'from-key'],
  'service list': ['rpc'],
  validators: ['rpc'],
  block: ['rpc'],
  balance: ['rpc'],
  tx: ['rpc'],
  'session identity create': ['datadir', 'passphrase-file', 'duress-passphrase-file'],
  'session identity show': ['datadir', 'passphrase-file'],
  'session identity export-phrase': ['datadir', 'passphrase-file'],
  'session identity restore': ['datadir', 'passphrase-file', 'duress-passphrase-file', 'phrase-file'],
}

async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  let res: Response
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    })
  } catch {
    throw new CliError(`cannot reach ${url}: is parsd running?`)
  }
  const body = (await res.json()) as { result?: unknown; error?: { code: number; message: string } }
  if (body.error !== undefined) throw new CliError(`${method}: ${body.error.message} (${body.error.code})`)
  return body.result
}

function formatPars(wei: bigint): string {
  const whole = wei / 10n ** 18n
  const frac = (wei % 10n ** 18n).toString().padStart(18, '0').replace(/0+$/, '')
  return frac.length > 0 ? `${whole}.${frac}` : whole.toString()
}

async function main(): Promise<void> {
  let parsed
  try {
    parsed = parseArgs({
      args: process.argv.slice(2),
      options: {
        rpc: { type: 'string' },
        datadir: { type: 'string' },
        'passphrase-file': { type: 'string' },
        'duress-passphrase-file': { type: 'string' },
        'phrase-file': { type: 'string' },
        recipient: { type: 'string' },
        session: { type: 'string' },
        message: { type: 'string' },
        follow: { type: 'boolean' },
        'from-key': { type: 'string' },
        stake: { type: 'string' },
        to: { type: 'string' },
        function: { type: 'string' },
        args: { type: 'string' },
        wait: { type: 'boolean' },
        expiry: { type: 'string' },
        relay: { type: 'string' },
        help: { type: 'boolean' },
      },
      allowPositionals: true,
    })
  } catch (e) {
    // node's parseArgs: "Unknown option '--x'. To specify a positional argument ..." -> its first sentence
    throw new CliError(`${(e instanceof Error ? e.message : String(e)).split('. ')[0]!.replace(/\.$/, '')} (see parsctl --help)`)
  }
  const { values, positionals } = parsed
  if (values.help === true || positionals.length === 0) {
    process.stdout.write(HELP)
    return
  }
  const words =
    positionals[0] === 'session'
      ? positionals[1] === 'identity'
        ? 3
        : 2
      : positionals[0] === 'service' || positionals[0] === 'name'
        ? 2
        : 1
  const command = positionals.slice(0, words).join(' ')
  const allowed = COMMAND_FLAGS[command]
  if (allowed === undefined) {
    if (positionals[0] === 'session') {
      throw new CliError(
        `unknown command ${JSON.stringify(command)}: parsctl session create|send|messages|list|close|status|peers|trigger, or parsctl session identity create|show|export-phrase|restore (see parsctl --help)`,
      )
    }
    throw new CliError(`unknown command ${JSON.stringify(command)} (see parsctl --help)`)
  }
  for (const [flag, value] of Object.entries(values)) {
    if (value !== undefined && flag !== 'help' && !allowed.includes(flag))
      throw new CliError(`--${flag} does not apply to \`parsctl ${command}\``)
  }
  if (positionals.length > words + (positionals[0] === 'name' ? 1 : 0) && !['block', 'balance', 'tx'].includes(command)) {
    throw new CliError(`unexpected argument ${JSON.stringify(positionals[words])} (see parsctl --help)`)
  }
  const url = values.rpc ?? process.env['PARS_RPC'] ?? 'http://127.0.0.1:8545'
  if (positionals[0] === 'name') {
    const { runNameCommand } = await import('./nameCli.js')
    await runNameCommand(positionals[1] as NameCommand, positionals[2], {
      rpc: url,
      datadir: sessionFlags(values).datadir,
      ...present({ passphraseFile: values['passphrase-file'], fromKey: values['from-key'], to: values.to }),
    })
    return
  }
  if (command === 'session trigger') {
    const { runTrigger } = await import('./triggerCli.js')
    await runTrigger({
      rpc: url,
      datadir: sessionFlags(values).datadir,
      ...present({
        passphraseFile: values['passphrase-file'],
        fromKey: values['from-key'],
        to: values.to,
        function: values.function,
        args: values.args,
        wait: values.wait,
        expiry: values.expiry,
        relay: values.relay,
      }),
    })
    return
  }
  if (positionals[0] === 'session' && words === 2) {
    const { runSessionCommand } = await import('./sessionClient.js')
    const flags = sessionFlags(values)
    // a name (alice.pars) wherever a Session ID goes
    const { looksLikeName, NOTICES_SESSION } = await import('../../session/index.js')
    for (const k of ['recipient', 'session'] as const) {
      const v = flags[k]
      // --session notices: the conversation of relay outcomes and contract notices (a name "notices" is notices.pars)
      if (v !== undefined && looksLikeName(v) && !(k === 'session' && v === NOTICES_SESSION)) {
        const { resolveName } = await import('./nameCli.js')
        flags[k] = await resolveName(url, v)
      }
    }
    await runSessionCommand(positionals[1] as SessionClientCommand, flags)
    return
  }
  if (positionals[0] === 'service') {
    const { runServiceCommand } = await import('./serviceNodeCli.js')
    await runServiceCommand(positionals[1] as ServiceCommand, {
      rpc: url,
      datadir: sessionFlags(values).datadir,
      ...present({ fromKey: values['from-key'], stake: values.stake }),
    })
    return
  }
  if (command === 'peers') {
    const { runSessionCommand } = await import('./sessionClient.js')
    await runSessionCommand('peers', sessionFlags(values))
    return
  }
  if (positionals[0] === 'session') {
    if (positionals.length > 3) throw new CliError(`unexpected argument ${JSON.stringify(positionals[3])} (see parsctl --help)`)
    // the session library loads only for these commands
    const { runIdentityCommand } = await import('./sessionIdentity.js')
    const flags: IdentityFlags = {}
    if (values.datadir !== undefined) flags.datadir = values.datadir
    if (values['passphrase-file'] !== undefined) flags.passphraseFile = values['passphrase-file']
    if (values['duress-passphrase-file'] !== undefined) flags.duressPassphraseFile = values['duress-passphrase-file']
    if (values['phrase-file'] !== undefined) flags.phraseFile = values['phrase-file']
    await runIdentityCommand(positionals[2] as IdentityCommand, flags)
    return
  }
  const [cmd, arg] = positionals
  switch (cmd) {
    case 'status': {
      // the chain (when a node answers on --rpc), then the session daemon of --datadir (when one runs)
      let chainError: unknown
      try {
        const [chainId, head, finalized, peers, client, status] = await Promise.all([
          rpc(url, 'eth_chainId'),
          rpc(url, 'eth_getBlockByNumber', ['latest', false]),
          rpc(url, 'eth_getBlockByNumber', ['finalized', false]),
          rpc(url, 'net_peerCount'),
          rpc(url, 'web3_clientVersion'),
          rpc(url, 'pars_status').catch(() => undefined),
        ])
        const h = head as { number: string; hash: string }
        const f = finalized as { number: string }
        const st = status as { mode?: string; validators?: string; peerId?: string } | undefined
        let out = `chain id     ${BigInt(chainId as string)}\nhead         ${BigInt(h.number)} ${h.hash}\nfinalized    ${BigInt(f.number)}\npeers        ${BigInt(peers as string)}\n`
        if (st?.mode !== undefined) out += `mode         ${st.mode}\n`
        if (st?.validators !== undefined && BigInt(st.validators) > 0n) out += `validators   ${BigInt(st.validators)}\n`
        if (st?.peerId !== undefined) out += `peer id      ${st.peerId}\n`
        process.stdout.write(`${out}client       ${client}\n`)
      } catch (e) {
        chainError = e
      }
      const { connectDaemon, sessionStatusText } = await import('./sessionClient.js')
      const daemon = await connectDaemon(sessionFlags(values).datadir).catch(() => undefined)
      const session = daemon === undefined ? undefined : await sessionStatusText(daemon).catch(() => undefined)
      if (session !== undefined) process.stdout.write(session)
      // a sessiond alone has no chain to show: that is not a failure
      if (chainError !== undefined && session === undefined) throw chainError
      return
    }
    case 'validators': {
      const vs = (await rpc(url, 'pars_getValidators')) as {
        peerId: string
        address: string
        stake: string
        connected: boolean
        pollsAsked: string
        pollsAnswered: string
        equivocations: string
      }[]
      if (vs.length === 0) {
        process.stdout.write('no validator set: this node runs a dev chain or follows an imported one\n')
        return
      }
      for (const v of vs) {
        const asked = BigInt(v.pollsAsked)
        const answered = asked === 0n ? '-' : `${((BigInt(v.pollsAnswered) * 1000n) / asked / 10n).toString()}%`
        process.stdout.write(
          `${v.peerId}  ${v.address}  stake ${BigInt(v.stake)}  ${v.connected ? 'connected' : 'not connected'}  answered ${answered}  equivocations ${BigInt(v.equivocations)}\n`,
        )
      }
      return
    }
    case 'block': {
      const tag = arg === undefined || arg === 'latest' ? 'latest' : /^\d+$/.test(arg) ? `0x${BigInt(arg).toString(16)}` : arg
      process.stdout.write(JSON.stringify(await rpc(url, 'eth_getBlockByNumber', [tag, false]), null, 2) + '\n')
      return
    }
    case 'balance': {
      if (arg === undefined) throw new CliError('usage: parsctl balance ADDRESS')
      const wei = BigInt((await rpc(url, 'eth_getBalance', [arg, 'latest'])) as string)
      process.stdout.write(`${wei} wei (${formatPars(wei)} PARS)\n`)
      return
    }
    case 'tx': {
      if (arg === undefined) throw new CliError('usage: parsctl tx HASH')
      const [tx, receipt] = await Promise.all([rpc(url, 'eth_getTransactionByHash', [arg]), rpc(url, 'eth_getTransactionReceipt', [arg])])
      process.stdout.write(JSON.stringify({ transaction: tx, receipt }, null, 2) + '\n')
      return
    }
    default:
      throw new CliError(`unknown command ${JSON.stringify(cmd)} (see parsctl --help)`)
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`parsctl: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(1)
})
