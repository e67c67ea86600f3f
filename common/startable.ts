/** Long-running parts implement start/stop; constructors start nothing. */
export interface Startable {
  start(): Promise<void>
  stop(): Promise<void>
}
