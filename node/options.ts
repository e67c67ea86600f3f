import { homedir } from 'node:os'
import { existsSync, readFileSync } from 'node:fs'
import { isAbsolute, join } from 'node:path'
import { parseArgs } from 'node:util'
import { ParsError, isLogLevel, type LogLevel } from '../common/index.js'

export type OptionsErrorType = { code: 'BAD_OPTION'; option: string }

function bad(option: string, why: string): ParsError<OptionsErrorType> {
  return new ParsError({ code: 'BAD_OPTION', option }, `--${option}: ${why}`)
}

export interface NodeOptions {
  dev: boolean
  datadir: string
  genesisFile?: string
  rpcAddr: string
  rpcPort: number
  rpcCors: string[] | '*' | undefined
  rpcBodyLimit: number
  rpcBatchLimit: number
  rpcGasCap: bigint
  rpcLogsRange: bigint
  blockTime: number
  logLevel: LogLevel
  coinbase?: string
  p2pAddr: string
  p2pPort: number
  bootstrap: string[]
  mdns: boolean
  validator: boolean
  validatorKey?: string
  /** run the session daemon with its control API */
  session: boolean
  sessionPort: number
  sessionPassphraseFile?: string
  /** mean ms between cover onion requests (0: none) */
  coverTraffic: number
  /** relay signed contract actions from the session network (docs/bridge.md) */
  relay: boolean
  /** the relay account's private key file */
  relayKey?: string
  /** contracts the relay pays for (empty: any SessionTrigger contract) */
  relayTargets: string[]
  /** actions a minute one Session ID may have relayed */
  relayRate: number
}

/** `sessiond`: the session daemon alone, a light node of a network's service nodes. */
export interface SessiondOptions {
  /** a node's JSON-RPC, to resolve names (alice.pars) */
  rpc?: string
  datadir: string
  /** the network's genesis (its service nodes); absent: they come from --rpc (pars_serviceNodes) */
  genesisFile?: string
  bootstrap: string[]
  p2pPort: number
  sessionPort: number
  sessionPassphraseFile?: string
  coverTraffic: number
  logLevel: LogLevel
}

export interface TestnetOptions {
  validators: number
  out: string
  basePort: number
}

/** Every flag of `parsd`, its default and its help line, in one table (the help text is built from it). */
export const FLAGS = {
  dev: { type: 'boolean', default: false, help: 'run a single-validator dev chain (chain id 6133, funded dev accounts)' },
  datadir: { type: 'string', default: '~/.pars (~/.pars/dev with --dev)', help: 'directory of the chain database and node files' },
  genesis: { type: 'string', default: '(built-in dev genesis)', help: 'geth-format genesis file for a new datadir' },
  'rpc-addr': { type: 'string', default: '127.0.0.1', help: 'JSON-RPC listen address (HTTP and WebSocket)' },
  'rpc-port': { type: 'string', default: '8545', help: 'JSON-RPC port (HTTP and WebSocket on the same port)' },
  'rpc-cors': { type: 'string', default: '* with --dev, none otherwise', help: 'allowed CORS origins, comma separated, or *' },
  'rpc-body-limit': { type: 'string', default: '5242880', help: 'largest JSON-RPC request body, bytes' },
  'rpc-batch-limit': { type: 'string', default: '1000', help: 'most calls in one JSON-RPC batch' },
  'rpc-gas-cap': { type: 'string', default: '50000000', help: 'most gas eth_call and eth_estimateGas may use' },
  'rpc-logs-range': { type: 'string', default: '10000', help: 'widest eth_getLogs block range' },
  'block-time': { type: 'string', default: '400', help: 'ms between blocks while transactions are pending; 0 = one block per transaction' },
  coinbase: { type: 'string', default: '0x0000000000000000000000000000000000000000', help: 'fee recipient of blocks this node makes' },
  'log-level': { type: 'string', default: 'info', help: 'error, warn, info, debug or trace' },
  'p2p-addr': { type: 'string', default: '0.0.0.0 (127.0.0.1 with --dev)', help: 'libp2p listen address (networks, --dev --session)' },
  'p2p-port': { type: 'string', default: '9000', help: 'libp2p TCP port' },
  bootstrap: { type: 'string', default: 'none', help: 'peers to join: multiaddrs with /p2p/<peer id>, comma separated' },
  mdns: { type: 'boolean', default: false, help: 'find peers on the LAN with mDNS' },
  validator: { type: 'boolean', default: false, help: 'take part in consensus with --validator-key' },
  'validator-key': { type: 'string', default: 'DATADIR/validator.key', help: 'hybrid ML-DSA-65 + Ed25519 block-signing key file' },
  session: {
    type: 'boolean',
    default: false,
    help: 'run the session daemon (on a network, or with --dev: the dev node is the one service node and relays)',
  },
  'session-port': {
    type: 'string',
    default: '8560',
    help: 'session control API port, on 127.0.0.1 only (token in DATADIR/session/control.json)',
  },
  'session-passphrase-file': { type: 'string', default: 'none', help: 'file holding the passphrase of DATADIR/session/identity.json' },
  'cover-traffic': { type: 'string', default: '0', help: 'mean ms between dummy onion requests the daemon sends (0 = none)' },
  relay: { type: 'boolean', default: false, help: 'relay signed contract actions from the session network, paying gas from --relay-key' },
  'relay-key': { type: 'string', default: 'none', help: "file holding the relay account's 0x private key (it pays the gas)" },
  'relay-targets': { type: 'string', default: 'any', help: 'contracts the relay pays for, comma separated addresses' },
  'relay-rate': { type: 'string', default: '6', help: 'actions a minute one Session ID may have relayed' },
  validators: { type: 'string', default: '4', help: 'testnet init: how many validators' },
  out: { type: 'string', default: '(required)', help: 'testnet init: directory to write node-0 .. node-N-1 into' },
  'base-port': { type: 'string', default: '8545', help: 'testnet init: RPC port of node-0 (node i: P+i; p2p P+100+i)' },
  help: { type: 'boolean', default: false, help: 'show this help' },
  version: { type: 'boolean', default: false, help: 'print the version' },
} as const

export function helpText(version: string): string {
  const lines = [
    `parsd ${version} — the Pars node`,
    '',
    'Usage:',
    '  parsd [flags]                              run a node',
    '  parsd --dev                                run a dev chain (what `npm start` does)',
    '  parsd init --genesis FILE --datadir DIR    initialise a datadir from a geth-format genesis',
    '  parsd import FILE.rlp [--datadir DIR]      import a geth-style RLP chain export',
    '  parsd export FILE.rlp [--datadir DIR]      write the chain as RLP',
    '  parsd dumpgenesis [--datadir DIR]          print the genesis a datadir was initialised with',
    '  parsd testnet init --validators N --out DIR [--base-port P]',
    '                                             write N validator datadirs; then `parsd --datadir DIR/node-i`',
    '',
    'A datadir may hold parsd.json: flags (as {"rpc-port": "8546", ...}) used when not given on the command line.',
    '',
    'Flags:',
  ]
  for (const [name, f] of Object.entries(FLAGS)) {
    const arg = f.type === 'string' ? ` <${name === 'datadir' ? 'dir' : name === 'genesis' ? 'file' : 'value'}>` : ''
    lines.push(`  --${(name + arg).padEnd(28)} ${f.help} (default: ${f.default})`)
  }
  return lines.join('\n')
}

function intFlag(v: string | undefined, name: string, def: number, min: number, max: number): number {
  if (v === undefined) return def
  if (!/^\d+$/.test(v)) throw bad(name, `expected a whole number, got ${JSON.stringify(v)}`)
  const n = Number(v)
  if (n < min || n > max) throw bad(name, `must be between ${min} and ${max}, got ${n}`)
  return n
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(1)) : p
}

export interface ParsedCommand {
  command: 'run' | 'init' | 'import' | 'export' | 'dumpgenesis' | 'testnet-init' | 'help' | 'version'
  file?: string
  options: NodeOptions
  testnet?: TestnetOptions
}

/** The flags file a datadir may hold (testnet init writes one per node). */
export const DATADIR_CONFIG = 'parsd.json'

/** Flags from DATADIR/parsd.json, for those not given on the command line; relative paths are the datadir's. */
function datadirDefaults(datadir: string): Record<string, string | boolean> {
  const path = join(datadir, DATADIR_CONFIG)
  if (!existsSync(path)) return {}
  let j: unknown
  try {
    j = JSON.parse(readFileSync(path, 'utf8'))
  } catch (e) {
    throw new ParsError({ code: 'BAD_OPTION', option: path }, `${path} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`)
  }
  if (typeof j !== 'object' || j === null || Array.isArray(j))
    throw new ParsError({ code: 'BAD_OPTION', option: path }, `${path} must be a JSON object of flags`)
  const out: Record<string, string | boolean> = {}
  for (const [k, v] of Object.entries(j)) {
    const f = (FLAGS as Record<string, { type: string }>)[k]
    if (f === undefined || k === 'datadir')
      throw new ParsError({ code: 'BAD_OPTION', option: k }, `${path}: unknown flag ${JSON.stringify(k)}`)
    if (f.type === 'boolean' ? typeof v !== 'boolean' : typeof v !== 'string') {
      throw new ParsError({ code: 'BAD_OPTION', option: k }, `${path}: ${k} must be a ${f.type}`)
    }
    out[k] =
      (k === 'genesis' || k === 'validator-key' || k === 'session-passphrase-file' || k === 'relay-key') && !isAbsolute(v as string)
        ? join(datadir, v as string)
        : (v as string | boolean)
  }
  return out
}

/** Parse `parsd` arguments. Throws a BAD_OPTION ParsError naming the flag. */
export function parseNodeArgs(argv: readonly string[]): ParsedCommand {
  const options: Record<string, { type: 'string' | 'boolean' }> = {}
  for (const [name, f] of Object.entries(FLAGS)) options[name] = { type: f.type }
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true })
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e)
    const m = /'(--?[\w-]+)/.exec(msg)
    throw new ParsError({ code: 'BAD_OPTION', option: m?.[1] ?? '' }, `${msg.split('\n')[0]} (see parsd --help)`)
  }
  const given = parsed.values as Record<string, string | boolean | undefined>
  const pos = parsed.positionals
  const devGiven = given['dev'] === true
  const datadirGiven = expandHome((given['datadir'] as string | undefined) ?? (devGiven ? '~/.pars/dev' : '~/.pars'))
  const v: Record<string, string | boolean | undefined> =
    pos[0] === 'testnet' || given['help'] === true || given['version'] === true ? given : { ...datadirDefaults(datadirGiven), ...given }
  let command: ParsedCommand['command'] = 'run'
  let file: string | undefined
  if (v['help'] === true) command = 'help'
  else if (v['version'] === true) command = 'version'
  else if (pos.length > 0) {
    const sub = pos[0]!
    if (sub !== 'init' && sub !== 'import' && sub !== 'export' && sub !== 'dumpgenesis' && sub !== 'testnet')
      throw new ParsError({ code: 'BAD_OPTION', option: sub }, `unknown command ${JSON.stringify(sub)} (see parsd --help)`)
    if (sub === 'testnet') {
      if (pos[1] !== 'init' || pos.length !== 2)
        throw new ParsError({ code: 'BAD_OPTION', option: sub }, 'usage: parsd testnet init --validators N --out DIR [--base-port P]')
      command = 'testnet-init'
    } else command = sub
    if (sub === 'testnet') {
      // handled below
    } else if (sub === 'import' || sub === 'export') {
      if (pos.length !== 2) throw new ParsError({ code: 'BAD_OPTION', option: sub }, `usage: parsd ${sub} FILE.rlp [--datadir DIR]`)
      file = pos[1]
    } else if (pos.length !== 1) {
      throw new ParsError(
        { code: 'BAD_OPTION', option: sub },
        sub === 'init' ? 'usage: parsd init --genesis FILE --datadir DIR' : 'usage: parsd dumpgenesis [--datadir DIR]',
      )
    }
    if (sub === 'init' && v['genesis'] === undefined) throw bad('genesis', 'parsd init needs --genesis FILE')
  }
  const dev = v['dev'] === true
  const cors = v['rpc-cors'] as string | undefined
  const logLevel = (v['log-level'] as string | undefined) ?? 'info'
  if (!isLogLevel(logLevel)) throw bad('log-level', `expected error, warn, info, debug or trace, got ${JSON.stringify(logLevel)}`)
  const coinbase = v['coinbase'] as string | undefined
  if (coinbase !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(coinbase)) throw bad('coinbase', 'expected a 0x-prefixed 20-byte address')
  const rpcAddr = (v['rpc-addr'] as string | undefined) ?? '127.0.0.1'
  if (rpcAddr.length === 0) throw bad('rpc-addr', 'must not be empty')
  const datadir = expandHome((v['datadir'] as string | undefined) ?? (dev ? '~/.pars/dev' : '~/.pars'))
  const out: NodeOptions = {
    dev,
    datadir,
    rpcAddr,
    rpcPort: intFlag(v['rpc-port'] as string | undefined, 'rpc-port', 8545, 0, 65535),
    rpcCors:
      cors === undefined
        ? dev
          ? '*'
          : undefined
        : cors === '*'
          ? '*'
          : cors
              .split(',')
              .map((s) => s.trim())
              .filter((s) => s.length > 0),
    rpcBodyLimit: intFlag(v['rpc-body-limit'] as string | undefined, 'rpc-body-limit', 5 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    rpcBatchLimit: intFlag(v['rpc-batch-limit'] as string | undefined, 'rpc-batch-limit', 1000, 1, 100_000),
    rpcGasCap: BigInt(intFlag(v['rpc-gas-cap'] as string | undefined, 'rpc-gas-cap', 50_000_000, 21_000, Number.MAX_SAFE_INTEGER)),
    rpcLogsRange: BigInt(intFlag(v['rpc-logs-range'] as string | undefined, 'rpc-logs-range', 10_000, 1, 10_000_000)),
    blockTime: intFlag(v['block-time'] as string | undefined, 'block-time', 400, 0, 3_600_000),
    logLevel,
    // a dev node's service node is for this machine (as its RPC is) unless told otherwise
    p2pAddr: (v['p2p-addr'] as string | undefined) ?? (dev ? '127.0.0.1' : '0.0.0.0'),
    p2pPort: intFlag(v['p2p-port'] as string | undefined, 'p2p-port', 9000, 0, 65535),
    bootstrap: ((v['bootstrap'] as string | undefined) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
    mdns: v['mdns'] === true,
    validator: v['validator'] === true,
    session: v['session'] === true,
    sessionPort: intFlag(v['session-port'] as string | undefined, 'session-port', 8560, 0, 65535),
    coverTraffic: intFlag(v['cover-traffic'] as string | undefined, 'cover-traffic', 0, 0, 3_600_000),
    relay: v['relay'] === true,
    relayTargets: ((v['relay-targets'] as string | undefined) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0 && s !== 'any'),
    relayRate: intFlag(v['relay-rate'] as string | undefined, 'relay-rate', 6, 1, 10_000),
  }
  for (const t of out.relayTargets)
    if (!/^0x[0-9a-fA-F]{40}$/.test(t)) throw bad('relay-targets', `${JSON.stringify(t)} is not a 0x address`)
  if (v['relay-key'] !== undefined) out.relayKey = expandHome(v['relay-key'] as string)
  if (out.relay && out.relayKey === undefined && !dev)
    throw bad('relay', "needs --relay-key FILE: the private key of a funded account that pays the actions' gas")
  if (v['session-passphrase-file'] !== undefined) out.sessionPassphraseFile = expandHome(v['session-passphrase-file'] as string)
  // --dev --session: the dev node is the one service node, and relays (from the last dev account by default)
  if (out.session && dev) out.relay = true
  if (out.relay && dev && !out.session) throw bad('relay', 'the dev relay is reached through the session network: add --session')
  if (v['genesis'] !== undefined) out.genesisFile = v['genesis'] as string
  if (coinbase !== undefined) out.coinbase = coinbase
  if (v['validator-key'] !== undefined) out.validatorKey = expandHome(v['validator-key'] as string)
  if (out.validator && dev) throw bad('validator', '--dev runs its own single validator; --validator joins a network')
  const result: ParsedCommand = { command, options: out }
  if (command === 'testnet-init') {
    const outDir = v['out'] as string | undefined
    if (outDir === undefined || outDir.length === 0) throw bad('out', 'parsd testnet init needs --out DIR')
    result.testnet = {
      validators: intFlag(v['validators'] as string | undefined, 'validators', 4, 1, 100),
      out: expandHome(outDir),
      basePort: intFlag(v['base-port'] as string | undefined, 'base-port', 8545, 1, 65_000),
    }
  }
  if (file !== undefined) result.file = file
  return result
}

/** The flags `sessiond` takes (a subset of parsd's, with the same meaning). */
export const SESSIOND_FLAGS = [
  'datadir',
  'genesis',
  'bootstrap',
  'p2p-port',
  'session-port',
  'session-passphrase-file',
  'cover-traffic',
  'log-level',
] as const

export function sessiondHelp(version: string): string {
  const lines = [
    `sessiond ${version} — the Pars session daemon alone: a light node that connects to a network's service nodes`,
    '',
    'Usage:',
    '  sessiond --genesis FILE --bootstrap MULTIADDR[,...] [--datadir DIR] [--session-passphrase-file F]',
    '  sessiond --rpc URL [--datadir DIR] [--session-passphrase-file F]',
    '',
    'The service nodes are the validators of the genesis that list an onion key (and the registered',
    'ones), or, with --rpc alone, those the node at URL follows (pars_serviceNodes: trust that node).',
    'The control API (parsctl session ..., the ParsSession client) listens on 127.0.0.1:--session-port with the token',
    'of DATADIR/session/control.json. Without an identity in the datadir, CreateIdentity makes one.',
    '',
    'Flags:',
  ]
  for (const name of SESSIOND_FLAGS) {
    const f = FLAGS[name]
    const def =
      name === 'p2p-port'
        ? '0 (any free port)'
        : name === 'datadir'
          ? '~/.pars'
          : name === 'genesis'
            ? '(required without --rpc)'
            : f.default
    const help =
      name === 'datadir'
        ? 'directory of the identity and the message store (DATADIR/session)'
        : name === 'genesis'
          ? "the network's genesis file (its service nodes)"
          : f.help
    lines.push(`  --${(name + ' <value>').padEnd(32)} ${help} (default: ${def})`)
  }
  lines.push(
    `  --${'rpc <url>'.padEnd(32)} a node's JSON-RPC: names like alice.pars resolve there, and without --genesis the service nodes come from it (default: none: names are refused)`,
  )
  lines.push(`  --${'help'.padEnd(32)} show this help`, `  --${'version'.padEnd(32)} print the version`)
  return lines.join('\n')
}

/** Parse `sessiond` arguments; undefined for --help / --version (the caller prints them). */
export function parseSessiondArgs(argv: readonly string[]): SessiondOptions | 'help' | 'version' {
  const options: Record<string, { type: 'string' | 'boolean' }> = {
    help: { type: 'boolean' },
    version: { type: 'boolean' },
    rpc: { type: 'string' },
  }
  for (const name of SESSIOND_FLAGS) options[name] = { type: 'string' }
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: false, strict: true })
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e)
    const m = /'(--?[\w-]+)/.exec(msg)
    throw new ParsError({ code: 'BAD_OPTION', option: m?.[1] ?? '' }, `${msg.split('\n')[0]} (see sessiond --help)`)
  }
  const v = parsed.values as Record<string, string | boolean | undefined>
  if (v['help'] === true) return 'help'
  if (v['version'] === true) return 'version'
  const genesis = v['genesis'] as string | undefined
  const rpcGiven = v['rpc'] as string | undefined
  if ((genesis === undefined || genesis.length === 0) && rpcGiven === undefined)
    throw bad('genesis', "sessiond needs the network's genesis file (its service nodes are listed there), or --rpc URL of a node to ask")
  const bootstrap = ((v['bootstrap'] as string | undefined) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
  if (bootstrap.length === 0 && genesis !== undefined)
    throw bad('bootstrap', 'sessiond needs at least one service node to connect to (a multiaddr with /p2p/<peer id>)')
  const logLevel = (v['log-level'] as string | undefined) ?? 'info'
  if (!isLogLevel(logLevel)) throw bad('log-level', `expected error, warn, info, debug or trace, got ${JSON.stringify(logLevel)}`)
  const out: SessiondOptions = {
    datadir: expandHome((v['datadir'] as string | undefined) ?? '~/.pars'),
    ...(genesis !== undefined && genesis.length > 0 ? { genesisFile: expandHome(genesis) } : {}),
    bootstrap,
    p2pPort: intFlag(v['p2p-port'] as string | undefined, 'p2p-port', 0, 0, 65535),
    sessionPort: intFlag(v['session-port'] as string | undefined, 'session-port', 8560, 0, 65535),
    coverTraffic: intFlag(v['cover-traffic'] as string | undefined, 'cover-traffic', 0, 0, 3_600_000),
    logLevel,
  }
  if (v['session-passphrase-file'] !== undefined) out.sessionPassphraseFile = expandHome(v['session-passphrase-file'] as string)
  const rpc = v['rpc'] as string | undefined
  if (rpc !== undefined) {
    if (!/^https?:\/\/\S+$/.test(rpc)) throw bad('rpc', `expected an http(s) URL, got ${JSON.stringify(rpc)}`)
    out.rpc = rpc
  }
  return out
}
