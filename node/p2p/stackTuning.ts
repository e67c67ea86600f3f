import { noise } from '@chainsafe/libp2p-noise'
import { yamux, type YamuxMuxerInit } from '@chainsafe/libp2p-yamux'
import { StreamState } from '@chainsafe/libp2p-yamux/stream'
import { tcp, type TCPOptions } from '@libp2p/tcp'

/*
 * Three adjustments to the libp2p stack (TCP, noise, yamux) for small request/response traffic,
 * where its per-frame costs, not the bytes, are the work. Measured with a 2 KiB request and its
 * answer on a kept stream between two processes on loopback, one exchange at a time: 11 socket
 * writes and ~357 µs of the answering side's CPU before, 2 writes and ~250 µs after; each
 * adjustment is explained where it is made
 * (docs/performance.md has the figures). Each one replaces a method on objects the libp2p factories
 * create, guarded by a check of what it replaces: if the internals change upstream, the stack keeps
 * its own behaviour, costing speed and not correctness (test/unit/node/p2pHost.test.ts counts the
 * writes, so an upgrade that loses an adjustment fails a test).
 */

/**
 * libp2p's TCP transport with one socket write per message instead of one per buffer.
 *
 * @libp2p/tcp 11 hands each buffer of a queued message to `socket.write` on its own, and a noise
 * message arrives as several (length prefix, each ciphertext piece, tag): one 2 KiB request and its
 * answer took 11 write syscalls on loopback, each paying the kernel's TCP path. Joining a message's
 * buffers before the write (one copy of a few KiB) makes that 4 (2 with halfWindowYamux). The join happens in the connection's `sendData` (AbstractMultiaddrConnection in
 * @libp2p/utils), replaced on each connection before the upgrader sees it; a connection without that
 * method is left as it is, so a change upstream costs speed, not correctness.
 */
export function coalescingTcp(init: TCPOptions = {}): ReturnType<typeof tcp> {
  const factory = tcp(init)
  return (components) => {
    const transport = factory(components) as unknown as Wrappable
    const dial = transport.dial.bind(transport)
    const createListener = transport.createListener.bind(transport)
    transport.dial = (ma, options) => dial(ma, { ...options, upgrader: joiningUpgrader(options.upgrader) })
    transport.createListener = (options) => createListener({ ...options, upgrader: joiningUpgrader(options.upgrader) })
    return transport as unknown as ReturnType<ReturnType<typeof tcp>>
  }
}

interface Upgrader {
  upgradeInbound(maConn: unknown, options: unknown): Promise<unknown>
  upgradeOutbound(maConn: unknown, options: unknown): Promise<unknown>
}
interface Wrappable {
  dial(ma: unknown, options: { upgrader: Upgrader }): Promise<unknown>
  createListener(options: { upgrader: Upgrader }): unknown
}
interface Chunks {
  byteLength: number
  subarray(): Uint8Array
  [Symbol.iterator](): Iterator<Uint8Array>
}

/** The upgrader, with every connection it is given made to write each message whole. */
function joiningUpgrader(upgrader: Upgrader): Upgrader {
  return new Proxy(upgrader, {
    get(target, prop) {
      if (prop === 'upgradeInbound' || prop === 'upgradeOutbound') {
        return (maConn: unknown, options: unknown) => target[prop](joinWrites(maConn), options)
      }
      const value: unknown = Reflect.get(target, prop, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/** Replace a connection's sendData with one that gives the socket one buffer per message. */
export function joinWrites<T>(maConn: T): T {
  const conn = maConn as { sendData?: (data: Iterable<Uint8Array>) => unknown }
  const original = conn.sendData
  if (typeof original !== 'function') return maConn
  const send = original.bind(maConn)
  conn.sendData = (data) => {
    const list = data as Partial<Chunks>
    if (typeof list.subarray !== 'function' || !hasSeveral(list as Chunks)) return send(data)
    return send([(list as Chunks).subarray()])
  }
  return maConn
}

function hasSeveral(list: Chunks): boolean {
  let n = 0
  for (const _ of list) if (++n > 1) return true
  return false
}
/**
 * yamux whose streams send a window update only once half of the receive window is used, as
 * go-yamux and rust-yamux do (the hashicorp spec leaves it to the receiver).
 *
 * @chainsafe/libp2p-yamux 8 answers every data frame it reads with a window update: for a small
 * request and its answer that is two more frames, each a noise message and a socket write at both
 * ends, so half the frames on a request stream carried nothing. The sender never waits longer for
 * it: it still holds at least half the window (128 KiB of the initial 256 KiB) whenever the
 * receiver holds back an update, and an update goes out with the frame that takes the receiver below
 * half. Stream setup (SYN/ACK), a paused stream and the window's growth are left to yamux itself.
 * The override is per stream, on the streams this factory's muxers create (YamuxMuxer._newStream);
 * if those internals change upstream, streams keep yamux's own behaviour.
 */
export function halfWindowYamux(init: YamuxMuxerInit = {}): ReturnType<typeof yamux> {
  const factory = yamux(init)
  return () => {
    const muxerFactory = factory() as unknown as { createStreamMuxer(maConn: unknown): unknown }
    const create = muxerFactory.createStreamMuxer.bind(muxerFactory)
    muxerFactory.createStreamMuxer = (maConn) => {
      const muxer = create(maConn) as { _newStream?: (...args: unknown[]) => unknown }
      const newStream = muxer._newStream
      if (typeof newStream === 'function') {
        muxer._newStream = (...args: unknown[]) => deferWindowUpdates(newStream.apply(muxer, args))
      }
      return muxer
    }
    return muxerFactory as unknown as ReturnType<ReturnType<typeof yamux>>
  }
}

interface WindowedStream {
  state: StreamState
  recvWindow: number
  recvWindowCapacity: number
  sendWindowUpdate(): void
}

/** Make one yamux stream hold its window updates until half the receive window is used. */
export function deferWindowUpdates<T>(stream: T): T {
  const s = stream as Partial<WindowedStream>
  const send = s.sendWindowUpdate
  if (typeof send !== 'function' || typeof s.recvWindow !== 'number' || typeof s.recvWindowCapacity !== 'number') return stream
  const w = s as WindowedStream
  w.sendWindowUpdate = () => {
    const settled = w.state !== StreamState.Init && w.state !== StreamState.SYNReceived && w.state !== StreamState.Paused
    if (settled && w.recvWindowCapacity * 2 > w.recvWindow) return
    send.call(w)
  }
  return stream
}

/**
 * noise whose message decoder asks for more bytes without building an Error each time.
 *
 * @chainsafe/libp2p-noise 17 reads the 2-byte length of the next noise message with a decoder that
 * throws a new RangeError when fewer than 2 bytes are buffered, and the loop around it (@libp2p/utils'
 * LengthPrefixedDecoder) catches it to stop. That happens at the end of every read: capturing the
 * stack of a fresh Error there cost ~34 µs, a tenth of a small request's CPU. The same decoder that
 * throws one RangeError made once behaves identically for the loop, which only checks the type.
 */
export function cheapDecodeNoise(init: Parameters<typeof noise>[0] = {}): ReturnType<typeof noise> {
  const factory = noise(init)
  return (components) => {
    const encrypter = factory(components) as unknown as Securing
    for (const method of ['secureInbound', 'secureOutbound'] as const) {
      const secure = encrypter[method].bind(encrypter)
      encrypter[method] = async (...args: unknown[]) => {
        const secured = await secure(...args)
        const decoder = (secured as { connection?: { decoder?: { lengthDecoder?: unknown } } }).connection?.decoder
        if (decoder !== undefined && typeof decoder.lengthDecoder === 'function') decoder.lengthDecoder = uint16BE
        return secured
      }
    }
    return encrypter as unknown as ReturnType<ReturnType<typeof noise>>
  }
}

interface Securing {
  secureInbound(...args: unknown[]): Promise<unknown>
  secureOutbound(...args: unknown[]): Promise<unknown>
}

const NEED_MORE = new RangeError('Could not decode int16BE')

/** The big-endian u16 length of a noise message; throws the one NEED_MORE when fewer than 2 bytes are buffered. */
export function uint16BE(data: Uint8Array | { length: number; getUint16(at: number): number }): number {
  if (data.length < 2) throw NEED_MORE
  return data instanceof Uint8Array ? (data[0]! << 8) | data[1]! : data.getUint16(0)
}
