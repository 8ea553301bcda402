import { once } from 'node:events'
import t from 'tap'
import { PARSER_CACHE_SIZE } from '../../../../plugins/app/database/pool-options.js'
import { adminConnection, build, createDatabase, liveHeapBytes, post, preparedStatementCounts, randomSessionId, selectedSession, spawnPlainNode } from '../../../helper.js'

/** Runs a fixture in a plain node (tap's coverage keeps every compiled function) and parses what it printed. */
async function runFixture (t: { equal: (found: unknown, wanted: unknown, message: string) => void }, path: string): Promise<unknown> {
  const child = spawnPlainNode(['--expose-gc', '--import', 'tsx', path], ['ignore', 'pipe', 'inherit'])
  let out = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => { out += chunk })
  const [code] = await once(child, 'exit') as [number | null]
  t.equal(code, 0, 'the fixture ran')
  return JSON.parse(out)
}

t.test('KILL QUERY through the control pool stops a running statement and leaves its connection usable', async (t) => {
  const app = await build(t, { env: { MYSQL_POOL_SIZE: '1' } })
  const db = await createDatabase(t)
  // A server-side limit far beyond the test, so only the KILL can end the statement.
  const lease = await app.mysql.acquire(db, { timeoutMs: 60_000, selectLimit: 10 })
  const conn = lease.conn.promise()
  const started = Date.now()
  const sleeping = conn.query('SELECT SLEEP(30) AS s')
  await new Promise((resolve) => setTimeout(resolve, 200))
  await app.mysql.killQuery(lease.connectionId)
  const error = await sleeping.then(() => null, (err: { errno?: number }) => err)
  t.equal(error?.errno, 1317, 'ER_QUERY_INTERRUPTED')
  t.ok(Date.now() - started < 5000, 'ended long before its 30 s')
  const [again] = await conn.query({ sql: 'SELECT 2 AS n', rowsAsArray: false }) as unknown as [Array<{ n: number }>]
  t.strictSame(again, [{ n: 2 }], 'the connection still works')
  lease.release()
})

t.test('each request\'s limits apply to it alone, on a shared connection', async (t) => {
  const app = await build(t, { env: { MYSQL_POOL_SIZE: '1', SESSION_MAX_CONCURRENT_QUERIES: '20' } })
  const db = await createDatabase(t, 'CREATE TABLE n (v INT); INSERT INTO n SELECT seq FROM seq_1_to_50')
  const [a, b] = [randomSessionId(), randomSessionId()]
  await post(app, '/api/database/select', { database_name: db, session_id: a })
  await post(app, '/api/database/select', { database_name: db, session_id: b })
  const runs = await Promise.all(Array.from({ length: 20 }, (_, i) =>
    post(app, '/api/query', { query: 'SELECT v FROM n', max_rows: i % 2 === 0 ? 5 : 40, session_id: i % 2 === 0 ? a : b })))
  t.strictSame(runs.map((res) => res.json().row_count), Array.from({ length: 20 }, (_, i) => i % 2 === 0 ? 5 : 40))
})

t.test('an open connection costs little memory: no full-size prepared-statement cache per connection', async (t) => {
  // mysql2's default cache (16,000 entries, allocated when a connection opens) was 512 kB of heap
  // per connection: 20 MB for these 40.
  const app = await build(t, { env: { MYSQL_POOL_SIZE: '40' } })
  const db = await createDatabase(t)
  const first = await app.mysql.acquire(db)
  first.release()
  const before = liveHeapBytes()
  // Forty owners: one owner holds at most its share of the pool (plugins/app/database/fair-share.ts).
  const leases = await Promise.all(Array.from({ length: 40 }, (_, i) => app.mysql.acquire(db, undefined, `owner-${i}`)))
  const grown = (liveHeapBytes() - before) / 1024 / 1024
  for (const lease of leases) lease.release()
  t.ok(grown < 8, `40 connections grew the heap by ${grown.toFixed(1)} MB`)
})

t.test('results of ever new shapes do not grow memory without bound (row parsers kept: PARSER_CACHE_SIZE)', async (t) => {
  // mysql2 keeps 15,000 compiled parsers by default: 2,000 shapes past 1,000 were 5.5 MB more.
  // Measured in a plain node (see the fixture).
  const { full, after } = await runFixture(t, 'test/fixtures/parser-shapes.ts') as { full: number, after: number }
  const grown = (after - full) / 1024 / 1024
  t.ok(grown < 2, `2,000 shapes past the first ${PARSER_CACHE_SIZE} grew the live heap by ${grown.toFixed(1)} MB`)
})

t.test('wide results of ever new shapes do not fill memory: no row parser is compiled (and kept) for them', async (t) => {
  // A compiled parser grows with its columns: 100 shapes of 1,000 columns held about 17 MB of heap,
  // and the thousands of columns a 100,000-character SELECT can ask for several MB each.
  const { before, after, first, last, columns } = await runFixture(t, 'test/fixtures/wide-shapes.ts') as { before: number, after: number, first: number, last: number, columns: number }
  t.strictSame([columns, first, last], [1000, 0, 999], 'the rows are read as ever')
  const grown = (after - before) / 1024 / 1024
  t.ok(grown < 4, `100 shapes of 1,000 columns grew the live heap by ${grown.toFixed(1)} MB`)
})

t.test('a prepared statement is closed when its query ends: a connection does not collect them', async (t) => {
  const app = await build(t, { env: { MYSQL_POOL_SIZE: '1' } })
  const db = await createDatabase(t)
  const sessionId = await selectedSession(app, db)
  // More distinct statements than the connection's statement cache holds (16).
  for (let i = 0; i < 24; i++) {
    const res = await post(app, '/api/query', { query: `SELECT ? AS p${i}`, params: [i], session_id: sessionId })
    t.equal(res.statusCode, 200, `statement ${i}`)
    if (res.statusCode !== 200) return
  }
  const { prepared, closed } = await preparedStatementCounts(app, db)
  t.ok(prepared >= 24, `${prepared} statements prepared on the pool's one connection`)
  t.equal(closed, prepared, 'and as many closed')
})

t.test('database down: 503 database_unavailable, fast', async (t) => {
  const app = await build(t, { env: { MYSQL_URL: 'mysql://root@127.0.0.1:1' } })
  const started = Date.now()
  const res = await post(app, '/api/database/select', { database_name: 'anything', session_id: randomSessionId() })
  t.equal(res.statusCode, 503)
  t.equal(res.json().code, 'database_unavailable')
  t.equal(res.headers['retry-after'], '1')
  const list = await app.inject({ url: '/api/database/list' })
  t.equal(list.json().code, 'database_unavailable')
  t.ok(Date.now() - started < 3000, `answered in ${Date.now() - started} ms`)
})

t.test('pooled connections are replaced past MYSQL_CONNECTION_MAX_AGE_SECONDS', async (t) => {
  const app = await build(t, { env: { MYSQL_POOL_SIZE: '1', MYSQL_CONNECTION_MAX_AGE_SECONDS: '1' } })
  const db = await createDatabase(t)
  const sessionId = await selectedSession(app, db)
  const connectionId = async () => (await post(app, '/api/query', { query: 'SELECT CONNECTION_ID() AS id', session_id: sessionId })).json().rows[0].id
  const first = await connectionId()
  t.equal(await connectionId(), first, 'reused while young')
  await new Promise((resolve) => setTimeout(resolve, 1200))
  t.not(await connectionId(), first, 'replaced once older than the limit')
})

t.test('TLS required but the server has none: refused, never plaintext', async (t) => {
  const variants: Array<Record<string, string>> = [{ MYSQL_SSL: 'true' }, { MYSQL_URL: 'mysql://root@127.0.0.1:3306?ssl=true' }]
  for (const env of variants) {
    const app = await build(t, { env })
    const res = await post(app, '/api/database/select', { database_name: 'anything', session_id: randomSessionId() })
    t.equal(res.statusCode, 503, JSON.stringify(env))
    t.equal(res.json().code, 'database_unavailable')
    t.equal((await app.inject({ url: '/ready' })).statusCode, 503)
  }
})

t.test('a statement whose connection is killed mid-query: a prompt 503, and the service lives on', async (t) => {
  const app = await build(t, { env: { MYSQL_POOL_SIZE: '1' } })
  const db = await createDatabase(t)
  const sessionId = await selectedSession(app, db)
  const admin = await adminConnection(t)
  // Text protocol and prepared statements: mysql2 tells the connection, not the streaming command.
  for (const params of [undefined, [1]]) {
    const started = Date.now()
    const slow = post(app, '/api/query', { query: 'SELECT SLEEP(3) AS s, 1 AS p', ...(params === undefined ? {} : { query: 'SELECT SLEEP(3) AS s, ? AS p', params }), session_id: sessionId })
    await new Promise((resolve) => setTimeout(resolve, 300))
    const [rows] = await admin.query('SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()', [db]) as unknown as [Array<{ ID: string }>]
    for (const row of rows) await admin.query(`KILL CONNECTION ${Number(row.ID)}`)
    const res = await slow
    t.equal(res.statusCode, 503, params === undefined ? 'text protocol' : 'prepared statement')
    t.equal(res.json().code, 'database_unavailable')
    t.ok(Date.now() - started < 2900, 'answered when the connection died, not at a timeout')
    await new Promise((resolve) => setTimeout(resolve, 100))
    const next = await post(app, '/api/query', { query: 'SELECT ? AS p', params: [2], session_id: sessionId })
    t.strictSame(next.json().rows, [{ p: 2 }], 'the next statement runs on a new connection')
  }
})
