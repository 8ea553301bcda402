import type { Connection as CoreConnection } from 'mysql2'
import { paramCountMismatch } from './query-errors.js'

export type Param = string | number | boolean | null
export type Command = ReturnType<CoreConnection['query']>

/** What mysql2 takes a statement as: rows as arrays, and its typeCast if not the pool's. */
export interface StatementCommand {
  sql: string
  rowsAsArray: true
  typeCast?: false | ((field: never, next: () => unknown) => unknown)
}

export interface SendCallbacks {
  /** The statement went to the server: its command's events follow. */
  sent: (command: Command) => void
  /** It was not sent: its PREPARE failed, or `params` do not match its placeholders. */
  refused: (err: Error) => void
  /** The caller gave up meanwhile (a timeout, a lost connection): nothing more is sent. */
  settled: () => boolean
}

/**
 * Sends one statement: as a query, or with `params` as a server-side prepared statement. The
 * server counts the statement's placeholders when it prepares it. Executed with more values than
 * that, MariaDB 10.11 reads the extra bytes as the first values (SELECT ? with [1, 2] answers
 * 2.5e-323), so the count is checked before anything runs. The execute that follows finds the
 * statement in mysql2's per-connection cache: no second round trip. The caller unprepares it
 * (with the same `command`, mysql2's cache key) when it ends.
 */
export function sendStatement (core: CoreConnection, command: StatementCommand, params: Param[], on: SendCallbacks): void {
  if (params.length === 0) {
    // Without a typeCast of its own, the statement goes as its text (rows as arrays: the pool's
    // setting): an options object, mysql2 spreads into another, about 5 µs a query.
    on.sent(core.query((command.typeCast === undefined ? command.sql : command) as never))
    return
  }
  core.prepare(command as unknown as string, (err, statement) => {
    if (on.settled()) return
    if (err !== null) return on.refused(err)
    // mysql2 keeps the server's parameter definitions (one per placeholder); its types omit them.
    const expected = (statement as unknown as { parameters?: unknown[] }).parameters?.length ?? 0
    if (expected !== params.length) return on.refused(paramCountMismatch(expected, params.length))
    on.sent(core.execute({ ...command, values: params } as never))
  })
}
