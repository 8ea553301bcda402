/** What the watchdog needs of the client's connection: whether it is gone. */
export interface ClientConnection {
  readonly destroyed: boolean
}

/** How often a running read looks whether its client is still connected. */
const CLIENT_CHECK_MS = 500
/** Past the timeout, the server-side limit has had this long to act before KILL QUERY is sent. */
const KILL_GRACE_MS = 500
/** After KILL QUERY, how long the statement may take to end before its connection is closed. */
export const ABANDON_AFTER_MS = 2000

export interface WatchdogActions {
  /** Send KILL QUERY for the statement. */
  kill: () => void
  /** The statement outlived its KILL QUERY by ABANDON_AFTER_MS: stop waiting for it. */
  abandon: () => void
}

/**
 * Watches one running statement, with one timer at a time (most statements end long before the
 * first fires): past its timeout and a grace, it is killed (KILL QUERY); if it still has not ended
 * a while later, it is abandoned. A read whose client has gone (a closed tab, a client's own
 * timeout) is killed the same way: nobody will see its rows. The client's connection is looked at
 * every CLIENT_CHECK_MS rather than listened to, as a listener on each request's connection costs
 * every request (docs/performance.md). A write has no `client`: it runs on, since its client
 * cannot learn its outcome either way.
 */
export class StatementWatchdog {
  /** KILL QUERY was sent: the connection is never reused, as the KILL could stop its next statement. */
  killed = false
  /** It was killed because its client had gone. */
  clientGone = false
  private checkedMs = 0
  private timer: NodeJS.Timeout

  constructor (
    private readonly limitMs: number,
    private readonly client: ClientConnection | null | undefined,
    private readonly actions: WatchdogActions
  ) {
    this.limitMs += KILL_GRACE_MS
    this.timer = client == null
      ? setTimeout(() => this.kill(), this.limitMs)
      : setTimeout(() => this.check(), Math.min(CLIENT_CHECK_MS, this.limitMs))
  }

  stop (): void {
    clearTimeout(this.timer)
  }

  private check (): void {
    this.checkedMs += Math.min(CLIENT_CHECK_MS, this.limitMs - this.checkedMs)
    if (this.client?.destroyed === true) {
      this.clientGone = true
      this.kill()
    } else if (this.checkedMs >= this.limitMs) {
      this.kill()
    } else {
      this.timer = setTimeout(() => this.check(), Math.min(CLIENT_CHECK_MS, this.limitMs - this.checkedMs))
    }
  }

  private kill (): void {
    this.killed = true
    this.actions.kill()
    this.timer = setTimeout(this.actions.abandon, ABANDON_AFTER_MS)
  }
}
