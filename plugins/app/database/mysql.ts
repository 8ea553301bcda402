import { readFileSync } from 'node:fs'
import fp from 'fastify-plugin'
import { setMaxParserCache, type PoolConnection as CorePoolConnection } from 'mysql2'
import { createPool, escapeId, type Pool, type PoolConnection, type PoolOptions, type RowDataPacket } from 'mysql2/promise'
import { parseMysqlUrl, type Config } from '../../../config.js'
import { limitsStatement, sessionSetup, tlsOptions, type DialectName, type SessionSetup } from './dialect.js'
import { databaseNotFound } from '../errors/errors.js'
import { FairShare, poolShares } from './fair-share.js'
import { toAppError } from '../errors/mysql-errors.js'
import { geometryAsBytes } from '../query/values.js'
import { sqlServer, type SqlServer } from '../query/sql/server.js'

declare module 'fastify' {
  interface FastifyInstance {
    mysql: ReturnType<typeof createMysql>
  }
}

const ER_BAD_DB_ERROR = 1049
/**
 * How long a statement that sets a connection up (its id, modes, database, limits) or probes it
 * may take: they are instant on a working server. Past it (and past QUERY_TIMEOUT_MS for the
 * catalog's reads, which can take a while on a large TiDB schema) the connection is dropped and the
 * request answers 503, instead of waiting for an answer that may never come (a stalled network
 * path) and keeping the connection from the pool meanwhile.
 */
const SETUP_TIMEOUT_MS = 2000

/** What a pooled connection was last set to, so a request changes only what differs. */
interface ConnectionState {
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
}
const states = new WeakMap<object, ConnectionState>()

const guarded = new WeakSet<object>()
const kLost = Symbol('sqlgate.connectionLost')
type Guarded = CorePoolConnection & { [kLost]?: ((err?: Error) => void) | null }
/**
 * The pool listens for a connection's first error only (to drop it); a command sent to a
 * connection that has just died raises another, which must not become an uncaught exception. The
 * connection's errors and end go to the statement running on it then (see onConnectionLost), and
 * are ignored between statements: one pair of listeners for the connection's life.
 */
function guard (conn: CorePoolConnection): void {
  if (guarded.has(conn)) return
  guarded.add(conn)
  const guardedConn = conn as Guarded
  conn.on('error', (err: Error) => { guardedConn[kLost]?.(err) })
  conn.on('end', () => { guardedConn[kLost]?.() })
}

/**
 * Who hears that a leased connection died mid-statement: a connection that dies tells the
 * connection, not the streaming command. `null` once the statement is over. (Adding and removing
 * two `once` listeners per statement instead was measurable on a point query.)
 */
export function onConnectionLost (conn: CorePoolConnection, handler: ((err?: Error) => void) | null): void {
  (conn as Guarded)[kLost] = handler
}

/**
 * Resets a connection's session state and applies its set-up again, then returns it to the pool;
 * closes it if either fails. The limits are the server's defaults after a reset: the next lease
 * sets its own.
 */
function resetThenRelease (conn: CorePoolConnection, state: ConnectionState, done: () => void): void {
  state.timeoutMs = state.selectLimit = null
  conn.reset((err) => {
    if (err !== null) {
      conn.destroy()
      done()
      return
    }
    conn.query({ sql: state.setup.init, values: state.setup.values, timeout: SETUP_TIMEOUT_MS }, (err) => {
      if (err !== null) conn.destroy()
      else conn.release()
      done()
    })
  })
}

/** Whose turn the service's own statements (start-up, /ready) wait in. */
const SERVICE = ''

/** Whether a connection's limits differ from the request's. */
function limitsDiffer (state: ConnectionState, limits: Limits): boolean {
  return state.timeoutMs !== limits.timeoutMs || state.selectLimit !== limits.selectLimit
}

/**
 * A connection of the pool as mysql2 itself holds it, without mysql2/promise's wrapper: that
 * wrapper is an event emitter with two listeners and a table of its own, built on every
 * getConnection, which is every statement's path. The rare set-up statements get a promise
 * wrapper of their own (`conn.promise()`).
 */
function takeConnection (pool: Pool): Promise<CorePoolConnection> {
  return new Promise((resolve, reject) => {
    pool.pool.getConnection((err, conn) => {
      if (err) reject(err)
      else resolve(conn)
    })
  })
}

export interface Limits {
  timeoutMs: number
  /** sql_select_limit: rows a top-level SELECT may produce. */
  selectLimit: number
}

/**
 * How much longer than its server-side timeout the service's own statement is waited for: the
 * server's timeout error comes first, and past this the server is not answering at all.
 */
const SERVER_TIMEOUT_GRACE_MS = 2000

/**
 * What becomes of a connection after its statement: back to the pool as it is (`keep`); its
 * session state reset first (`reset`: COM_RESET_CONNECTION rolls back, drops temporary tables,
 * releases user locks, clears variables and prepared statements, and the connection's set-up is
 * applied again); or closed and replaced (`discard`: its state, or the protocol, is unknown).
 */
export type Aftercare = 'keep' | 'reset' | 'discard'

/** A connection borrowed for one statement, set to the session's database and limits. */
export interface Lease {
  /** mysql2's own connection (its commands are event emitters); `conn.promise()` for promises. */
  conn: CorePoolConnection
  connectionId: string
  release: (after?: Aftercare) => void
}

/**
 * mysql2 compiles a row parser for each shape of result (its columns and their types) and keeps
 * up to 15,000 of them, about 4 kB each: a gateway whose clients send their own queries has as many
 * shapes as they like, and 12,000 distinct ones had grown the process by about 50 MB. A thousand
 * cover any application's recurring queries; a shape beyond them costs one compilation again.
 * A parser grows with its columns, so wide results get none (plugins/app/patches/mysql2-result-fields.ts).
 */
export const PARSER_CACHE_SIZE = 1000

/**
 * One pool for every session. A connection remembers its database and limits; a session's query
 * borrows any connection and changes only what differs, so a steady workload spends no extra
 * round trip. A separate two-connection pool sends KILL QUERY, so it never waits behind the
 * queries it must stop.
 */
export function createMysql (config: Config) {
  setMaxParserCache(PARSER_CACHE_SIZE)
  const { ssl: sslInUrl, ...target } = parseMysqlUrl(config.MYSQL_URL)
  const ssl = tlsOptions({ enabled: config.MYSQL_SSL || sslInUrl, caFile: config.MYSQL_SSL_CA, verify: config.MYSQL_SSL_VERIFY },
    (path) => readFileSync(path, 'utf8'))
  const maxAgeMs = config.MYSQL_CONNECTION_MAX_AGE_SECONDS * 1000
  const common: PoolOptions = {
    ...target,
    ...(ssl === undefined ? {} : { ssl }),
    connectTimeout: 1000,
    enableKeepAlive: true,
    charset: 'utf8mb4_general_ci',
    // Stacked statements stay impossible; LOAD DATA LOCAL cannot read the gateway's files. A
    // prepared CALL's OUT and INOUT parameters come back as its last result set (the server sends
    // them only to a client that says it takes them: without it they were lost).
    multipleStatements: false,
    flags: ['-LOCAL_FILES', 'PS_MULTI_RESULTS'],
    // Exact values: BIGINT/DECIMAL as strings, dates as the stored text, JSON as its text (written
    // into the answer as it is: plugins/app/query/values.ts).
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    dateStrings: true,
    jsonStrings: true,
    // A spatial value as the stored bytes (plugins/app/query/values.ts), through mysql2's public
    // typeCast hook; rows as arrays, which the query runner names (its own statements ask for objects).
    typeCast: geometryAsBytes,
    rowsAsArray: true,
    // mysql2 keeps each connection's prepared statements in an LRU that allocates its four arrays
    // at full size when the connection opens: 16,000 entries by default, 512 kB of heap per
    // connection (5 MB, a seventh of the live heap, for the default pool). A query's statement is
    // closed when it ends (query-runner), so a connection holds one at a time.
    maxPreparedStatements: 16
  }
  const pool: Pool = createPool({
    ...common,
    connectionLimit: config.MYSQL_POOL_SIZE,
    maxIdle: config.MYSQL_POOL_SIZE,
    idleTimeout: 60_000,
    queueLimit: config.MYSQL_POOL_SIZE * 50
  })
  const control: Pool = createPool({ ...common, connectionLimit: 2, maxIdle: 1, queueLimit: 10 })
  // Who may take the pool's connections (plugins/app/database/fair-share.ts); the pool's own queue is never used.
  const share = new FairShare({ size: config.MYSQL_POOL_SIZE, maxWaiting: config.MYSQL_POOL_SIZE * 50, ...poolShares(config.MYSQL_POOL_SIZE, config.SESSION_MAX_CONCURRENT_QUERIES) })

  /**
   * One statement of the service's own on `on`, bounded by `timeoutMs`. Its connection goes back to
   * the pool only if the statement ended normally; otherwise its state is unknown and it is closed.
   * With `limits`, a connection that a session's query left with other limits is set to them first.
   */
  async function bounded<T extends RowDataPacket[]> (on: Pool, timeoutMs: number, sql: string, values: unknown[] = [], limits?: Limits, owner = SERVICE): Promise<T> {
    const shared = on === pool
    if (shared) await share.take(owner)
    let conn: PoolConnection
    try {
      conn = await on.getConnection()
    } catch (err) {
      if (shared) share.give(owner)
      throw err
    }
    const core = conn.connection as unknown as CorePoolConnection
    guard(core)
    try {
      const state = states.get(core)
      // A connection no session has used yet has the server's defaults, and no state to keep: it
      // gets the limits for this statement (a session's first use sets its own).
      if (limits !== undefined && (state === undefined || limitsDiffer(state, limits))) await applyLimits(conn, state, limits)
      const [rows] = await conn.query<T>({ sql, timeout: timeoutMs, rowsAsArray: false }, values)
      conn.release()
      return rows
    } catch (err) {
      conn.destroy()
      throw err
    } finally {
      if (shared) share.give(owner)
    }
  }

  let server: Promise<SqlServer> | undefined
  function getServer (): Promise<SqlServer> {
    server ??= bounded<Array<{ version: string } & RowDataPacket>>(pool, SETUP_TIMEOUT_MS, 'SELECT VERSION() AS version')
      .then((rows) => sqlServer(rows[0]?.version ?? ''))
      .catch((err: unknown) => {
        server = undefined
        throw toAppError(err)
      })
    return server
  }
  const getDialect = async (): Promise<DialectName> => (await getServer()).dialect

  /** Sets a connection (state: what it was last set to, if known) to `database` and `limits`. */
  async function prepare (core: CorePoolConnection, state: ConnectionState | undefined, database: string, limits: Limits | undefined): Promise<ConnectionState> {
    // Often only one of the steps is needed: the wrapper is made only when a statement is sent.
    let wrapped: PoolConnection | undefined
    const promised = (): PoolConnection => (wrapped ??= core.promise())
    if (state === undefined) {
      guard(core)
      const conn = promised()
      const [rows] = await conn.query<Array<{ id: string, mode: string } & RowDataPacket>>(
        { sql: 'SELECT CONNECTION_ID() AS id, @@SESSION.sql_mode AS mode', timeout: SETUP_TIMEOUT_MS, rowsAsArray: false })
      const setup = sessionSetup(await getDialect(), rows[0]?.mode ?? '', config.READ_ONLY)
      await conn.query({ sql: setup.init, timeout: SETUP_TIMEOUT_MS }, setup.values)
      state = { connectionId: String(rows[0]?.id), since: Date.now(), setup, database: null, timeoutMs: null, selectLimit: null }
      states.set(core, state)
    }
    if (state.database !== database) {
      state.database = null
      // One identifier, backquotes doubled; dots are part of the name, not qualifiers.
      await promised().query({ sql: `USE ${escapeId(database, true)}`, timeout: SETUP_TIMEOUT_MS }).catch((err: { errno?: number }) => {
        throw err.errno === ER_BAD_DB_ERROR ? databaseNotFound(database) : err
      })
      state.database = database
    }
    if (limits !== undefined && limitsDiffer(state, limits)) await applyLimits(promised(), state, limits)
    return state
  }

  /** Sets a connection's limits, and remembers them in its state once they are set (unknown meanwhile). */
  async function applyLimits (conn: PoolConnection, state: ConnectionState | undefined, limits: Limits): Promise<void> {
    if (state !== undefined) state.timeoutMs = state.selectLimit = null
    await conn.query({ sql: limitsStatement(await getDialect(), limits.timeoutMs, limits.selectLimit), timeout: SETUP_TIMEOUT_MS })
    if (state === undefined) return
    state.timeoutMs = limits.timeoutMs
    state.selectLimit = limits.selectLimit
  }

  /**
   * The limits of the service's own statements. A pooled connection keeps the limits of the last
   * session query that ran on it (`sql_select_limit` = its max_rows + 1, its timeout): a catalog
   * read on it had listed three databases after a query with `max_rows: 2`, and select then
   * answered 404 for a database that exists. No row limit, and QUERY_TIMEOUT_MS on the server, so
   * that a catalog read too long for it is stopped there rather than left running.
   */
  const serviceLimits: Limits = { timeoutMs: config.QUERY_TIMEOUT_MS, selectLimit: Number.MAX_SAFE_INTEGER }

  return {
    pool,
    dialect: getDialect,
    /** The connected server's dialect and version, read once. */
    server: getServer,

    /**
     * A connection in `database` with `limits` applied, for one statement of `owner` (a session):
     * it waits its turn among the sessions (plugins/app/database/fair-share.ts).
     */
    async acquire (database: string, limits?: Limits, owner = SERVICE): Promise<Lease> {
      await share.take(owner)
      let conn: CorePoolConnection
      let state: ConnectionState | undefined
      try {
        conn = await takeConnection(pool)
        state = states.get(conn)
        // Too old (idle connections are cut by TiDB Cloud after about 30 minutes): replace it.
        while (state !== undefined && Date.now() - state.since > maxAgeMs) {
          conn.destroy()
          conn = await takeConnection(pool)
          state = states.get(conn)
        }
      } catch (err) {
        share.give(owner)
        throw toAppError(err)
      }
      // A connection already in the database, with the limits: no statement, and no extra await.
      if (state === undefined || state.database !== database || (limits !== undefined && limitsDiffer(state, limits))) {
        try {
          state = await prepare(conn, state, database, limits)
        } catch (err) {
          conn.destroy() // its state is unknown now
          share.give(owner)
          throw toAppError(err)
        }
      }
      const leased = state
      let released = false
      return {
        conn,
        connectionId: state.connectionId,
        release (after = 'keep') {
          if (released) return
          released = true
          if (after === 'reset' && Date.now() - leased.since <= maxAgeMs) {
            resetThenRelease(conn, leased, () => share.give(owner))
            return
          }
          if (after === 'discard' || Date.now() - leased.since > maxAgeMs) conn.destroy()
          else conn.release()
          share.give(owner)
        }
      }
    },

    /** Asks the server to stop the statement running on connection `connectionId`. */
    async killQuery (connectionId: string): Promise<void> {
      if (!/^\d+$/.test(connectionId)) return
      await bounded(control, SETUP_TIMEOUT_MS, `KILL QUERY ${connectionId}`)
    },

    /**
     * A statement of the service's own (catalog, grants), stopped by the server past
     * QUERY_TIMEOUT_MS (a server timeout error), on a connection without a session's limits.
     */
    query<T extends RowDataPacket[]> (sql: string, values: unknown[] = [], owner = SERVICE): Promise<T> {
      return bounded<T>(pool, config.QUERY_TIMEOUT_MS + SERVER_TIMEOUT_GRACE_MS, sql, values, serviceLimits, owner)
    },

    /** Connections granted and requests waiting for one. */
    shareStats: () => share.stats(),

    async ping (): Promise<void> {
      await bounded(pool, SETUP_TIMEOUT_MS, 'SELECT 1')
    },

    async close (): Promise<void> {
      await Promise.all([pool.end(), control.end()])
    }
  }
}

export default fp(async function mysqlPlugin (fastify) {
  const mysql = createMysql(fastify.config)
  fastify.decorate('mysql', mysql)
  fastify.addHook('onClose', async () => { await mysql.close() })
  // Detect the dialect at start-up; an unreachable server is not fatal (/ready tells).
  await mysql.dialect().then(
    (name) => { fastify.log.info({ dialect: name }, 'database dialect detected') },
    () => { fastify.log.warn('database is not reachable yet; queries answer 503 until it is') })
}, { name: 'mysql', dependencies: ['config'] })
