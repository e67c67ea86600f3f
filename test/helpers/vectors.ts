// The public test vectors in ../shared/vectors (or PARS_VECTORS): read them where they are, and say
// so plainly when they are not, so a clone outside this workplace skips instead of failing.
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { gunzipSync } from 'node:zlib'

export const VECTORS = process.env['PARS_VECTORS'] ?? resolve(__dirname, '../../../shared/vectors')

/** An ACVP JSON file (gzipped) from vectors/acvp, or undefined with a visible warning if absent. */
export function readAcvp<T>(name: string): T | undefined {
  const file = join(VECTORS, 'acvp', name)
  if (!existsSync(file)) {
    console.warn(`skipped: ${file} not found (set PARS_VECTORS)`)
    return undefined
  }
  return JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as T
}

/** ACVP expected results keyed by "tgId/tcId". */
export function acvpResults<R>(expected: { testGroups: { tgId: number; tests: ({ tcId: number } & R)[] }[] }): Map<string, R> {
  const out = new Map<string, R>()
  for (const g of expected.testGroups) for (const t of g.tests) out.set(`${g.tgId}/${t.tcId}`, t)
  return out
}

export interface SlhKeyGenGroup {
  tgId: number
  parameterSet: string
  tests: { tcId: number; skSeed: string; skPrf: string; pkSeed: string; sk: string; pk: string }[]
}

export interface SigVerPrompt {
  testGroups: {
    tgId: number
    parameterSet?: string
    signatureInterface?: string
    preHash?: string
    tests: { tcId: number; pk: string; message: string; context?: string; signature: string }[]
  }[]
}
