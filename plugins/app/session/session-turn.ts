import { storeFailure, type ScriptCall, type ScriptClient } from './script-client.js'

/**
 * Calls sent in one script call at most: the script runs atomically, so a turn that makes more
 * sends them in several calls rather than holding Redis (and its memory) with one long one.
 */
export const MAX_CALLS_PER_SCRIPT = 64

interface Waiter {
  resolve: (answer: unknown) => void
  reject: (err: unknown) => void
}

interface Batch {
  keys: string[]
  /** The turn script's arguments after the time: each call's own (./session-turn-script.ts). */
  args: Array<string | number>
  sessions: Set<string>
  waiters: Waiter[]
}

/**
 * The session calls made during one turn of the event loop (reading a context, beginning and
 * ending queries, of any sessions), sent together by one call of the turn script when the turn's
 * I/O is done (setImmediate), instead of one round trip each: under load a turn holds many
 * requests' calls. Each call is answered on its own, with its own failure if it failed; a failed
 * script call fails them all (503 session_store_unavailable, as each alone would have).
 *
 * Any other operation on a session with a call pending sends the batch first (`inOrder`), so Redis
 * sees each session's commands in the order they were made. A Redis Cluster spreads sessions over
 * slots that one script cannot span: there each call is sent at once, as a turn of one.
 */
export class SessionTurn {
  private batch: Batch | null = null

  constructor (private readonly client: ScriptClient, private readonly script: ScriptCall) {}

  /** Adds one call (its keys, and its arguments from its operation's letter on); settles with its answer. */
  add (sessionId: string, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    if (this.batch === null) {
      this.batch = { keys: [], args: [], sessions: new Set(), waiters: [] }
      if (this.client.batching) setImmediate(() => { this.send() })
    }
    const batch = this.batch
    for (const key of keys) batch.keys.push(key)
    for (const arg of args) batch.args.push(arg)
    batch.sessions.add(sessionId)
    const answer = new Promise((resolve, reject) => { batch.waiters.push({ resolve, reject }) })
    if (!this.client.batching || batch.waiters.length >= MAX_CALLS_PER_SCRIPT) this.send()
    return answer
  }

  /** Before any other operation on `sessionId`: its pending calls go first. */
  inOrder (sessionId: string): void {
    if (this.batch !== null && this.batch.sessions.has(sessionId)) this.send()
  }

  private send (): void {
    const batch = this.batch
    if (batch === null) return
    this.batch = null
    this.client.run(this.script, [String(batch.keys.length), ...batch.keys], [Date.now(), ...batch.args]).then((answers) => {
      const each = answers as unknown[]
      batch.waiters.forEach((waiter, i) => {
        const answer = each[i]
        if (answer instanceof Error) waiter.reject(storeFailure(answer))
        else waiter.resolve(answer)
      })
    }, (err: unknown) => { for (const waiter of batch.waiters) waiter.reject(err) })
  }
}
