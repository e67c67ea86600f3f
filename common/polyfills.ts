/**
 * Promise.withResolvers (ES2024) for Node 20, which libp2p 3 needs (without it, it crashes on stop).
 * Imported first by every entry point that may start libp2p, and by the test setup.
 */
const P = Promise as unknown as { withResolvers?: unknown }
if (typeof P.withResolvers !== 'function') {
  P.withResolvers = function withResolvers<T>() {
    let resolve!: (v: T | PromiseLike<T>) => void
    let reject!: (e?: unknown) => void
    const promise = new Promise<T>((res, rej) => {
      resolve = res
      reject = rej
    })
    return { promise, resolve, reject }
  }
}
export {}
