import type { FieldPacket, RowDataPacket } from 'mysql2/promise'
import t, { type Test } from 'tap'
import { build, createDatabase, gatewayLikeConnection, post, selectedSession } from '../../../helper.js'

/**
 * Tokens glued to what follows them, read by the real MariaDB from the client's text and through
 * the gateway (which sends the statement rebuilt from its own reading), in a select list, where a
 * name may follow any term as its alias. There a misreading shows as another column or value
 * (`1.5e` read as `1.5 AS e`), not only as an error; the differential test's expressions never
 * stand where an alias may follow. Generated as every combination of the parts below.
 */

/** What a side answered: the names and values (as text) of its columns, or that it failed. */
type Outcome = string

interface Sweep {
  statements: Iterable<string>
  table?: string
  /** Bound to the statements' placeholders: then each runs prepared on both sides. */
  params?: string[]
}

async function sweep (t: Test, { statements, table = '', params }: Sweep): Promise<{ same: number, failedOnBoth: number }> {
  const db = await createDatabase(t, table)
  const app = await build(t, { env: { RATE_LIMIT_MAX: '1000000', RATE_LIMIT_ADDRESS_MAX: '1000000' } })
  const sessionId = await selectedSession(app, db)
  const direct = (await gatewayLikeConnection(t, app, db, { supportBigNumbers: true, bigNumberStrings: true })).promise()
  // The columns' names (the server names them after the text it receives: the gateway's answer
  // names them as the client's text does, test/routes/api/query/column-names.test.ts) and values;
  // binary values: the server's bytes, the gateway's base64.
  const shown = (columns: string[], values: unknown[]): Outcome =>
    JSON.stringify([columns, values.map((value) => Buffer.isBuffer(value) ? value.toString('base64') : String(value))])

  const failures: string[] = []
  const counts = { same: 0, failedOnBoth: 0 }
  for (const sql of statements) {
    const asked = params === undefined ? direct.query<RowDataPacket[]>({ sql, rowsAsArray: true }) : direct.execute<RowDataPacket[]>({ sql, rowsAsArray: true }, params)
    const server: Outcome = await asked.then(
      ([rows, fields]: [RowDataPacket[], FieldPacket[]]) => shown(fields.map((field) => field.name), rows[0] as unknown[]),
      () => 'failed')
    const res = await post(app, '/api/query', { query: sql, session_id: sessionId, row_format: 'array', ...(params === undefined ? {} : { params }) })
    const body = res.json()
    const gateway: Outcome = res.statusCode === 200
      ? shown(body.columns.map((column: { name: string }) => column.name), body.rows[0] as unknown[])
      : 'failed'
    if (server === gateway) {
      if (server === 'failed') counts.failedOnBoth++
      else counts.same++
    } else {
      failures.push(`${JSON.stringify(sql)}: the server ${server}, the gateway ${gateway} (${res.statusCode} ${String(body.code ?? '')})`)
    }
  }
  t.strictSame(failures.slice(0, 10), [], `every statement read alike (${failures.length} differences; ${JSON.stringify(counts)})`)
  return counts
}

/** Every spelling of a number out of digits, a point, an exponent marker and its sign, and what may touch it. */
function numbers (): Set<string> {
  const all = new Set<string>()
  for (const integer of ['', '1', '12']) {
    for (const fraction of ['', '.', '.5']) {
      if (integer === '' && fraction !== '.5') continue // a number begins with a digit, or a point before one
      for (const exponent of ['', 'e', 'E', 'e+', 'e-', 'e2', 'E+2', 'e-2']) {
        for (const after of ['', 'x', 'e', 'e1', ' x', '`x`', "'s'", ',2', '.5', '.e', 'LIMIT 1']) all.add(`SELECT ${integer}${fraction}${exponent}${after}`)
      }
    }
  }
  return all
}

t.test('numbers: every spelling of digits, a point and an exponent is read as the server reads it', async (t) => {
  const counts = await sweep(t, { statements: numbers() })
  t.ok(counts.same > 150 && counts.failedOnBoth > 150, 'both ran many and refused many')
})

/** Terms of every kind, each glued to what may follow a term: a name, a literal, a comment, an operator. */
const TERMS = ['1', '1.', '1.5', '.5', '1e2', '0x41', '0b1', "x'41'", "b'1'", "'s'", '"d"', "N'n'", "_binary's'", '@v', '@@sql_mode',
  '`q`', 'id', 't.id', 'NULL', '\\N', 'TRUE', '_utf8mb4 0x41', "X''", '0x', '1e', '9e9', '1.5e1']
const FOLLOWERS = ['', 'x', 'e', 'e1', 'E', '_x', '$x', '`x`', "'s'", '"d"', '@v', '@@sql_mode', '0x41', '1', '.5', '.x', '..x', 'N', "N'n'",
  "x'41'", 'b', "b'1'", '_binary', 'AS x', 'COLLATE utf8mb4_bin', '\\N', '--x', '-- x', '#x', '/**/x', '/*!x*/', '/*!e1*/', '/*M!e2*/', '/*!50000.5*/', '/*!99999e2*/', '?', ':', '::x', '=1',
  '!', '!=1', '<=>1', "->'$'", "->>'$'", 'ü', '☃']

t.test('terms of every kind glued to what may follow them are read as the server reads them', async (t) => {
  const statements = TERMS.flatMap((term) => FOLLOWERS.map((follower) => `SELECT ${term}${follower} FROM t WHERE id = 1`))
  const counts = await sweep(t, { statements, table: 'CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1)' })
  t.ok(counts.same > 400 && counts.failedOnBoth > 200, 'both ran many and refused many')
})

t.test('a placeholder glued to what may follow it is read as the server reads it (prepared, one value bound)', async (t) => {
  const statements = FOLLOWERS.filter((follower) => !follower.includes('?')).map((follower) => `SELECT ?${follower} FROM t WHERE id = 1`)
  const counts = await sweep(t, { statements, table: 'CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1)', params: ['7'] })
  t.ok(counts.same > 5 && counts.failedOnBoth > 20, 'both ran some and refused many')
})

/** Every run of one to three operator characters: how the server groups them (`<=>`, `<>=`, `!!`, `-->`) decides the value. */
function operatorRuns (): string[] {
  const characters = [...'<>=!-+*/%&|^~:.']
  const runs = characters.flatMap((a) => [a, ...characters.flatMap((b) => [a + b, ...characters.map((c) => a + b + c)])])
  return runs.map((run) => `SELECT 6${run}3`)
}

t.test('operator characters glued between two numbers are grouped as the server groups them', async (t) => {
  const counts = await sweep(t, { statements: operatorRuns() })
  t.ok(counts.same > 300 && counts.failedOnBoth > 2000, 'both ran many and refused many')
})
