import t from 'tap'
import { build, createDatabase, post, randomSessionId, sidCookie } from './helper.js'

// The seed's post-mortem: "Database 'sales_db' selected successfully" followed by
// "No database context found for session ...". Both of its scenarios, end to end.

t.test('scenario 1: the frontend sends its own session_id to select and to query', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t, 'CREATE TABLE orders (id INT PRIMARY KEY, total DECIMAL(10,2)); INSERT INTO orders VALUES (1, 9.99), (2, 20.00)')
  const sessionId = randomSessionId()

  const select = await post(app, '/api/database/select', { database_name: db, session_id: sessionId })
  t.equal(select.statusCode, 200)
  t.equal(select.json().session_id, sessionId, 'select keeps the id the frontend sent')
  t.equal(select.json().database_name, db)
  t.strictSame(select.json().tables, [{ name: 'orders', type: 'BASE TABLE', rows_estimate: select.json().tables[0].rows_estimate }])

  const query = await post(app, '/api/query', { query: 'SELECT id, total FROM orders ORDER BY id', session_id: sessionId })
  t.equal(query.statusCode, 200)
  const body = query.json()
  t.equal(body.session_id, sessionId)
  t.equal(body.database_name, db)
  t.strictSame(body.rows, [{ id: 1, total: '9.99' }, { id: 2, total: '20.00' }])
  t.equal(body.row_count, 2)
  t.match(body.query_id, /^[0-9a-f-]{36}$/)
  t.strictSame(body.columns.map((c: { name: string }) => c.name), ['id', 'total'])
})

t.test('scenario 2: no session_id; the select answer gives one, and the query finds the context by it', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t, 'CREATE TABLE t (x INT); INSERT INTO t VALUES (42)')

  const select = await post(app, '/api/database/select', { database_name: db })
  t.equal(select.statusCode, 200)
  const sessionId: string = select.json().session_id
  t.match(sessionId, /^session_\d{13}_[A-Za-z0-9_-]{22,}$/, 'a generated id in the seed shape')

  const byBody = await post(app, '/api/query', { query: 'SELECT x FROM t', session_id: sessionId })
  t.equal(byBody.statusCode, 200, 'found by the id in the body')
  t.strictSame(byBody.json().rows, [{ x: 42 }])

  const byCookie = await post(app, '/api/query', { query: 'SELECT x FROM t' }, { cookie: sidCookie(select) })
  t.equal(byCookie.statusCode, 200, 'found by the cookie alone')
  t.equal(byCookie.json().session_id, sessionId)
  t.strictSame(byCookie.json().rows, [{ x: 42 }])
})

t.test('a query before any selection is 409 with the recovery action', async (t) => {
  const app = await build(t)
  const sessionId = randomSessionId()
  const res = await post(app, '/api/query', { query: 'SELECT 1', session_id: sessionId })
  t.equal(res.statusCode, 409)
  t.strictSame(res.json(), {
    statusCode: 409,
    error: 'Conflict',
    code: 'database_context_missing',
    message: `No database context found for session ${sessionId}. Select a database first (POST /api/database/select; MCP: select_database).`,
    recovery_action: 'select_database'
  })
})
