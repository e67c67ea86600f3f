/** A live WebSocket connection, for subscriptions. HTTP requests have none. */
export interface RpcConnection {
  readonly id: number
  /** Send a JSON-RPC notification (already a complete JSON-RPC object) to this connection. */
  notify(message: unknown): void
  /** Called once when the connection closes. */
  onClose(cb: () => void): void
}

export interface RpcContext {
  connection?: RpcConnection
}

/** A method handler. `params` is the raw params array (validated by the handler). */
export type RpcHandler = (params: readonly unknown[], ctx: RpcContext) => unknown

export type RpcMethods = ReadonlyMap<string, RpcHandler>
