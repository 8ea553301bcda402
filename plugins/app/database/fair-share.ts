import { decrement, increment } from '../counts.js'
import { databaseBusy } from '../errors/errors.js'

/**
 * Who gets the instance's database connections, so that no session, and no client, can take them
 * from the others:
 * - a session holds at most `perOwner` connections at once;
 * - a session's group (its client address) takes a connection past `perGroup` only while no other
 *   group waits: what a client holding more gives back goes to the other clients waiting, so a
 *   client naming many sessions does not get a turn for each ahead of them, and one client alone
 *   still has the whole pool;
 * - in a pool that queues nothing (exports), where no one is known to wait, a group holds at most
 *   `groupCap` connections, so the rest stays for other clients however many sessions one names;
 * - `reserve` connections go only to sessions that hold none, so a newcomer finds one even while
 *   long statements of other sessions hold every other connection (PgBouncer's reserve pool);
 * - waiting requests are served across sessions in turn, not first come, first served: a session
 *   with a hundred queued queries does not make the next session's one query wait behind them.
 * - the waiting room (`maxWaiting`) is shared the same way: once it is full, a request of another
 *   group takes the place of the newest waiter of a group that fills more than half of it, so a
 *   client that keeps hundreds of requests waiting cannot make every other client's `503`.
 * It counts grants only; mysql2's pool holds the connections themselves.
 */
export interface FairShareOptions {
  size: number
  reserve: number
  perOwner: number
  /** The connections of one group past which it takes one only while no other group waits (no bound when absent). */
  perGroup?: number
  /** The connections one group holds at most, whether or not another waits (no bound when absent). */
  groupCap?: number
  /** Requests that may wait at once; past it, 503 database_busy at once (or `busy()`). */
  maxWaiting: number
  busy?: (limit: BusyLimit) => Error
}

/** The limit a refused request met: its session's, its group's, or the pool's. */
export type BusyLimit = 'owner' | 'group' | 'pool'

interface Waiter {
  grant: () => void
  refuse: (err: Error) => void
}

export class FairShare {
  private inUse = 0
  private waitingCount = 0
  private readonly held = new Map<string, number>()
  private readonly groupHeld = new Map<string, number>()
  private readonly groupWaiting = new Map<string, number>()
  /** Each owner's group while it holds or waits for a connection: the group it first came with. */
  private readonly groupOf = new Map<string, string>()
  /** Waiting requests by owner; the map's order is the turn order. */
  private readonly queues = new Map<string, Waiter[]>()

  constructor (private readonly options: FairShareOptions) {}

  /** Resolves once `owner` (of `group`) may take a connection; every take is followed by one `give`. */
  take (owner: string, group = owner): Promise<void> {
    const ownGroup = this.groupOf.get(owner) ?? group
    this.groupOf.set(owner, ownGroup)
    if (this.eligible(owner)) {
      this.hold(owner)
      return Promise.resolve()
    }
    if (this.waitingCount >= this.options.maxWaiting && !this.makeRoom(ownGroup)) {
      const limit = this.limitMet(owner)
      this.forget(owner)
      return Promise.reject(this.options.busy?.(limit) ?? databaseBusy())
    }
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(owner)
      const waiter = { grant: resolve, refuse: reject }
      if (queue === undefined) this.queues.set(owner, [waiter])
      else queue.push(waiter)
      this.waitingCount++
      increment(this.groupWaiting, ownGroup)
    })
  }

  /** `owner`'s connection is back (or closed): the next waiter in turn may take one. */
  give (owner: string): void {
    const group = this.groupOf.get(owner) ?? owner
    decrement(this.held, owner)
    decrement(this.groupHeld, group)
    this.forget(owner)
    this.inUse--
    this.dispatch()
  }

  /**
   * Room for one more waiter of `group` in a full waiting room: the group that waits most gives up
   * its newest waiter (of its owner that waits most), `busy`, when it fills more than half of the
   * room and is not `group`. False when no group does.
   */
  private makeRoom (group: string): boolean {
    let most = 0
    let biggest = group
    for (const [candidate, waiting] of this.groupWaiting) if (waiting > most) [biggest, most] = [candidate, waiting]
    if (biggest === group || most * 2 <= this.options.maxWaiting) return false
    let owner = ''
    let longest = 0
    for (const [candidate, queue] of this.queues) {
      if (queue.length > longest && this.groupOf.get(candidate) === biggest) [owner, longest] = [candidate, queue.length]
    }
    const queue = this.queues.get(owner)!
    const waiter = queue.pop()!
    if (queue.length === 0) {
      this.queues.delete(owner)
      this.forget(owner)
    }
    this.waitingCount--
    decrement(this.groupWaiting, biggest)
    waiter.refuse(this.options.busy?.('pool') ?? databaseBusy())
    return true
  }

  /** Drops `owner`'s group once it holds and waits for nothing. */
  private forget (owner: string): void {
    if (!this.held.has(owner) && !this.queues.has(owner)) this.groupOf.delete(owner)
  }

  /** Connections granted now, and requests waiting: for tests and diagnostics. */
  stats (): { inUse: number, waiting: number, owners: number } {
    return { inUse: this.inUse, waiting: this.waitingCount, owners: this.held.size }
  }

  private eligible (owner: string): boolean {
    const holding = this.held.get(owner) ?? 0
    if (holding >= this.options.perOwner) return false
    const free = this.options.size - this.inUse
    const group = this.groupOf.get(owner) ?? owner
    if (this.atGroupCap(group)) return false
    // Past its share a group takes only what no other group waits for.
    const mayTake = (this.groupHeld.get(group) ?? 0) < (this.options.perGroup ?? Infinity) || this.waitingCount === (this.groupWaiting.get(group) ?? 0)
    return mayTake && (free > this.options.reserve || (free > 0 && holding === 0))
  }

  /** Whether `group` holds its `groupCap` (never, where none is set). */
  private atGroupCap (group: string): boolean {
    return this.options.groupCap !== undefined && (this.groupHeld.get(group) ?? 0) >= this.options.groupCap
  }

  /** Which limit keeps `owner` from a connection now. */
  private limitMet (owner: string): BusyLimit {
    if ((this.held.get(owner) ?? 0) >= this.options.perOwner) return 'owner'
    return this.atGroupCap(this.groupOf.get(owner) ?? owner) ? 'group' : 'pool'
  }

  private hold (owner: string): void {
    const group = this.groupOf.get(owner) ?? owner
    increment(this.held, owner)
    increment(this.groupHeld, group)
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
        decrement(this.groupWaiting, this.groupOf.get(owner) ?? owner)
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
 * connections), a session's cap at a quarter of the rest (at least one, at most `maxPerSession`),
 * and a client address's at half the rest (at least a session's).
 */
export function poolShares (size: number, maxPerSession: number): { reserve: number, perOwner: number, perGroup: number } {
  const reserve = size >= 3 ? Math.max(1, Math.floor(size / 5)) : 0
  const perOwner = Math.min(maxPerSession, Math.max(1, Math.floor((size - reserve) / 4)))
  return { reserve, perOwner, perGroup: Math.max(perOwner, Math.floor((size - reserve) / 2)) }
}
