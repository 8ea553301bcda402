import type { PoolConnection as CorePoolConnection } from 'mysql2'
import { escapeId, type PoolConnection, type RowDataPacket } from 'mysql2/promise'
import { databaseNotFound } from '../errors/errors.js'
import { guard, limitsDiffer, resetSession, SETUP_TIMEOUT_MS, setupStatement, states, type ConnectionState, type Limits } from './connection-state.js'
import { limitsStatement, sessionSetup, type DialectName } from './dialect.js'
import { driverValues } from './pool-options.js'

const ER_BAD_DB_ERROR = 1049

/**
 * Sets a pooled connection up for a statement: on its first use, its id, its modes and its
 * set-up (./dialect.ts); its session reset, when asked (see Mysql.acquire); then the session's
 * database and the request's limits, each only when it differs from what the connection was last
 * set to.
 */
export class ConnectionSetup {
  constructor (private readonly dialect: () => Promise<DialectName>, private readonly readOnly: boolean, private readonly writeTimeoutSeconds?: number) {}

  /**
   * Sets a connection (state: what it was last set to, if known) to `database` and `limits`,
   * reset first with `resetFirst` (see Mysql.acquire).
   */
  async prepare (core: CorePoolConnection, state: ConnectionState | undefined, database: string, limits: Limits | undefined, resetFirst = false): Promise<ConnectionState> {
    // Often only one of the steps is needed: the promise wrapper is made only when a statement is sent.
    let wrapped: PoolConnection | undefined
    const promised = (): PoolConnection => (wrapped ??= core.promise())
    if (state === undefined) {
      guard(core)
      const conn = promised()
      const [rows] = await conn.query<Array<{ id: string, mode: string } & RowDataPacket>>(
        { sql: 'SELECT CONNECTION_ID() AS id, @@SESSION.sql_mode AS mode', timeout: SETUP_TIMEOUT_MS, rowsAsArray: false, typeCast: driverValues })
      const setup = sessionSetup(await this.dialect(), rows[0]?.mode ?? '', this.readOnly, this.writeTimeoutSeconds)
      const { sql, values } = setupStatement(setup)
      await conn.query({ sql, timeout: SETUP_TIMEOUT_MS }, values)
      state = { connectionId: String(rows[0]?.id), since: Date.now(), setup, database: null, timeoutMs: null, selectLimit: null, usedBy: null }
      states.set(core, state)
    } else if (resetFirst) {
      const known = state
      await new Promise<void>((resolve, reject) => { resetSession(core, known, (err) => { if (err === null) resolve(); else reject(err) }) })
    }
    if (state.database !== database) {
      state.database = null
      // One identifier, backquotes doubled; dots are part of the name, not qualifiers.
      await promised().query({ sql: `USE ${escapeId(database, true)}`, timeout: SETUP_TIMEOUT_MS }).catch((err: { errno?: number }) => {
        throw err.errno === ER_BAD_DB_ERROR ? databaseNotFound(database) : err
      })
      state.database = database
    }
    if (limits !== undefined && limitsDiffer(state, limits)) await this.applyLimits(promised(), state, limits)
    return state
  }

  /** Sets a connection's limits, and remembers them in its state once they are set (unknown meanwhile). */
  async applyLimits (conn: PoolConnection, state: ConnectionState | undefined, limits: Limits): Promise<void> {
    if (state !== undefined) state.timeoutMs = state.selectLimit = null
    await conn.query({ sql: limitsStatement(await this.dialect(), limits.timeoutMs, limits.selectLimit), timeout: SETUP_TIMEOUT_MS })
    if (state === undefined) return
    state.timeoutMs = limits.timeoutMs
    state.selectLimit = limits.selectLimit
  }
}
