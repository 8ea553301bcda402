import t, { type Test } from 'tap'
import { adminConnection, build, createDatabase, download, listen, post, selectedSession } from '../../../helper.js'

async function exporting (t: Test, env: Record<string, string> = {}, setupSql = '') {
  const app = await build(t, { env })
  const base = await listen(app)
  const db = await createDatabase(t, setupSql)
  const sessionId = await selectedSession(app, db)
  const history = async () => (await app.inject({ url: '/api/query/history', headers: { 'x-session-id': sessionId } })).json().queries
  return { app, base, db, sessionId, history }
}

t.test('200,000 rows exported, counted exactly: every row once, the trailers and the history say so', async (t) => {
  const { base, sessionId, history } = await exporting(t)
  const csv = await download(base, '/api/query/export', { query: "SELECT seq, CONCAT('row ', seq) AS label FROM seq_1_to_200000", session_id: sessionId, format: 'csv', filename: 'rows' })
  t.equal(csv.status, 200)
  t.equal(csv.complete, true, 'the response ended with its final chunk')
  t.equal(csv.headers['content-disposition'], 'attachment; filename="rows.csv"')
  t.equal(csv.headers['transfer-encoding'], 'chunked', 'streamed, not sent as one body')
  const lines = csv.body.toString('utf8').split('\r\n')
  t.equal(lines.pop(), '')
  t.equal(lines.length, 200_001, 'a header and 200,000 rows')
  t.equal(lines[0], 'seq,label')
  t.equal(lines[1], '1,row 1')
  t.equal(lines[200_000], '200000,row 200000')
  t.equal(new Set(lines).size, 200_001, 'no row twice')
  t.strictSame(csv.trailers, { 'x-export-row-count': '200000', 'x-export-truncated': 'false' })
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.match((await history())[0], { status: 'ok', error_code: null, row_count: 200_000, truncated: false, format: 'csv', query: "SELECT seq, CONCAT('row ', seq) AS label FROM seq_1_to_200000" })
})

t.test('max_rows cuts an export, and the client can tell: trailer, history, and NDJSON\'s last line', async (t) => {
  const { base, sessionId, history } = await exporting(t)
  for (const query of ['SELECT seq FROM seq_1_to_1000', 'SELECT seq FROM seq_1_to_100000 LIMIT 50000', 'SELECT seq FROM seq_1_to_10']) {
    const cut = !query.endsWith('_10')
    const ndjson = await download(base, '/api/query/export', { query, session_id: sessionId, format: 'ndjson', max_rows: 10 })
    t.equal(ndjson.complete, true)
    const lines = ndjson.body.toString('utf8').trimEnd().split('\n')
    t.equal(lines.length, cut ? 11 : 10, `${query}: ten rows${cut ? ' and a last line' : ''}`)
    t.strictSame(JSON.parse(lines[9]!), { seq: '10' }, 'a BIGINT as /api/query gives it')
    if (cut) t.strictSame(JSON.parse(lines[10]!), { _sqlgate_export: { truncated: true, row_count: 10, max_rows: 10 } })
    t.equal(ndjson.trailers['x-export-truncated'], String(cut), `${query}: the trailer`)
    t.equal(ndjson.trailers['x-export-row-count'], '10')
    await new Promise((resolve) => setTimeout(resolve, 50))
    t.match((await history())[0], { status: 'ok', row_count: 10, truncated: cut, format: 'ndjson' }, `${query}: the history entry`)
  }
  const csv = await download(base, '/api/query/export', { query: 'SELECT seq FROM seq_1_to_1000', session_id: sessionId, format: 'csv', max_rows: 3 })
  t.equal(csv.body.toString('utf8'), 'seq\r\n1\r\n2\r\n3\r\n', 'CSV holds rows only; the trailer tells')
  t.equal(csv.trailers['x-export-truncated'], 'true')
  const json = await download(base, '/api/query/export', { query: 'SELECT seq FROM seq_1_to_1000', session_id: sessionId, format: 'json', max_rows: 2 })
  t.strictSame(JSON.parse(json.body.toString('utf8')), [{ seq: '1' }, { seq: '2' }])
  t.equal(json.headers['content-type'], 'application/json')
})

t.test('anything refused is refused before the first byte, in the error envelope', async (t) => {
  const { base, sessionId, db } = await exporting(t, { EXPORT_MAX_ROWS: '1000' }, 'CREATE TABLE t (id INT); INSERT INTO t VALUES (1)')
  const expect = async (body: Record<string, unknown>, status: number, code: string, headers: Record<string, string> = {}) => {
    const res = await download(base, '/api/query/export', { session_id: sessionId, format: 'csv', ...body }, headers)
    t.equal(res.status, status, `${JSON.stringify(body)}: ${status}`)
    t.match(res.headers['content-type'], /^application\/json/)
    t.equal(JSON.parse(res.body.toString('utf8')).code, code)
    t.notOk(res.headers['content-disposition'], 'no file')
  }
  await expect({ query: 'DELETE FROM t' }, 403, 'read_only_violation')
  await expect({ query: 'SELECT * FROM missing' }, 400, 'sql_error')
  await expect({ query: 'SELECT 1; SELECT 2' }, 400, 'multiple_statements')
  await expect({ query: 'SELECT ?', params: [1, 2] }, 400, 'param_count_mismatch')
  await expect({ query: 'SELECT 1', max_rows: 1001 }, 400, 'validation_error')
  await expect({ query: 'SELECT 1', format: 'xml' }, 400, 'validation_error')
  await expect({ query: 'SELECT 1', session_id: 'unselected_session_0001' }, 409, 'database_context_missing')
  const admin = await adminConnection(t)
  t.strictSame((await admin.query(`SELECT COUNT(*) AS n FROM \`${db}\`.t`))[0], [{ n: '1' }], 'nothing was deleted')
})

t.test('READ_ONLY=false: an export must still be a read; nothing of a write runs', async (t) => {
  const { app, base, sessionId, db } = await exporting(t, { READ_ONLY: 'false' }, 'CREATE TABLE t (id INT); INSERT INTO t VALUES (1)')
  for (const query of ['INSERT INTO t VALUES (2) RETURNING id', 'DELETE FROM t RETURNING id', 'CALL missing()']) {
    const res = await download(base, '/api/query/export', { query, session_id: sessionId, format: 'ndjson' })
    t.equal(res.status, 400, query)
    t.equal(JSON.parse(res.body.toString('utf8')).code, 'export_requires_read')
  }
  const count = await post(app, '/api/query', { query: 'SELECT COUNT(*) AS n FROM t', session_id: sessionId })
  t.equal(count.json().rows[0].n, '1', `${db}.t unchanged`)
})

t.test('a statement without rows exports an empty file; a procedure exports its first result set', async (t) => {
  const { base, sessionId } = await exporting(t)
  const empty = await download(base, '/api/query/export', { query: 'SELECT 1 AS one FROM DUAL WHERE FALSE', session_id: sessionId, format: 'csv' })
  t.equal(empty.body.toString('utf8'), 'one\r\n', 'CSV: the header only')
  const none = await download(base, '/api/query/export', { query: 'SELECT 1 AS one FROM DUAL WHERE FALSE', session_id: sessionId, format: 'json' })
  t.equal(none.body.toString('utf8'), '[]\n')
})

t.test('an export that ends while its client holds its stream full leaves its connection reading: the next export on it runs', async (t) => {
  // One export connection: each export gets the one before's connection.
  const { base, sessionId } = await exporting(t, { EXPORT_CONCURRENCY: '1' })
  // Two long values: the row's chunks fill the stream past its high-water mark, and the end of the
  // result arrives with them, while the connection is paused for the client.
  const body = { query: "SELECT REPEAT(' ', 4000000) AS v, REPEAT('x', 4000000) AS w", session_id: sessionId, format: 'csv', timeout_ms: 5000 }
  for (const round of [1, 2, 3]) {
    const file = await download(base, '/api/query/export', body)
    t.strictSame([file.status, file.complete, file.body.length], [200, true, 8_000_008], `export ${round}: whole, not left waiting on a paused connection (504)`)
  }
})
