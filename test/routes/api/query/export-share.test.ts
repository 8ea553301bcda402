import t from 'tap'
import { request, type IncomingMessage } from 'node:http'
import { build, createDatabase, download, listen, post, randomSessionId, selectedSession } from '../../../helper.js'
import { exportFileName } from '../../../../plugins/app/export/export-headers.js'

/**
 * An export opened and left unread: it holds its export connection until `res` is destroyed. From
 * `localAddress` when given: another loopback address is another client.
 */
function openExport (base: string, sessionId: string, localAddress = '127.0.0.1'): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/api/query/export`, { method: 'POST', localAddress, headers: { 'content-type': 'application/json', 'x-session-id': sessionId } }, (res) => {
      res.pause()
      resolve(res)
    })
    req.on('error', reject)
    req.end(JSON.stringify({ query: "SELECT seq, REPEAT('x', 100) FROM seq_1_to_10000000", format: 'csv' }))
  })
}

t.test('exports run on their own connections: EXPORT_CONCURRENCY at once, one per session, and queries are not kept waiting', async (t) => {
  // Three clients, each at its own loopback address: one client holds at most half of them.
  const app = await build(t, { env: { EXPORT_CONCURRENCY: '2', MYSQL_POOL_SIZE: '1' } })
  const base = await listen(app)
  const db = await createDatabase(t)
  const [a, b, c] = [await selectedSession(app, db), await selectedSession(app, db), await selectedSession(app, db)]
  const first = await openExport(base, a)
  t.teardown(() => first.destroy())
  t.equal(first.statusCode, 200)

  const again = await download(base, '/api/query/export', { query: 'SELECT 1', format: 'csv', session_id: a })
  t.equal(again.status, 503, 'a session streams one export at a time')
  t.equal(JSON.parse(again.body.toString('utf8')).code, 'exports_busy')
  t.equal(again.headers['retry-after'], '2')

  const second = await openExport(base, b, '127.0.0.2')
  t.teardown(() => second.destroy())
  t.equal(second.statusCode, 200, 'another session\'s export streams beside it')
  const third = await download(base, '/api/query/export', { query: 'SELECT 1', format: 'csv', session_id: c }, {}, '127.0.0.3')
  t.equal(third.status, 503, `past EXPORT_CONCURRENCY: ${third.body.toString('utf8')}`)
  t.match(JSON.parse(third.body.toString('utf8')).message, /This instance streams 2 exports at once/)
  t.equal(app.exporter.streaming(), 2)

  const asked = performance.now()
  const query = await post(app, '/api/query', { query: 'SELECT 1 AS one', session_id: c })
  const took = performance.now() - asked
  t.equal(query.statusCode, 200, 'a query runs while both exports hold their connections (a pool of one)')
  t.ok(took < 1000, `and at once (${took.toFixed(0)} ms)`)

  first.destroy()
  second.destroy()
  for (let i = 0; i < 40 && app.exporter.streaming() > 0; i++) await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(app.exporter.streaming(), 0, 'closed downloads give their connections back')
  const after = await download(base, '/api/query/export', { query: 'SELECT 1 AS one', format: 'csv', session_id: c })
  t.equal(after.body.toString('utf8'), 'one\r\n1\r\n')
})

t.test('an export ticket: a link that downloads once, for its own session, within its time', async (t) => {
  const app = await build(t)
  const base = await listen(app)
  const db = await createDatabase(t)
  const sessionId = await selectedSession(app, db)
  const issued = await post(app, '/api/query/export/ticket', { query: 'SELECT seq FROM seq_1_to_3', format: 'ndjson', filename: 'three' }, { 'x-session-id': sessionId })
  t.equal(issued.statusCode, 200, issued.body)
  const { url, ticket, expires_in_seconds: ttl } = issued.json()
  t.equal(url, `/api/query/export/${ticket}`)
  t.equal(ttl, 60)

  const other = await download(base, url, undefined, { 'x-session-id': randomSessionId() })
  t.equal(other.status, 404, 'another session cannot use it')
  t.equal(JSON.parse(other.body.toString('utf8')).code, 'export_ticket_not_found')
  const again = await download(base, url, undefined, { 'x-session-id': await selectedSession(app, db) })
  t.equal(again.status, 404, 'nor another session this service issued, in the same database')

  const head = await app.inject({ method: 'HEAD', url, headers: { 'x-session-id': sessionId } })
  t.strictSame([head.statusCode, head.headers.allow], [405, 'GET'], 'a link has no HEAD, which would use the ticket up')

  const file = await download(base, url, undefined, { 'x-session-id': sessionId })
  t.equal(file.status, 200, 'another session\'s and a HEAD\'s tries did not use the ticket up')
  t.equal(file.headers['content-disposition'], 'attachment; filename="three.ndjson"')
  t.equal(file.body.toString('utf8'), '{"seq":"1"}\n{"seq":"2"}\n{"seq":"3"}\n')
  const reused = await download(base, url, undefined, { 'x-session-id': sessionId })
  t.equal(reused.status, 404, 'a ticket serves one download')
  const refused = await post(app, '/api/query/export/ticket', { query: 'SELECT 1', format: 'pdf' }, { 'x-session-id': sessionId })
  t.equal(refused.statusCode, 400, 'the body is checked when the ticket is issued')
  const forged = await download(base, `/api/query/export/${'A'.repeat(43)}`, undefined, { 'x-session-id': sessionId })
  t.equal(forged.status, 404)
})

t.test('file names: sanitised, with the format\'s extension; by default the database and the time', async (t) => {
  const now = new Date('2026-12-03T18:14:29.364Z')
  t.equal(exportFileName(undefined, 'sales_db', 'csv', now), 'sales_db-2026-12-03-18-14-29.csv')
  t.equal(exportFileName('report', 'db', 'ndjson', now), 'report.ndjson')
  t.equal(exportFileName('report.CSV', 'db', 'csv', now), 'report.CSV')
  t.equal(exportFileName('../../etc/passwd', 'db', 'csv', now), '_.._etc_passwd.csv', 'no path, no leading dot')
  t.equal(exportFileName('a"b\r\nContent-Type: x', 'db', 'json', now), 'a_b__Content-Type__x.json', 'nothing that could end the header')
  t.equal(exportFileName('отчёт', 'db', 'csv', now), 'export.csv', 'a name of nothing allowed falls back')
  t.equal(exportFileName('x'.repeat(300), 'db', 'csv', now).length, 200)
  t.equal(exportFileName(undefined, 'weird name;"', 'csv', now), 'weird_name__-2026-12-03-18-14-29.csv')
})

t.test('with API_KEYS, a ticket needs the key and its link does not: the ticket stands for it', async (t) => {
  const key = 'k'.repeat(40)
  const app = await build(t, { env: { API_KEYS: key } })
  const db = await createDatabase(t)
  const sessionId = randomSessionId()
  const authorization = `Bearer ${key}`
  t.equal((await post(app, '/api/database/select', { database_name: db }, { 'x-session-id': sessionId, authorization })).statusCode, 200)
  const body = { query: 'SELECT 1 AS one', format: 'csv' }
  t.equal((await post(app, '/api/query/export/ticket', body, { 'x-session-id': sessionId })).statusCode, 401, 'no ticket without the key')
  t.equal((await post(app, '/api/query/export', body, { 'x-session-id': sessionId })).statusCode, 401, 'no export without the key')
  const { url } = (await post(app, '/api/query/export/ticket', body, { 'x-session-id': sessionId, authorization })).json()
  const file = await app.inject({ url, headers: { 'x-session-id': sessionId } })
  t.equal(file.statusCode, 200, 'the link works without the key')
  t.equal(file.body, 'one\r\n1\r\n')
  t.equal((await app.inject({ url: '/api/query/history', headers: { 'x-session-id': sessionId } })).statusCode, 401, 'other routes still need it')
})

t.test('the first exports after start both stream: the server is known before they take both connections', async (t) => {
  const app = await build(t, { env: { EXPORT_CONCURRENCY: '2' } })
  const base = await listen(app)
  const db = await createDatabase(t)
  const [a, b] = [await selectedSession(app, db), await selectedSession(app, db)]
  // Two clients (a client holds at most one of two export connections).
  const both = await Promise.all([[a, '127.0.0.1'], [b, '127.0.0.2']].map(async ([session, from]) =>
    download(base, '/api/query/export', { query: 'SELECT seq FROM seq_1_to_3', format: 'csv', session_id: session }, {}, from)))
  t.strictSame(both.map((file) => file.status), [200, 200])
  t.strictSame(both.map((file) => file.body.toString('utf8')), ['seq\r\n1\r\n2\r\n3\r\n', 'seq\r\n1\r\n2\r\n3\r\n'])
})

t.test('an export gives its connection back before its download ends, reset first when it must be: the next export, at once, is not refused', async (t) => {
  const app = await build(t, { env: { EXPORT_CONCURRENCY: '1', RATE_LIMIT_MAX: '1000000', RATE_LIMIT_ADDRESS_MAX: '1000000' } })
  const base = await listen(app)
  const db = await createDatabase(t)
  const [a, b] = [await selectedSession(app, db), await selectedSession(app, db)]
  // RAND() without a seed has the connection reset after it (../../../../plugins/app/query/sql/builtins.ts).
  const queries = ['SELECT RAND() AS r', 'SELECT RAND() AS r', 'SELECT 1 AS one']
  const statuses: string[] = []
  for (let i = 0; i < 10; i++) {
    for (const [n, query] of queries.entries()) {
      const file = await download(base, '/api/query/export', { query, format: 'ndjson', session_id: n % 2 === 0 ? a : b })
      statuses.push(`${query}: ${file.status} ${app.exporter.streaming()}`)
    }
  }
  t.strictSame(statuses.filter((line) => !line.endsWith(': 200 0')), [], 'every export answered 200, its connection back when the client had the whole file')
})
