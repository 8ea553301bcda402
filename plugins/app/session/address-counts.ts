import { rateLimited } from '../errors/errors.js'
import type { ScriptCall, ScriptClient } from './script-client.js'

interface Waiter { position: number, max: number, resolve: () => void, reject: (err: unknown) => void }

/**
 * The requests of each client address counted during one turn of the event loop, sent together by
 * one script call when the turn's I/O is done: under load most requests of a turn come from few
 * addresses. Each request learns its own place in the count (the total minus what came after it),
 * so the limit is exactly that of one call each. On a Redis Cluster each count is its own call.
 */
export class AddressCounts {
  private batch: Map<string, { n: number, waiters: Waiter[] }> | null = null

  constructor (
    private readonly client: ScriptClient,
    private readonly countOne: ScriptCall,
    private readonly countMany: ScriptCall,
    private readonly windowMs: number
  ) {}

  /** Counts one request on `key`, `weight` times; over `max` in the window, 429 rate_limited. */
  async count (key: string, max: number, weight = 1): Promise<void> {
    if (!this.client.batching) {
      const [current, ttl] = await this.client.run(this.countOne, [key], [weight]) as [number, number]
      if (current > max) throw rateLimited(max, this.windowMs, ttl)
      return
    }
    if (this.batch === null) {
      this.batch = new Map()
      setImmediate(() => this.send())
    }
    let counted = this.batch.get(key)
    if (counted === undefined) this.batch.set(key, counted = { n: 0, waiters: [] })
    counted.n += weight
    const position = counted.n
    const waiters = counted.waiters
    return await new Promise((resolve, reject) => { waiters.push({ position, max, resolve, reject }) })
  }

  private send (): void {
    const batch = this.batch
    if (batch === null) return
    this.batch = null
    const keys = [...batch.keys()]
    this.client.run(this.countMany, [String(keys.length), ...keys], keys.map((key) => batch.get(key)!.n)).then((reply) => {
      const totals = reply as number[]
      keys.forEach((key, i) => {
        const { n, waiters } = batch.get(key)!
        for (const waiter of waiters) {
          const current = totals[2 * i]! - n + waiter.position
          if (current > waiter.max) waiter.reject(rateLimited(waiter.max, this.windowMs, totals[2 * i + 1]!))
          else waiter.resolve()
        }
      })
    }, (err: unknown) => { for (const { waiters } of batch.values()) for (const waiter of waiters) waiter.reject(err) })
  }
}
