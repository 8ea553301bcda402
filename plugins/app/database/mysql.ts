import fp from 'fastify-plugin'
import { setMaxParserCache, type PoolConnection as CorePoolConnection } from 'mysql2'
import { createPool, type Pool, type PoolConnection, type RowDataPacket } from 'mysql2/promise'
import type { Config } from '../../../config.js'
import { toAppError } from '../errors/mysql-errors.js'
import { sqlServer, type SqlServer } from '../query/sql/server.js'
import { ConnectionSetup } from './connection-setup.js'
import {
  guard, limitsDiffer, resetsFirst, resetThenRelease, SETUP_TIMEOUT_MS, states,
  type Aftercare, type ConnectionState, type Limits
} from './connection-state.js'
import type { DialectName } from './dialect.js'
import { FairShare, poolShares } from './fair-share.js'
import { driverValues, PARSER_CACHE_SIZE, poolOptions, queryPool, type PoolSettings } from './pool-options.js'

export { onConnectionLost, type Aftercare, type Limits } from './connection-state.js'

declare module 'fastify' {
  interface FastifyInstance {
    mysql: Mysql
  }
}

/** Whose turn the service's own statements (start-up, /ready) wait in. */
const SERVICE = ''

/**
 * How much longer than its server-side timeout the service's own statement is waited for: the
 * server's timeout error comes first, and past this the server is not answering at all.
 */
const SERVER_TIMEOUT_GRACE_MS = 2000

/** A connection borrowed for one statement, set to the session's database and limits. */
export interface Lease {
  /** mysql2's own connection (its commands are event emitters); `conn.promise()` for promises. */
  conn: CorePoolConnection
  connectionId: string
  /**
   * Gives the connection back. After `reset`, the promise settles once the connection's session
   * is reset (or the connection closed), so a caller can keep nothing the statement left on the
   * connection from outliving its answer; otherwise nothing is waited for (undefined).
   */
  release: (after?: Aftercare) => Promise<void> | undefined
}

/**
 * One pool for every session. A connection remembers its database and limits; a session's query
 * borrows any connection and changes only what differs, so a steady workload spends no extra
 * round trip. Who may take a connection is the fair share's call (./fair-share.ts); the pool's own
 * queue is never used. A separate two-connection pool sends KILL QUERY, so it never waits behind
 * the queries it must stop.
 */
export class Mysql {
  readonly pool: Pool
  private readonly control: Pool
  private readonly share: FairShare
  private readonly maxAgeMs: number
  private readonly setup: ConnectionSetup
  private serverInfo: Promise<SqlServer> | undefined
  /**
   * The limits of the service's own statements. A pooled connection keeps the limits of the last
   * session query that ran on it (`sql_select_limit` = its max_rows + 1, its timeout), which a
   * catalog read must not inherit. No row limit, and QUERY_TIMEOUT_MS on the server, so that a
   * catalog read too long for it is stopped there rather than left running.
   */
  private readonly serviceLimits: Limits

  constructor (private readonly config: Config, options: PoolSettings = queryPool(config)) {
    setMaxParserCache(PARSER_CACHE_SIZE)
    const common = poolOptions(config, options.statementTypeCast)
    const { size, maxWaiting, busy, groupCap } = options
    this.pool = createPool({ ...common, connectionLimit: size, maxIdle: size, idleTimeout: 60_000, queueLimit: size * 50 })
    this.control = createPool({ ...common, connectionLimit: 2, maxIdle: 1, queueLimit: 10 })
    this.share = new FairShare({ size, maxWaiting, ...(busy === undefined ? {} : { busy }), ...(groupCap === undefined ? {} : { groupCap }), ...poolShares(size, config.SESSION_MAX_CONCURRENT_QUERIES) })
    this.maxAgeMs = config.MYSQL_CONNECTION_MAX_AGE_SECONDS * 1000
    this.serviceLimits = { timeoutMs: config.QUERY_TIMEOUT_MS, selectLimit: Number.MAX_SAFE_INTEGER }
    this.setup = new ConnectionSetup(async () => await this.dialect(), config.READ_ONLY, options.writeTimeoutSeconds)
  }

  /** The connected server's dialect and version, read once. */
  server (): Promise<SqlServer> {
    this.serverInfo ??= this.bounded<Array<{ version: string } & RowDataPacket>>(this.pool, SETUP_TIMEOUT_MS, 'SELECT VERSION() AS version')
      .then((rows) => sqlServer(rows[0]?.version ?? ''))
      .catch((err: unknown) => {
        this.serverInfo = undefined
        throw toAppError(err)
      })
    return this.serverInfo
  }

  async dialect (): Promise<DialectName> {
    return (await this.server()).dialect
  }

  /**
   * A connection in `database` with `limits` applied, for one statement of `owner` (a session):
   * it waits its turn among the sessions (./fair-share.ts), reset first if it `runsStoredCode`
   * where another's statement ran (./connection-state.ts, resetsFirst).
   */
  async acquire (database: string, limits?: Limits, owner = SERVICE, group = owner, runsStoredCode = false): Promise<Lease> {
    await this.share.take(owner, group)
    let conn: CorePoolConnection
    let state: ConnectionState | undefined
    try {
      [conn, state] = await this.youngConnection()
    } catch (err) {
      this.share.give(owner)
      throw toAppError(err)
    }
    // A connection already in the database, with the limits: no statement, and no extra await.
    const resetFirst = runsStoredCode && resetsFirst(state, owner)
    if (state === undefined || state.database !== database || (limits !== undefined && limitsDiffer(state, limits)) || resetFirst) {
      try {
        state = await this.setup.prepare(conn, state, database, limits, resetFirst)
      } catch (err) {
        conn.destroy() // its state is unknown now
        this.share.give(owner)
        throw toAppError(err)
      }
    }
    return this.lease(conn, state, owner)
  }

  /** Asks the server to stop the statement running on connection `connectionId`. */
  async killQuery (connectionId: string): Promise<void> {
    if (!/^\d+$/.test(connectionId)) return
    await this.bounded(this.control, SETUP_TIMEOUT_MS, `KILL QUERY ${connectionId}`)
  }

  /**
   * A statement of the service's own (catalog, grants), stopped by the server past
   * QUERY_TIMEOUT_MS (a server timeout error), on a connection without a session's limits. It
   * takes its turn as `owner` of `group` (./fair-share.ts).
   */
  query<T extends RowDataPacket[]> (sql: string, values: unknown[] = [], owner = SERVICE, group = owner): Promise<T> {
    return this.bounded<T>(this.pool, this.config.QUERY_TIMEOUT_MS + SERVER_TIMEOUT_GRACE_MS, sql, values, this.serviceLimits, owner, group)
  }

  /** Connections granted and requests waiting for one. */
  shareStats (): ReturnType<FairShare['stats']> {
    return this.share.stats()
  }

  async ping (): Promise<void> {
    await this.bounded(this.pool, SETUP_TIMEOUT_MS, 'SELECT 1')
  }

  /** Ends both pools: a connection whose log-in has just failed fails its pool's end with that error, and nothing of it is left to close. */
  async close (): Promise<void> {
    await Promise.allSettled([this.pool.end(), this.control.end()])
  }

  /** A pooled connection younger than MYSQL_CONNECTION_MAX_AGE_SECONDS (TiDB Cloud cuts older idle ones). */
  private async youngConnection (): Promise<[CorePoolConnection, ConnectionState | undefined]> {
    let conn = await takeConnection(this.pool)
    let state = states.get(conn)
    while (state !== undefined && Date.now() - state.since > this.maxAgeMs) {
      conn.destroy()
      conn = await takeConnection(this.pool)
      state = states.get(conn)
    }
    return [conn, state]
  }

  private lease (conn: CorePoolConnection, state: ConnectionState, owner: string): Lease {
    state.usedBy = owner
    let released = false
    return {
      conn,
      connectionId: state.connectionId,
      release: (after = 'keep') => {
        if (released) return
        released = true
        const young = Date.now() - state.since <= this.maxAgeMs
        if (after === 'reset' && young) {
          return new Promise((resolve) => {
            resetThenRelease(conn, state, () => {
              this.share.give(owner)
              resolve()
            })
          })
        }
        if (after === 'discard' || !young) conn.destroy()
        else conn.release()
        this.share.give(owner)
      }
    }
  }

  /**
   * One statement of the service's own on `on`, bounded by `timeoutMs`. Its connection goes back to
   * the pool only if the statement ended normally; otherwise its state is unknown and it is closed.
   * With `limits`, a connection that a session's query left with other limits is set to them first.
   */
  private async bounded<T extends RowDataPacket[]> (on: Pool, timeoutMs: number, sql: string, values: unknown[] = [], limits?: Limits, owner = SERVICE, group = owner): Promise<T> {
    const shared = on === this.pool
    if (shared) await this.share.take(owner, group)
    let conn: PoolConnection
    try {
      conn = await on.getConnection()
    } catch (err) {
      if (shared) this.share.give(owner)
      throw err
    }
    const core = conn.connection as unknown as CorePoolConnection
    guard(core)
    try {
      const state = states.get(core)
      // A connection no session has used yet has the server's defaults, and no state to keep: it
      // gets the limits for this statement (a session's first use sets its own).
      if (limits !== undefined && (state === undefined || limitsDiffer(state, limits))) await this.setup.applyLimits(conn, state, limits)
      if (state !== undefined) state.usedBy = owner
      const [rows] = await conn.query<T>({ sql, timeout: timeoutMs, rowsAsArray: false, typeCast: driverValues }, values)
      conn.release()
      return rows
    } catch (err) {
      conn.destroy()
      throw err
    } finally {
      if (shared) this.share.give(owner)
    }
  }
}

/**
 * A connection of the pool as mysql2 itself holds it, without mysql2/promise's wrapper (an event
 * emitter with two listeners and a table of its own, built on every getConnection). The rare
 * set-up statements get a promise wrapper of their own (`conn.promise()`).
 */
function takeConnection (pool: Pool): Promise<CorePoolConnection> {
  return new Promise((resolve, reject) => {
    pool.pool.getConnection((err, conn) => {
      if (err) reject(err)
      else resolve(conn)
    })
  })
}

export const createMysql = (config: Config): Mysql => new Mysql(config)

export default fp(async function mysqlPlugin (fastify) {
  const mysql = createMysql(fastify.config)
  fastify.decorate('mysql', mysql)
  fastify.addHook('onClose', async () => { await mysql.close() })
  // Detect the dialect at start-up; an unreachable server is not fatal (/ready tells).
  await mysql.dialect().then(
    (name) => { fastify.log.info({ dialect: name }, 'database dialect detected') },
    () => { fastify.log.warn('database is not reachable yet; queries answer 503 until it is') })
}, { name: 'mysql', dependencies: ['config'] })
