// What the benchmarks share: writing their table into a doc between markers.
import { readFileSync, writeFileSync } from 'node:fs'

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
