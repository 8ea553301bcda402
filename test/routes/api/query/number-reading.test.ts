import { createConnection } from 'mysql2'
import type { FieldPacket, RowDataPacket } from 'mysql2/promise'
import t from 'tap'
import { poolOptions } from '../../../../plugins/app/database/pool-options.js'
import { build, createDatabase, post, selectedSession, testConfig, TEST_MYSQL_URL } from '../../../helper.js'

/**
 * Every spelling of a number out of digits, a point, an exponent marker and its sign, followed by
 * what may touch it (a name, a quoted name, a string, another number), read by the real MariaDB
 * from the client's text and through the gateway. Where a number and a name meet, a misreading
 * shows as a different column name or value (`1.5e` read as `1.5 AS e`), not only as an error, so
 * this runs each one where an alias may follow, which the differential test's expressions never are.
 */

const INTEGERS = ['', '1', '12']
const FRACTIONS = ['', '.', '.5']
const EXPONENTS = ['', 'e', 'E', 'e+', 'e-', 'e2', 'E+2', 'e-2']
const AFTER = ['', 'x', 'e', 'e1', ' x', '`x`', "'s'", ',2', '.5', '.e', 'LIMIT 1']

function spellings (): string[] {
  const all: string[] = []
  for (const integer of INTEGERS) {
    for (const fraction of FRACTIONS) {
      if (integer === '' && fraction !== '.5') continue // a number begins with a digit, or a point before one
      for (const exponent of EXPONENTS) for (const after of AFTER) all.push(`${integer}${fraction}${exponent}${after}`)
    }
  }
  return all
}

/** A side's outcome: its column names and values as text, or that it failed. */
type Outcome = string

t.test('numbers: every spelling of digits, a point and an exponent is read as the server reads it', async (t) => {
  const db = await createDatabase(t)
  const app = await build(t, { env: { RATE_LIMIT_MAX: '1000000', RATE_LIMIT_ADDRESS_MAX: '1000000' } })
  const sessionId = await selectedSession(app, db)
  const direct = createConnection({ uri: TEST_MYSQL_URL, database: db, charset: poolOptions(testConfig()).charset }).promise()
  t.teardown(() => direct.end().catch(() => {}))

  const failures: string[] = []
  const counts = { same: 0, failedOnBoth: 0, refusedByGateway: 0 }
  for (const number of new Set(spellings())) {
    const sql = `SELECT ${number}`
    const server: Outcome = await direct.query<RowDataPacket[]>({ sql, rowsAsArray: true }).then(
      ([rows, fields]: [RowDataPacket[], FieldPacket[]]) => JSON.stringify([fields.map((field) => field.name), (rows[0] as unknown[]).map(String)]),
      () => 'failed')
    const res = await post(app, '/api/query', { query: sql, session_id: sessionId, row_format: 'array' })
    const body = res.json()
    const gateway: Outcome = res.statusCode === 200
      ? JSON.stringify([body.columns.map((column: { name: string }) => column.name), (body.rows[0] as unknown[]).map(String)])
      : 'failed'
    if (server === gateway) {
      if (server === 'failed') counts.failedOnBoth++
      else counts.same++
    } else if (server !== 'failed' && body.code === 'syntax_error') {
      counts.refusedByGateway++
      failures.push(`${JSON.stringify(sql)}: the server answers ${server}, the gateway refuses it unread`)
    } else {
      failures.push(`${JSON.stringify(sql)}: the server ${server}, the gateway ${gateway} (${res.statusCode} ${String(body.code ?? '')})`)
    }
  }
  t.strictSame(failures.slice(0, 10), [], `every spelling read alike (${failures.length} differences)`)
  t.ok(counts.same > 150 && counts.failedOnBoth > 150, `both ran many and refused many (${JSON.stringify(counts)})`)
})
