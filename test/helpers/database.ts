import type { FastifyInstance } from 'fastify'
import { createConnection, type Connection as CoreConnection, type ConnectionOptions } from 'mysql2'
import mysql from 'mysql2/promise'
import { setupStatement } from '../../plugins/app/database/connection-state.js'
import { detectDialect, sessionSetup } from '../../plugins/app/database/dialect.js'
import { poolOptions } from '../../plugins/app/database/pool-options.js'
import { randomSuffix, type TestContext } from './context.js'

export const TEST_MYSQL_URL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306'

/** An admin connection to the test server (root), closed when the test ends. */
export async function adminConnection (t: TestContext): Promise<mysql.Connection> {
  const url = new URL(TEST_MYSQL_URL)
  const conn = await mysql.createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username) || 'root',
    password: decodeURIComponent(url.password),
    multipleStatements: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true
  })
  t.teardown(() => conn.end())
  return conn
}

/**
 * A connection of its own to `database`, set up as `app` sets up its pool's connections (their
 * character set and collation, which a plain literal takes, the pinned sql_mode, read-only mode
 * when the app is read-only), closed when the test ends: on it the client's own text runs as the
 * server would run it behind the gateway.
 */
export async function gatewayLikeConnection (t: TestContext, app: FastifyInstance, database: string, options: ConnectionOptions = {}): Promise<CoreConnection> {
  const core = createConnection({ uri: TEST_MYSQL_URL, database, charset: poolOptions(app.config).charset, ...options })
  const direct = core.promise()
  t.teardown(() => direct.end().catch(() => {}))
  const [about] = await direct.query<Array<{ mode: string, version: string } & mysql.RowDataPacket>>('SELECT @@SESSION.sql_mode AS mode, VERSION() AS version')
  const setup = sessionSetup(detectDialect(about[0]!.version), about[0]!.mode, app.config.READ_ONLY)
  const { sql, values } = setupStatement(setup)
  await direct.query(sql, values)
  return core
}

/** Server ids of the statements still running whose text holds `marker` (`admin`'s own excluded). */
export async function runningStatements (admin: mysql.Connection, marker: string): Promise<number[]> {
  const [rows] = await admin.query('SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND ID <> CONNECTION_ID()', [`%${marker}%`]) as unknown as [Array<{ ID: string }>]
  return rows.map((row) => Number(row.ID))
}

/**
 * How many statements the pool's connection has prepared and closed in its life (with
 * MYSQL_POOL_SIZE=1, the one connection every query ran on).
 */
export async function preparedStatementCounts (fastify: FastifyInstance, database: string): Promise<{ prepared: number, closed: number }> {
  const lease = await fastify.mysql.acquire(database)
  try {
    const [rows] = await lease.conn.promise().query({ sql: "SHOW SESSION STATUS WHERE Variable_name IN ('Com_stmt_prepare', 'Com_stmt_close')", rowsAsArray: false }) as unknown as [Array<{ Variable_name: string, Value: string }>]
    const count = Object.fromEntries(rows.map((row) => [row.Variable_name, Number(row.Value)]))
    return { prepared: count.Com_stmt_prepare ?? 0, closed: count.Com_stmt_close ?? 0 }
  } finally {
    lease.release()
  }
}

/**
 * A database user that may only read `database` (SELECT, SHOW VIEW), dropped when the test ends:
 * the MYSQL_URL of a deployment that follows docs/read-only.md.
 */
export async function selectOnlyUserUrl (t: TestContext, database: string): Promise<string> {
  const admin = await adminConnection(t)
  const user = `sqlgate_ro_${randomSuffix(4)}`
  const password = randomSuffix(8)
  await admin.query(`CREATE USER '${user}'@'127.0.0.1' IDENTIFIED BY '${password}'`)
  t.teardown(async () => { await admin.query(`DROP USER IF EXISTS '${user}'@'127.0.0.1'`) })
  await admin.query(`GRANT SELECT, SHOW VIEW ON \`${database}\`.* TO '${user}'@'127.0.0.1'`)
  const url = new URL(TEST_MYSQL_URL)
  url.username = user
  url.password = password
  return url.toString()
}

/**
 * A database of the test's own (random name unless given), with `setupSql` run inside it,
 * dropped when the test ends.
 */
export async function createDatabase (t: TestContext, setupSql = '', name = `sqlgate_t_${randomSuffix()}`): Promise<string> {
  const conn = await adminConnection(t)
  const id = mysql.escapeId(name, true)
  await conn.query(`CREATE DATABASE ${id}`)
  t.teardown(async () => {
    const cleanup = await mysql.createConnection({ uri: TEST_MYSQL_URL })
    await cleanup.query(`DROP DATABASE IF EXISTS ${id}`)
    await cleanup.end()
  })
  if (setupSql !== '') {
    await conn.query(`USE ${id}`)
    await conn.query(setupSql)
  }
  return name
}

/** TEST_MYSQL_URL with its host and port replaced (e.g. by a proxy's). */
export function mysqlUrlVia (port: number, host = '127.0.0.1'): string {
  const url = new URL(TEST_MYSQL_URL)
  url.hostname = host
  url.port = String(port)
  return url.toString()
}

export function mysqlTarget (): { host: string, port: number } {
  const url = new URL(TEST_MYSQL_URL)
  return { host: url.hostname, port: Number(url.port || 3306) }
}
