import { randomInt } from 'node:crypto'
import type { PoolConnection as CorePoolConnection } from 'mysql2'
import { limitsAssignments, type SessionSetup } from './dialect.js'

/**
 * How long a statement that sets a connection up (its id, modes, database, limits) or probes it
 * may take: they are instant on a working server. Past it the connection is dropped and the
 * request answers 503, instead of waiting for an answer that may never come (a stalled network
 * path) and keeping the connection from the pool meanwhile.
 */
export const SETUP_TIMEOUT_MS = 2000

export interface Limits {
  timeoutMs: number
  /** sql_select_limit: rows a top-level SELECT may produce. */
  selectLimit: number
}

/** What a pooled connection was last set to, so a request changes only what differs. */
export interface ConnectionState {
  /** CONNECTION_ID() as the server knows it (TiDB's can exceed the handshake's 32 bits). */
  connectionId: string
  /** When it was first used: connections are replaced past MYSQL_CONNECTION_MAX_AGE_SECONDS. */
  since: number
  /** What it was set to when first used, and is set to again after a reset. */
  setup: SessionSetup
  database: string | null
  /** The limits last applied (null: unknown, set them again). */
  timeoutMs: number | null
  selectLimit: number | null
  /**
   * Whose statement ran on it last since it was set up or reset (a session, or '' for the
   * service's own), whose warnings, counters and results are there for the next one to read; null
   * when none did.
   */
  usedBy: string | null
}

/**
 * The set-up's SET with the connection's RAND() generator seeded afresh: `rand_seed1` and
 * `rand_seed2` are the whole state of the generator an unseeded RAND() draws from, one per
 * connection, readable as variables and from two RAND() values. A new connection's seeds come
 * from the server's own generator, one for the whole server started from the clock (MariaDB's
 * COM_RESET_CONNECTION draws new ones); each set-up here draws them from the system's CSPRNG
 * instead, so no session can compute the state another session's RAND() starts from. MariaDB and
 * MySQL reduce a seed modulo 2^30 - 1.
 */
export function setupStatement (setup: SessionSetup): { sql: string, values: unknown[] } {
  return { sql: `${setup.init}, rand_seed1 = ?, rand_seed2 = ?`, values: [...setup.values, randomInt(0x3fffffff), randomInt(0x3fffffff)] }
}

/** Each connection's state, for as long as mysql2 keeps the connection. */
export const states = new WeakMap<CorePoolConnection, ConnectionState>()

/**
 * Whether a connection is reset before a statement of `owner` that runs stored code (a procedure,
 * a trigger, a function): when another owner's statement ran on it since its reset. Stored code
 * reads what the previous statement left there as no request's statement may (its warnings,
 * `Truncated incorrect DOUBLE value: 'alice@…'`, and its counters); its owner's own it may.
 */
export function resetsFirst (state: ConnectionState | undefined, owner: string): boolean {
  return state !== undefined && state.usedBy !== null && state.usedBy !== owner
}

/** Whether a connection's limits differ from the request's. */
export function limitsDiffer (state: ConnectionState, limits: Limits): boolean {
  return state.timeoutMs !== limits.timeoutMs || state.selectLimit !== limits.selectLimit
}

/** Who hears that a connection died, while a statement runs on it. */
const lostHandlers = new WeakMap<CorePoolConnection, ((err?: Error) => void) | null>()

/**
 * The pool listens for a connection's first error only (to drop it); a command sent to a
 * connection that has just died raises another, which must not become an uncaught exception. The
 * connection's errors and end go to the statement running on it then (see onConnectionLost), and
 * are ignored between statements: one pair of listeners for the connection's life.
 */
export function guard (conn: CorePoolConnection): void {
  if (lostHandlers.has(conn)) return
  lostHandlers.set(conn, null)
  conn.on('error', (err: Error) => { lostHandlers.get(conn)?.(err) })
  conn.on('end', () => { lostHandlers.get(conn)?.() })
}

/**
 * Who hears that a leased connection died mid-statement: a connection that dies tells the
 * connection, not the streaming command. `null` once the statement is over.
 */
export function onConnectionLost (conn: CorePoolConnection, handler: ((err?: Error) => void) | null): void {
  lostHandlers.set(conn, handler)
}

/**
 * What becomes of a connection after its statement: back to the pool as it is (`keep`); its
 * session state reset first (`reset`: COM_RESET_CONNECTION rolls back, drops temporary tables,
 * releases user locks, clears variables and prepared statements, and the connection's set-up is
 * applied again); or closed and replaced (`discard`: its state, or the protocol, is unknown).
 */
export type Aftercare = 'keep' | 'reset' | 'discard'

/** Resets a connection's session state and applies its set-up again, then returns it to the pool; closes it if either fails. */
export function resetThenRelease (conn: CorePoolConnection, state: ConnectionState, done: () => void): void {
  resetSession(conn, state, (err) => {
    if (err !== null) conn.destroy()
    else conn.release()
    done()
  })
}

/**
 * Resets a connection's session state and applies its set-up again, with the limits it had (in
 * the same SET: a reset leaves the server's defaults, and the next lease would set them again);
 * `done` hears the first error. COM_RESET_CONNECTION takes no timeout of its own, so one
 * unanswered past SETUP_TIMEOUT_MS (a stalled network path) closes the connection and fails as a
 * timed-out set-up statement does.
 */
export function resetSession (conn: CorePoolConnection, state: ConnectionState, done: (err: Error | null) => void): void {
  const { timeoutMs, selectLimit } = state
  const limits = timeoutMs === null || selectLimit === null ? '' : `, ${limitsAssignments(state.setup.dialect, timeoutMs, selectLimit)}`
  state.timeoutMs = state.selectLimit = null
  let settled = false
  const finish = (err: Error | null): void => {
    if (settled) return
    settled = true
    clearTimeout(timer)
    done(err)
  }
  const timer = setTimeout(() => {
    conn.destroy()
    finish(Object.assign(new Error('The connection\'s reset had no answer in time'), { code: 'PROTOCOL_SEQUENCE_TIMEOUT', fatal: true }))
  }, SETUP_TIMEOUT_MS)
  conn.reset((err) => {
    if (err !== null) {
      finish(err)
      return
    }
    const { sql, values } = setupStatement(state.setup)
    conn.query({ sql: sql + limits, values, timeout: SETUP_TIMEOUT_MS }, (err) => {
      if (err === null) Object.assign(state, { usedBy: null, timeoutMs, selectLimit })
      finish(err)
    })
  })
}
