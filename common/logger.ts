/** A small structured logger: every line carries time, level and module. */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug', 'trace'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

export interface Logger {
  readonly module: string
  error(msg: string, ctx?: Record<string, unknown>): void
  warn(msg: string, ctx?: Record<string, unknown>): void
  info(msg: string, ctx?: Record<string, unknown>): void
  debug(msg: string, ctx?: Record<string, unknown>): void
  trace(msg: string, ctx?: Record<string, unknown>): void
  child(module: string): Logger
  isEnabled(level: LogLevel): boolean
}

export function isLogLevel(s: string): s is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(s)
}

function formatValue(v: unknown): string {
  if (typeof v === 'bigint') return v.toString()
  if (v instanceof Error) return JSON.stringify(v.message)
  if (typeof v === 'string') return /[\s"=]/.test(v) ? JSON.stringify(v) : v
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))
}

export interface LoggerOptions {
  level: LogLevel
  module: string
  write?: (line: string) => void
}

export function createLogger(opts: LoggerOptions): Logger {
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'))
  const threshold = LOG_LEVELS.indexOf(opts.level)
  const make = (module: string): Logger => {
    const log = (level: LogLevel, msg: string, ctx?: Record<string, unknown>): void => {
      if (LOG_LEVELS.indexOf(level) > threshold) return
      let line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} [${module}] ${msg}`
      if (ctx !== undefined) {
        for (const [k, v] of Object.entries(ctx)) if (v !== undefined) line += ` ${k}=${formatValue(v)}`
      }
      write(line)
    }
    return {
      module,
      error: (m, c) => log('error', m, c),
      warn: (m, c) => log('warn', m, c),
      info: (m, c) => log('info', m, c),
      debug: (m, c) => log('debug', m, c),
      trace: (m, c) => log('trace', m, c),
      child: (sub) => make(`${module}/${sub}`),
      isEnabled: (level) => LOG_LEVELS.indexOf(level) <= threshold,
    }
  }
  return make(opts.module)
}

/** A logger that drops everything (unit tests). */
export function nullLogger(module = 'test'): Logger {
  return createLogger({ level: 'error', module, write: () => {} })
}
