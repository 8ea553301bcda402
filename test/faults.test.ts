import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { adminConnection, build, createDatabase, mysqlTarget, mysqlUrlVia, post, runningStatements, selectedSession, tcpProxy, TEST_REDIS_URL } from './helper.js'

t.test('database cut off: fast 503 database_unavailable, /ready 503, and recovery without a restart', async (t) => {
  const proxy = await tcpProxy(t, mysqlTarget())
  const app = await build(t, { env: { MYSQL_URL: mysqlUrlVia(proxy.port) } })
  const db = await createDatabase(t, 'CREATE TABLE t (v INT); INSERT INTO t VALUES (1)')
  const sessionId = await selectedSession(app, db)
  const query = () => post(app, '/api/query', { query: 'SELECT v FROM t', session_id: sessionId })
  t.equal((await query()).statusCode, 200)

  proxy.cut()
  const started = Date.now()
  const answers = [await query(), await query()]
  for (const res of answers) {
    t.equal(res.statusCode, 503)
    t.equal(res.json().code, 'database_unavailable')
    t.equal(res.headers['retry-after'], '1')
  }
  t.ok(Date.now() - started < 3000, `answered in ${Date.now() - started} ms`)
  const ready = await app.inject({ url: '/ready' })
  t.equal(ready.statusCode, 503)
  t.strictSame(ready.json().checks, { redis: 'ok', mysql: 'unavailable' })
  t.equal((await app.inject({ url: '/health' })).statusCode, 200)

  proxy.heal()
  t.equal((await query()).statusCode, 200, 'the first query after healing succeeds: the pool made new connections')
  t.equal((await app.inject({ url: '/ready' })).statusCode, 200)
})

t.test('connections killed on the server are replaced; at most the request that met one fails', async (t) => {
  const app = await build(t, { env: { MYSQL_POOL_SIZE: '3' } })
  const db = await createDatabase(t, 'CREATE TABLE t (v INT); INSERT INTO t VALUES (1)')
  const sessionId = await selectedSession(app, db)
  const query = () => post(app, '/api/query', { query: 'SELECT v FROM t', session_id: sessionId })
  await Promise.all([query(), query(), query()]) // three pooled connections, all in the database

  const admin = await adminConnection(t)
  const [rows] = await admin.query('SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()', [db]) as unknown as [Array<{ ID: string }>]
  t.ok(rows.length >= 1, `found ${rows.length} pooled connections to kill`)
  for (const row of rows) await admin.query(`KILL CONNECTION ${Number(row.ID)}`)
  await new Promise((resolve) => setTimeout(resolve, 100))

  const statuses = []
  for (let i = 0; i < 6; i++) statuses.push((await query()).statusCode)
  t.ok(statuses.filter((s) => s !== 200).length <= 1, `at most one failure (${statuses.join(', ')})`)
  t.equal(statuses.at(-1), 200)
})

t.test('overload: past the bounded wait queue, a fast 503 with Retry-After', async (t) => {
  // One connection, a wait queue of 50: 60 slow queries at once overflow it.
  const app = await build(t, { env: { MYSQL_POOL_SIZE: '1', SESSION_MAX_CONCURRENT_QUERIES: '1000' } })
  const db = await createDatabase(t)
  const sessionId = await selectedSession(app, db)
  const answers = await Promise.all(Array.from({ length: 60 }, () =>
    post(app, '/api/query', { query: 'SELECT SLEEP(0.02) AS s', session_id: sessionId })))
  const busy = answers.filter((res) => res.statusCode === 503)
  t.ok(busy.length >= 1, `${busy.length} answered 503`)
  t.ok(busy.every((res) => res.json().code === 'database_busy' && res.headers['retry-after'] === '1'), 'database_busy with Retry-After')
  t.ok(answers.filter((res) => res.statusCode === 200).length >= 40, 'the queued ones ran')
})

t.test('a stalled database path: catalog and readiness answer 503 in bounded time and keep no connection', async (t) => {
  const proxy = await tcpProxy(t, mysqlTarget())
  // Catalog reads are bounded by QUERY_TIMEOUT_MS (a large schema can take a while), probes by 2 s.
  const app = await build(t, { env: { MYSQL_URL: mysqlUrlVia(proxy.port), MYSQL_POOL_SIZE: '1', QUERY_TIMEOUT_MS: '1500' } })
  t.equal((await app.inject({ url: '/api/database/list' })).statusCode, 200)

  proxy.stall()
  const started = performance.now()
  const list = await app.inject({ url: '/api/database/list' })
  t.equal(list.statusCode, 503, 'the catalog read answers 503')
  t.equal(list.json().code, 'database_unavailable')
  t.ok(performance.now() - started < 5000, `in bounded time (${Math.round(performance.now() - started)} ms)`)

  // The one pooled connection was the stalled one: it was closed, not kept, so both work again.
  t.equal((await app.inject({ url: '/ready' })).statusCode, 200, '/ready gets a new connection')
  t.equal((await app.inject({ url: '/api/database/list' })).statusCode, 200)

  proxy.stall()
  const ready = await app.inject({ url: '/ready' })
  t.equal(ready.statusCode, 503, 'a stalled probe is unavailable')
  await sleep(2500) // the probe's statement times out behind the answer and frees its connection
  t.equal((await app.inject({ url: '/api/database/list' })).statusCode, 200, 'the probe did not keep the only connection')
})

t.test('a stalled Redis path: every session route answers 503 session_store_unavailable in bounded time', async (t) => {
  const target = new URL(TEST_REDIS_URL)
  const proxy = await tcpProxy(t, { host: target.hostname, port: Number(target.port || 6379) })
  const via = new URL(TEST_REDIS_URL)
  via.port = String(proxy.port)
  const app = await build(t, { env: { REDIS_URL: via.toString() } })
  const db = await createDatabase(t)
  const sessionId = await selectedSession(app, db)
  const headers = { 'x-session-id': sessionId }
  const context = () => app.inject({ url: '/api/database/context', headers })
  t.equal((await context()).statusCode, 200)
  const exportBody = { query: 'SELECT 1', format: 'csv' }
  const { url: ticketUrl } = (await post(app, '/api/query/export/ticket', exportBody, headers)).json()

  proxy.stall()
  const started = performance.now()
  const routes: Record<string, () => ReturnType<typeof context>> = {
    context,
    'context by URL': () => app.inject({ url: `/api/database/context/${sessionId}` }),
    select: () => post(app, '/api/database/select', { database_name: db }, headers),
    clear: () => app.inject({ method: 'DELETE', url: '/api/database/context', headers }),
    schema: () => app.inject({ url: '/api/database/schema', headers }),
    query: () => post(app, '/api/query', { query: 'SELECT 1', session_id: sessionId }),
    history: () => app.inject({ url: '/api/query/history', headers }),
    export: () => post(app, '/api/query/export', exportBody, headers),
    'export ticket': () => post(app, '/api/query/export/ticket', exportBody, headers),
    'export by ticket': () => app.inject({ url: ticketUrl, headers }),
    mcp: () => post(app, '/mcp', { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { 'mcp-session-id': sessionId, accept: 'application/json, text/event-stream' })
  }
  const answers = await Promise.all(Object.values(routes).map((call) => call()))
  const ms = performance.now() - started
  Object.keys(routes).forEach((name, i) => {
    const res = answers[i]!
    t.equal(res.statusCode, 503, `${name}: ${res.body.slice(0, 120)}`)
    t.equal(res.json().code, 'session_store_unavailable')
    t.equal(res.headers['retry-after'], '1')
  })
  // A route outside the hot two waits for up to three commands one after the other (the address's
  // count, the session's rate count, its work), each failed by the one-second command timeout.
  t.ok(ms >= 900 && ms < 5000, `after the command timeouts, not before (${Math.round(ms)} ms)`)
})

t.test('a connection lost while a write runs: 502 write_outcome_unknown, not "retry shortly"; a read keeps 503', async (t) => {
  // The write may have committed before the connection went: a client told to retry could apply it twice.
  const app = await build(t, { env: { READ_ONLY: 'false' } })
  const db = await createDatabase(t, 'CREATE TABLE w (v INT)')
  const sessionId = await selectedSession(app, db)
  const admin = await adminConnection(t)
  const killWhenRunning = async (marker: string) => {
    for (let i = 0; i < 100; i++) {
      const [id] = await runningStatements(admin, marker)
      if (id !== undefined) {
        await admin.query(`KILL CONNECTION ${id}`)
        return
      }
      await sleep(20)
    }
    throw new Error(`${marker} never ran`)
  }
  const run = async (query: string, marker: string, params?: unknown[]) => {
    const [res] = await Promise.all([post(app, '/api/query', { query, session_id: sessionId, ...(params ? { params } : {}) }), killWhenRunning(marker)])
    return res
  }

  const write = await run("INSERT INTO w SELECT 1 FROM DUAL WHERE SLEEP(5) = 0 AND 'write-marker' <> ''", 'write-marker')
  t.equal(write.statusCode, 502)
  t.equal(write.json().code, 'write_outcome_unknown')
  t.match(write.json().message, 'may or may not have taken effect')
  const prepared = await run("INSERT INTO w SELECT ? FROM DUAL WHERE SLEEP(5) = 0 AND 'prepared-marker' <> ''", 'prepared-marker', [2])
  t.equal(prepared.json().code, 'write_outcome_unknown', 'with params too')
  const read = await run("SELECT SLEEP(5) AS s, 'read-marker' AS m", 'read-marker')
  t.equal(read.statusCode, 503)
  t.equal(read.json().code, 'database_unavailable', 'a read changed nothing: retrying it is safe')
  t.equal((await post(app, '/api/query', { query: 'SELECT COUNT(*) AS n FROM w', session_id: sessionId })).statusCode, 200, 'the next request is served')
})
