import t from 'tap'
import { build, createDatabase, post, selectedSession } from '../../../helper.js'

t.test('a statement\'s own warnings come with its answer, read on its connection', async (t) => {
  // SHOW WARNINGS is refused (on a pooled connection it would show another session's); the answer
  // carries the statement's own instead.
  const app = await build(t, { env: { MYSQL_POOL_SIZE: '1' } })
  const db = await createDatabase(t, 'CREATE TABLE t (v INT); INSERT INTO t VALUES (1)')
  const sessionId = await selectedSession(app, db)
  const run = (query: string, extra: Record<string, unknown> = {}) => post(app, '/api/query', { query, session_id: sessionId, ...extra })

  const warned = await run("SELECT 'abc' + 0 AS n, 1 / 0 AS d")
  t.equal(warned.statusCode, 200)
  t.strictSame(warned.json().rows, [{ n: 0, d: null }])
  t.strictSame(warned.json().warnings, [
    { level: 'Warning', code: 1292, message: "Truncated incorrect DOUBLE value: 'abc'" },
    { level: 'Warning', code: 1365, message: 'Division by 0' }
  ])
  t.ok(warned.body.indexOf('"warnings":') > warned.body.indexOf('"truncated":'), 'after the other fields, before execution_time_ms')

  const prepared = await run('SELECT ? + 0 AS n', { params: ['xyz'] })
  t.strictSame(prepared.json().warnings, [{ level: 'Warning', code: 1292, message: "Truncated incorrect DOUBLE value: 'xyz'" }], 'with params too')
  const arrays = await run("SELECT 'q' + 0 AS n", { row_format: 'array' })
  t.equal(arrays.json().warnings.length, 1, 'and for array rows')

  const clean = await run('SELECT v FROM t')
  t.notOk('warnings' in clean.json(), 'a statement without warnings has none, not the last one\'s')
  t.equal((await run('SELECT v FROM t')).statusCode, 200, 'the connection serves the next request')
})

t.test('a write\'s warnings: INSERT IGNORE tells which rows it skipped', async (t) => {
  const app = await build(t, { env: { READ_ONLY: 'false' } })
  const db = await createDatabase(t, 'CREATE TABLE u (id INT PRIMARY KEY)')
  const sessionId = await selectedSession(app, db)
  const res = await post(app, '/api/query', { query: 'INSERT IGNORE INTO u VALUES (1), (1), (2)', session_id: sessionId })
  t.equal(res.json().affected_rows, 2)
  t.strictSame(res.json().warnings, [{ level: 'Warning', code: 1062, message: "Duplicate entry '1' for key 'PRIMARY'" }])
  const returning = await post(app, '/api/query', { query: 'INSERT IGNORE INTO u VALUES (2), (3) RETURNING id', session_id: sessionId })
  t.strictSame(returning.json().rows, [{ id: 3 }])
  t.equal(returning.json().warnings?.[0]?.code, 1062, 'a write with rows (RETURNING) too')
})
