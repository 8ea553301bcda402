import fp from 'fastify-plugin'
import { createPool, escapeId, type Pool, type PoolConnection, type RowDataPacket } from 'mysql2/promise'
import { parseMysqlUrl, type Config } from '../../config.js'
import { detectDialect, type DialectName } from '../../lib/dialect.js'
import { databaseNotFound } from '../../lib/errors.js'
import { toAppError } from '../../lib/mysql-errors.js'

declare module 'fastify' {
  interface FastifyInstance {
    mysql: ReturnType<typeof createMysql>
  }
}

const ER_BAD_DB_ERROR = 1049

/** Which database each pooled connection is in, so switching costs nothing when it already is. */
const currentDatabase = new WeakMap<object, string | null>()

/**
 * One pool for every session. A connection remembers the database it was last switched to;
 * a session's query borrows any connection and switches it only when it is elsewhere.
 */
export function createMysql (config: Config) {
  const target = parseMysqlUrl(config.MYSQL_URL)
  const pool: Pool = createPool({
    ...target,
    connectionLimit: config.MYSQL_POOL_SIZE,
    maxIdle: config.MYSQL_POOL_SIZE,
    idleTimeout: 60_000,
    queueLimit: config.MYSQL_POOL_SIZE * 50,
    connectTimeout: 2000,
    enableKeepAlive: true,
    charset: 'utf8mb4_general_ci',
    // Stacked statements stay impossible; LOAD DATA LOCAL cannot read the gateway's files.
    multipleStatements: false,
    flags: ['-LOCAL_FILES'],
    // Exact values: BIGINT/DECIMAL as strings, dates as the stored text.
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    dateStrings: true
  })

  let dialect: Promise<DialectName> | undefined

  return {
    pool,

    /** The server's dialect, asked once (and again after a failure). */
    dialect (): Promise<DialectName> {
      dialect ??= pool.query<Array<{ version: string } & RowDataPacket>>('SELECT VERSION() AS version')
        .then(([rows]) => detectDialect(rows[0]?.version ?? ''))
        .catch((err: unknown) => {
          dialect = undefined
          throw toAppError(err)
        })
      return dialect
    },

    /** Runs `fn` on a pooled connection that is in `database`. */
    async withDatabase<T> (database: string, fn: (conn: PoolConnection) => Promise<T>): Promise<T> {
      let conn: PoolConnection
      try {
        conn = await pool.getConnection()
      } catch (err) {
        throw toAppError(err)
      }
      try {
        if (currentDatabase.get(conn.connection) !== database) {
          currentDatabase.set(conn.connection, null)
          // One identifier, backquotes doubled; dots are part of the name, not qualifiers.
          await conn.query(`USE ${escapeId(database, true)}`).catch((err: { errno?: number }) => {
            throw err.errno === ER_BAD_DB_ERROR ? databaseNotFound(database) : toAppError(err)
          })
          currentDatabase.set(conn.connection, database)
        }
        return await fn(conn)
      } finally {
        conn.release()
      }
    },

    /** Records a database change a statement made (from the server's session-state tracking). */
    noteDatabaseChange (conn: PoolConnection, database: string | null): void {
      currentDatabase.set(conn.connection, database)
    },

    async ping (): Promise<void> {
      await pool.query('SELECT 1')
    },

    async close (): Promise<void> {
      await pool.end()
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
