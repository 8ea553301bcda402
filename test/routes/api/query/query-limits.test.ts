import t, { type Test } from 'tap'
import { once } from 'node:events'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { adminConnection, build, createDatabase, mysqlTarget, mysqlUrlVia, post, randomSessionId, randomSuffix, runningStatements, selectedSession, tcpProxy } from '../../../helper.js'

/** Statements whose text contains `marker` still running on the server. */
async function running (t: Test, marker: string): Promise<number> {
  return (await runningStatements(await adminConnection(t), marker)).length
}

async function waitUntilGone (t: Test, marker: string): Promise<number> {
  for (let i = 0; i < 40; i++) {
    const n = await running(t, marker)
    if (n === 0) return 0
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return running(t, marker)
}

t.test('a statement past its timeout answers 504 and is no longer running on the server', async (t) => {
  const app = await build(t, { env: { MYSQL_POOL_SIZE: '1' } })
  const db = await createDatabase(t)
  const sessionId = await selectedSession(app, db)
  const marker = `slow_${randomSuffix()}`

  const res = await post(app, '/api/query', { query: `SELECT SLEEP(5) AS ${marker}`, timeout_ms: 300, session_id: sessionId })
  t.equal(res.statusCode, 504)
  t.equal(res.json().code, 'query_timeout')
  t.equal(res.json().timeout_ms, 300)
  t.equal(await waitUntilGone(t, marker), 0, 'gone from the process list')

  const next = await post(app, '/api/query', { query: 'SELECT 1 AS ok', session_id: sessionId })
  t.strictSame(next.json().rows, [{ ok: 1 }], 'the (only) connection serves the next request')
  const plenty = await post(app, '/api/query', { query: 'SELECT SLEEP(0.2) AS s', timeout_ms: 5000, session_id: sessionId })
  t.equal(plenty.statusCode, 200, 'a later request with a longer timeout is not cut by the earlier one')
})

t.test('timeout_ms and max_rows are bounded by the configuration', async (t) => {
  const app = await build(t, { env: { QUERY_TIMEOUT_MS: '500', QUERY_TIMEOUT_MAX_MS: '1000', QUERY_MAX_ROWS_LIMIT: '50', QUERY_MAX_ROWS: '20' } })
  const sessionId = randomSessionId()
  for (const body of [{ timeout_ms: 1001 }, { timeout_ms: 0 }, { max_rows: 51 }, { max_rows: 0 }, { max_rows: 1.5 }, { row_format: 'csv' }, { params: [{ a: 1 }] }, { params: 'x' }]) {
    const res = await post(app, '/api/query', { query: 'SELECT 1', session_id: sessionId, ...body })
    t.equal(res.json().code, 'validation_error', JSON.stringify(body))
  }
})

t.test('row caps: exactly max_rows is not truncated, one more is', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t, 'CREATE TABLE n (v INT); INSERT INTO n SELECT seq FROM seq_1_to_25')
  const sessionId = await selectedSession(app, db)
  const run = (maxRows: number, query = 'SELECT v FROM n ORDER BY v') => post(app, '/api/query', { query, max_rows: maxRows, session_id: sessionId })

  const capped = (await run(10)).json()
  t.equal(capped.row_count, 10)
  t.equal(capped.truncated, true)
  t.strictSame(capped.rows.map((r: { v: number }) => r.v), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
  t.equal((await run(25)).json().truncated, false, 'a result that fits exactly is not truncated')
  t.equal((await run(25)).json().row_count, 25)
  t.equal((await run(24)).json().truncated, true)
  t.equal((await run(100)).json().row_count, 25)

  const explicit = (await run(5, 'SELECT v FROM n ORDER BY v LIMIT 20')).json()
  t.equal(explicit.row_count, 5, 'an explicit LIMIT above the cap is capped too')
  t.equal(explicit.truncated, true)
  const show = (await run(3, 'SHOW VARIABLES')).json()
  t.equal(show.row_count, 3, 'SHOW output is capped')
  t.equal(show.truncated, true)
  t.equal((await run(10)).json().row_count, 10, 'the pool serves the next request')
  t.equal((await post(app, '/api/query', { query: 'SELECT v FROM n', session_id: sessionId })).json().row_count, 25, 'default max_rows (1000)')
})

t.test('a million-row SELECT is cut at the cap and stops on the server', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t)
  const sessionId = await selectedSession(app, db)
  const marker = `big_${randomSuffix()}`
  for (const query of [
    `SELECT seq AS ${marker}, REPEAT('x', 100) AS pad FROM seq_1_to_1000000`,
    // an explicit LIMIT overrides the server-side cap: the service must stop reading itself
    `SELECT seq AS ${marker}, REPEAT('x', 100) AS pad FROM seq_1_to_1000000 LIMIT 1000000`
  ]) {
    const res = await post(app, '/api/query', { query, max_rows: 1000, session_id: sessionId })
    t.equal(res.statusCode, 200)
    t.equal(res.json().row_count, 1000)
    t.equal(res.json().truncated, true)
    t.equal(await waitUntilGone(t, marker), 0, 'no longer running on the server')
  }
})

/**
 * An app whose database path goes through a proxy that can stop the server's answers, with one
 * pooled connection (so the stalled one is the one every request uses) and a session in a database.
 */
async function behindProxy (t: Test, env: Record<string, string> = {}) {
  const proxy = await tcpProxy(t, mysqlTarget())
  const app = await build(t, { env: { MYSQL_URL: mysqlUrlVia(proxy.port), MYSQL_POOL_SIZE: '1', ...env } })
  const db = await createDatabase(t, 'CREATE TABLE t (v INT); INSERT INTO t VALUES (1)')
  const sessionId = await selectedSession(app, db)
  return { proxy, app, sessionId, db }
}

t.test('a statement whose answer never comes: KILL QUERY, then abandoned with 504, and the pool goes on', async (t) => {
  const { proxy, app, sessionId } = await behindProxy(t)
  // Same limits as the stalled statement below, so the connection needs no setup then.
  const query = (sql: string) => post(app, '/api/query', { query: sql, timeout_ms: 200, session_id: sessionId })
  t.equal((await query('SELECT v FROM t')).statusCode, 200)

  // The server's own limit would end the statement, but its answer is held back by the proxy:
  // only the gateway's timers can end the request.
  proxy.stall()
  const started = performance.now()
  const res = await query('SELECT SLEEP(1) AS s')
  const elapsed = performance.now() - started
  t.equal(res.statusCode, 504)
  t.equal(res.json().code, 'query_timeout')
  t.ok(elapsed >= 2000 && elapsed < 6000, `abandoned after the kill grace and the abandon delay (${Math.round(elapsed)} ms)`)

  t.equal((await query('SELECT v FROM t')).statusCode, 200, 'the stalled connection was dropped; the next query gets a new one')
})

t.test('a connection that stalls while being set up answers 503 in bounded time, and is dropped', async (t) => {
  const { proxy, app, sessionId } = await behindProxy(t)
  t.equal((await post(app, '/api/query', { query: 'SELECT v FROM t', session_id: sessionId })).statusCode, 200)

  proxy.stall()
  // Other limits: the connection is sent a SET first, whose answer never comes.
  const started = performance.now()
  const res = await post(app, '/api/query', { query: 'SELECT v FROM t', timeout_ms: 3000, session_id: sessionId })
  const elapsed = performance.now() - started
  t.equal(res.statusCode, 503)
  t.equal(res.json().code, 'database_unavailable')
  t.ok(elapsed < 5000, `in bounded time (${Math.round(elapsed)} ms)`)
  t.equal((await post(app, '/api/query', { query: 'SELECT v FROM t', session_id: sessionId })).statusCode, 200, 'the next query gets a new connection')
})

t.test('a connection KILL QUERY was sent for is not reused, even when its statement then ends by itself', async (t) => {
  // The statement could end while the KILL is on its way; reused, the connection would run the
  // next request's statement when the KILL lands, and that one would be stopped.
  const { proxy, app, sessionId } = await behindProxy(t)
  const query = (sql: string) => post(app, '/api/query', { query: sql, timeout_ms: 200, session_id: sessionId })
  const before = (await query('SELECT CONNECTION_ID() AS id')).json().rows[0].id

  // The server's own limit ends the statement at 200 ms, but its answer is held back past the
  // gateway's KILL (at 700 ms), then let through before the statement would be abandoned.
  proxy.stall()
  const answer = query('SELECT SLEEP(2) AS s')
  await sleep(1200)
  proxy.resume()
  const res = await answer
  t.equal(res.statusCode, 504)
  t.equal(res.json().code, 'query_timeout')

  const after = (await query('SELECT CONNECTION_ID() AS id')).json().rows[0].id
  t.not(after, before, 'the next statement runs on a new connection')
})

t.test('a write abandoned after its KILL: 502 write_outcome_unknown, since it may still commit', async (t) => {
  const { proxy, app, sessionId } = await behindProxy(t, { READ_ONLY: 'false' })
  const query = (sql: string) => post(app, '/api/query', { query: sql, timeout_ms: 200, session_id: sessionId })
  // A write first: its connection is reset after it, so the INSERT below is sent at once (stored
  // code, which an INSERT's trigger is, runs on a connection a read used only after a reset).
  t.equal((await query('UPDATE t SET v = v WHERE 0')).statusCode, 200)
  proxy.stall()
  const res = await query('INSERT INTO t SELECT 2 FROM DUAL WHERE SLEEP(1) = 0')
  t.equal(res.statusCode, 502)
  t.equal(res.json().code, 'write_outcome_unknown')
  t.match(res.json().message, 'had not ended 2000 ms after KILL QUERY')
  t.equal(res.json().timeout_ms, 200)
  t.equal((await query('SELECT v FROM t')).statusCode, 200, 'the pool goes on')
})

t.test('a connection whose reset, before a write, has no answer: 503 in bounded time, nothing sent, and the pool goes on', async (t) => {
  const { proxy, app, sessionId, db } = await behindProxy(t, { READ_ONLY: 'false' })
  const query = (sql: string, session = sessionId) => post(app, '/api/query', { query: sql, timeout_ms: 3000, session_id: session })
  // Another session's read on the one connection: the write below is reset first.
  t.equal((await query('SELECT v FROM t', await selectedSession(app, db))).statusCode, 200)
  proxy.stall()
  const started = performance.now()
  const res = await query('INSERT INTO t VALUES (3)')
  const elapsed = performance.now() - started
  t.strictSame([res.statusCode, res.json().code], [503, 'database_unavailable'])
  t.ok(elapsed < 5000, `in bounded time (${Math.round(elapsed)} ms)`)
  t.equal((await query('SELECT COUNT(*) AS n FROM t WHERE v = 3')).json().rows[0].n, '0', 'the write was not sent')
})

/** A service whose answers hold about 4 kB of rows, and a session on a database with a table `w (id, pad)`. */
async function withResultBudget (t: Test, env: Record<string, string>) {
  const app = await build(t, { env: { QUERY_MAX_RESULT_BYTES: '4096', ...env } })
  const db = await createDatabase(t, 'CREATE TABLE w (id INT PRIMARY KEY, pad VARCHAR(2000))')
  return { app, sessionId: await selectedSession(app, db) }
}

t.test('QUERY_MAX_RESULT_BYTES bounds an answer whatever max_rows allows; a first row past it is cut to fit', async (t) => {
  // max_rows alone had let 600 rows of 1 MB each build a 600 MB answer: 1.3 GB of memory, then
  // 500 internal_error ("Invalid string length").
  const { app, sessionId } = await withResultBudget(t, { MYSQL_POOL_SIZE: '1' })
  const run = (query: string, body: Record<string, unknown> = {}) => post(app, '/api/query', { query, session_id: sessionId, max_rows: 10000, ...body })

  const wide = await run("SELECT seq, REPEAT('x', 1000) AS pad FROM seq_1_to_100000")
  t.equal(wide.statusCode, 200)
  t.equal(wide.json().row_count, 4, 'four rows of about 1 kB fit in 4 kB, a fifth does not')
  t.equal(wide.json().truncated, true)
  t.ok(wide.body.length < 8192, `the answer stays near the budget (${wide.body.length} bytes)`)
  const asArray = await run("SELECT seq, REPEAT('x', 1000) AS pad FROM seq_1_to_100000", { row_format: 'array' })
  t.equal(asArray.json().row_count, 4, 'array rows too')
  const one = await run("SELECT 7 AS n, REPEAT('y', 10000) AS big UNION ALL SELECT 8, 'small'")
  t.equal(one.json().row_count, 1, 'a first row larger than the budget is answered, cut')
  t.equal(one.json().rows[0].n, 7, 'its short values whole')
  t.ok(one.json().rows[0].big.length > 3000 && one.json().rows[0].big.length < 4096, `its long value cut to fit the budget (${one.json().rows[0].big.length} characters)`)
  t.ok(one.body.length < 4096 + 512, `the answer stays near the budget (${one.body.length} bytes)`)
  t.equal(one.json().truncated, true)
  t.equal(one.json().truncated_values, 1)
  t.strictSame(one.json().truncated_columns, ['big'])
  const fits = await run("SELECT REPEAT('z', 100) AS pad FROM seq_1_to_10")
  t.equal(fits.json().truncated, false, 'an answer within the budget is whole')
  t.equal(fits.json().row_count, 10)
  t.equal((await run('SELECT 1 AS one')).statusCode, 200, 'the connection after a stopped read serves the next request')
})

t.test('a write past QUERY_MAX_RESULT_BYTES is read to the end, so it commits', async (t) => {
  const { app, sessionId } = await withResultBudget(t, { READ_ONLY: 'false' })
  const insert = await post(app, '/api/query', { query: "INSERT INTO w SELECT seq, REPEAT('x', 1000) FROM seq_1_to_1000 RETURNING id, pad", session_id: sessionId })
  t.equal(insert.json().truncated, true)
  t.equal(insert.json().row_count, 3)
  t.equal((await post(app, '/api/query', { query: 'SELECT COUNT(*) AS n FROM w', session_id: sessionId })).json().rows[0].n, '1000')
})

t.test('a large answer its client does not read is dropped after REQUEST_TIMEOUT_MS, and its connection closed', async (t) => {
  const app = await build(t, { env: { REQUEST_TIMEOUT_MS: '1000', QUERY_MAX_RESULT_BYTES: String(64 << 20) } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const db = await createDatabase(t)
  const sessionId = await selectedSession(app, db)
  // 30 MB: more than the kernel's socket buffers of both ends take, so Node holds the rest.
  const body = JSON.stringify({ query: "SELECT REPEAT('x', 30000) AS pad FROM seq_1_to_1000", max_rows: 1000, session_id: sessionId })

  const full = await fetch(`http://127.0.0.1:${port}/api/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  t.equal((await full.json() as { row_count: number }).row_count, 1000, 'a client that reads gets the whole answer')

  const accepted = once(app.server, 'connection') as Promise<[Socket]>
  const client = connect(port, '127.0.0.1')
  client.write(`POST /api/query HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
  client.pause() // and never reads
  t.teardown(() => client.destroy())
  const [serverSide] = await accepted
  const closed = once(serverSide, 'close').then(() => 'closed')
  const verdict = await Promise.race([closed, sleep(15_000).then(() => 'still open after 15 s')])
  t.equal(verdict, 'closed', 'the server closed the connection it could not write to')
  t.ok(serverSide.destroyed)

  const after = await post(app, '/api/query', { query: 'SELECT 1 AS one', session_id: sessionId })
  t.strictSame(after.json().rows, [{ one: 1 }], 'and serves the next request')
})
