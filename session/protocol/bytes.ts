import { Reader as BinaryReader } from '../../common/index.js'
import { SessionError } from '../errors.js'

export { Writer } from '../../common/index.js'

/** The common binary Reader, refusing malformed input with SessionError MALFORMED. */
export class Reader extends BinaryReader {
  constructor(buf: Uint8Array, what: string) {
    super(buf, what, (message) => new SessionError('MALFORMED', message))
  }
}
