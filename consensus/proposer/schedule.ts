import { concat, utf8 } from '../../common/index.js'
import { seededRandomInt, type ValidatorSet } from '../validators.js'

/**
 * The proposer schedule (Snowman++'s proposer windows): for each height, an ordering of validators
 * drawn by stake from a seed every node knows (the parent block's id and the height). The first may
 * propose as soon as the parent is final; the i-th from i windows later. So validators do not race,
 * and a crashed proposer costs one window, not the chain.
 */
export const SCHEDULE_LENGTH = 6

export function proposerSchedule(validators: ValidatorSet, parentId: string, height: number, length = SCHEDULE_LENGTH): string[] {
  const seed = concat(utf8.encode('pars-proposers-v1'), utf8.encode(parentId), utf8.encode(String(height)))
  return validators.sample(Math.min(length, validators.size), seededRandomInt(seed)).map((v) => v.id)
}

/** The window (0-based) in which `id` may propose at this height, or undefined if not scheduled. */
export function windowOf(schedule: readonly string[], id: string): number | undefined {
  const i = schedule.indexOf(id)
  return i < 0 ? undefined : i
}
