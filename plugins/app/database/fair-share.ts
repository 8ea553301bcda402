import { databaseBusy } from '../errors/errors.js'

/**
 * Who gets the instance's database connections, so that no session can take them from the others:
 * - a session holds at most `perOwner` connections at once;
 * - `reserve` connections go only to sessions that hold none, so a newcomer finds one even while
 *   long statements of other sessions hold every other connection (PgBouncer's reserve pool);
 * - waiting requests are served across sessions in turn, not first come, first served: a session
 *   with a hundred queued queries does not make the next session's one query wait behind them.
 * It counts grants only; mysql2's pool holds the connections themselves.
 */
export interface FairShareOptions {
  size: number
  reserve: number
  perOwner: number
  /** Requests that may wait at once; past it, 503 database_busy at once (or `busy()`). */
  maxWaiting: number
  busy?: () => Error
}

interface Waiter {
  grant: () => void
}

export class FairShare {
  private inUse = 0
  private waitingCount = 0
  private readonly held = new Map<string, number>()
  /** Waiting requests by owner; the map's order is the turn order. */
  private readonly queues = new Map<string, Waiter[]>()

  constructor (private readonly options: FairShareOptions) {}

  /** Resolves once `owner` may take a connection; every take is followed by one `give`. */
  take (owner: string): Promise<void> {
    if (this.eligible(owner)) {
      this.hold(owner)
      return Promise.resolve()
    }
    if (this.waitingCount >= this.options.maxWaiting) return Promise.reject(this.options.busy?.() ?? databaseBusy())
    return new Promise((resolve) => {
      const queue = this.queues.get(owner)
      const waiter = { grant: resolve }
      if (queue === undefined) this.queues.set(owner, [waiter])
      else queue.push(waiter)
      this.waitingCount++
    })
  }

  /** `owner`'s connection is back (or closed): the next waiter in turn may take one. */
  give (owner: string): void {
    const count = this.held.get(owner) ?? 0
    if (count <= 1) this.held.delete(owner)
    else this.held.set(owner, count - 1)
    this.inUse--
    this.dispatch()
  }

  /** Connections granted now, and requests waiting: for tests and diagnostics. */
  stats (): { inUse: number, waiting: number, owners: number } {
    return { inUse: this.inUse, waiting: this.waitingCount, owners: this.held.size }
  }

  private eligible (owner: string): boolean {
    const holding = this.held.get(owner) ?? 0
    const free = this.options.size - this.inUse
    return holding < this.options.perOwner && (free > this.options.reserve || (free > 0 && holding === 0))
  }

  private hold (owner: string): void {
    this.held.set(owner, (this.held.get(owner) ?? 0) + 1)
    this.inUse++
  }

  /** Grants to waiting owners in turn while one may take a connection. */
  private dispatch (): void {
    let granted = true
    while (granted && this.waitingCount > 0) {
      granted = false
      for (const [owner, queue] of this.queues) {
        if (!this.eligible(owner)) continue
        const waiter = queue.shift()!
        this.waitingCount--
        // To the end of the turn order, or out of it when nothing else of it waits.
        this.queues.delete(owner)
        if (queue.length > 0) this.queues.set(owner, queue)
        this.hold(owner)
        waiter.grant()
        granted = true
        break
      }
    }
  }
}

/**
 * The shares of a pool of `size`: a fifth kept for sessions that hold none (none below three
 * connections), and a session's cap at a quarter of the rest (at least one, at most `maxPerSession`).
 */
export function poolShares (size: number, maxPerSession: number): { reserve: number, perOwner: number } {
  const reserve = size >= 3 ? Math.max(1, Math.floor(size / 5)) : 0
  const perOwner = Math.min(maxPerSession, Math.max(1, Math.floor((size - reserve) / 4)))
  return { reserve, perOwner }
}
