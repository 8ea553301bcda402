import type { ScriptCall, ScriptClient } from './script-client.js'

/**
 * Queries ended by one script call at most: the script runs atomically, so a turn that ends more
 * queries sends them in several calls rather than holding Redis (and its memory) with one long one.
 */
export const MAX_ENDS_PER_CALL = 64

interface EndBatch {
  keys: string[]
  /** The end script's arguments: the history length, then two per query. */
  args: Array<string | number>
  sessions: Set<string>
  done: Promise<void>
  settle: (err?: unknown) => void
}

/**
 * Queries that end during one turn of the event loop, released and recorded together by one
 * script call when the turn's I/O is done (setImmediate) instead of one round trip each: under
 * load, several end per turn. Nothing waits for it (the answer has gone out), and it leaves Redis
 * no later than a command sent at once would have (the turn's commands leave together anyway).
 * Any other operation on a session with a pending end sends the batch first (`inOrder`), so Redis
 * sees each session's commands in the order they were made. A Redis Cluster spreads sessions over
 * slots that one script cannot span: there each end is sent at once.
 */
export class QueryEnds {
  private batch: EndBatch | null = null

  constructor (private readonly client: ScriptClient, private readonly endQueries: ScriptCall, private readonly historyLimit: number) {}

  /** Adds one query's end: its session's born, history and inflight keys, its slot and its history entry. */
  add (sessionId: string, keys: readonly string[], queryId: string, entryJson: string): Promise<void> {
    if (this.batch === null) {
      this.batch = this.newBatch()
      if (this.client.batching) setImmediate(() => this.send())
    }
    const batch = this.batch
    for (const key of keys) batch.keys.push(key)
    batch.args.push(queryId, entryJson)
    batch.sessions.add(sessionId)
    if (!this.client.batching || batch.keys.length >= MAX_ENDS_PER_CALL * 3) this.send()
    return batch.done
  }

  /** Before any other operation on `sessionId`: its pending ends go first. */
  inOrder (sessionId: string): void {
    if (this.batch !== null && this.batch.sessions.has(sessionId)) this.send()
  }

  private send (): void {
    const batch = this.batch
    if (batch === null) return
    this.batch = null
    this.client.run(this.endQueries, [String(batch.keys.length), ...batch.keys], batch.args)
      .then(() => batch.settle(), batch.settle)
  }

  private newBatch (): EndBatch {
    let settle!: (err?: unknown) => void
    const done = new Promise<void>((resolve, reject) => {
      settle = (err) => { if (err === undefined) resolve(); else reject(err) }
    })
    return { keys: [], args: [this.historyLimit], sessions: new Set(), done, settle }
  }
}
