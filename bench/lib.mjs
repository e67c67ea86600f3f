// What the benchmarks share: timing loops, free ports for testnets, writing their table into a doc.
import { readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'

/**
 * Put `table` between `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->` in the markdown file
 * at `docPath`, replacing what a previous run wrote; the first run appends `intro` and the block.
 */
export function writeDocBlock(docPath, name, table, intro) {
  const doc = readFileSync(docPath, 'utf8')
  const start = `<!-- bench:${name}:start -->`
  const end = `<!-- bench:${name}:end -->`
  const block = `${start}\n${table}\n${end}`
  const next = doc.includes(start)
    ? doc.replace(new RegExp(`${start}[\\s\\S]*?${end}`), () => block)
    : `${doc.trimEnd()}\n\n${intro}\n\n${block}\n`
  writeFileSync(docPath, next)
  console.log(`\nupdated ${docPath}`)
}

/** Calls of fn per second, run for at least minMs after `warmup` calls. */
export function opsPerSecond(fn, minMs, warmup = 3) {
  for (let i = 0; i < warmup; i++) fn()
  let n = 0
  const t0 = performance.now()
  let t = t0
  while (t - t0 < minMs) {
    fn()
    n++
    t = performance.now()
  }
  return (n * 1000) / (t - t0)
}

/** The lowest port the kernel hands out on its own (outgoing connections, port-0 listeners). */
function ephemeralPortsStart() {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0])
    if (Number.isInteger(low) && low >= 12_000) return low
  } catch {
    // not Linux: Linux's default start, lower than IANA's 49152
  }
  return 32_768
}

/**
 * A base port P with P..P+n-1 and P+100..P+100+n-1 free: the layout of `parsd testnet init --base-port P`.
 * Below the ephemeral range, so that no connection made while the nodes start can take one of them.
 */
export async function freeTestnetBase(n) {
  const free = (port) =>
    new Promise((resolve) => {
      const s = createServer()
      s.once('error', () => resolve(false))
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)))
    })
  const span = ephemeralPortsStart() - 10_000 - 100 - n
  for (;;) {
    const base = 10_000 + Math.floor(Math.random() * span)
    const ports = Array.from({ length: n }, (_, i) => [base + i, base + 100 + i]).flat()
    if ((await Promise.all(ports.map(free))).every(Boolean)) return base
  }
}
