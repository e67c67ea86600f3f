import { ParsError } from './errors.js'

/** What a Reader throws on bad input: a module passes its own typed error (default: ParsError MALFORMED). */
export type MalformedError = (message: string) => Error

const defaultMalformed: MalformedError = (message) => new ParsError({ code: 'MALFORMED' }, message)

/** Builds the protocol's binary encodings: fixed-width big-endian integers and raw bytes. */
export class Writer {
  private readonly parts: Uint8Array[] = []
  private length = 0

  private push(b: Uint8Array): this {
    this.parts.push(b)
    this.length += b.length
    return this
  }

  u8(n: number): this {
    return this.push(Uint8Array.of(n & 0xff))
  }

  u16(n: number): this {
    return this.push(Uint8Array.of((n >>> 8) & 0xff, n & 0xff))
  }

  u32(n: number): this {
    const b = new Uint8Array(4)
    new DataView(b.buffer).setUint32(0, n >>> 0)
    return this.push(b)
  }

  u64(n: bigint): this {
    const b = new Uint8Array(8)
    new DataView(b.buffer).setBigUint64(0, n)
    return this.push(b)
  }

  bytes(b: Uint8Array): this {
    return this.push(b)
  }

  /** u32 length, then the bytes */
  varBytes(b: Uint8Array): this {
    return this.u32(b.length).bytes(b)
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length)
    let at = 0
    for (const p of this.parts) {
      out.set(p, at)
      at += p.length
    }
    return out
  }
}

/** Reads what Writer wrote; any short read, or bytes left over at `end`, is a MALFORMED error. */
export class Reader {
  private at = 0
  private readonly view: DataView

  constructor(
    private readonly buf: Uint8Array,
    private readonly what: string,
    private readonly malformed: MalformedError = defaultMalformed,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  }

  private need(n: number): number {
    if (this.at + n > this.buf.length) throw this.malformed(`${this.what}: truncated (needs ${this.at + n} bytes, has ${this.buf.length})`)
    const at = this.at
    this.at += n
    return at
  }

  u8(): number {
    return this.view.getUint8(this.need(1))
  }

  u16(): number {
    return this.view.getUint16(this.need(2))
  }

  u32(): number {
    return this.view.getUint32(this.need(4))
  }

  u64(): bigint {
    return this.view.getBigUint64(this.need(8))
  }

  bytes(n: number): Uint8Array {
    const at = this.need(n)
    return this.buf.slice(at, at + n)
  }

  varBytes(max: number): Uint8Array {
    const n = this.u32()
    if (n > max) throw this.malformed(`${this.what}: a field of ${n} bytes is over its limit of ${max}`)
    return this.bytes(n)
  }

  rest(): Uint8Array {
    return this.bytes(this.buf.length - this.at)
  }

  get remaining(): number {
    return this.buf.length - this.at
  }

  end(): void {
    if (this.at !== this.buf.length) throw this.malformed(`${this.what}: ${this.buf.length - this.at} unexpected trailing bytes`)
  }
}
