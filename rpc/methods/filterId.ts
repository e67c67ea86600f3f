import { invalidParams } from '../errors.js'

/** A filter or subscription id: 0x-prefixed hex. */
export function filterId(v: unknown, name: number): string {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(v))
    throw invalidParams(`invalid argument ${name}: expected a filter id (0x-prefixed hex)`)
  return v.toLowerCase()
}
