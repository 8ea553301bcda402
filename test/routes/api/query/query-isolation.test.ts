import t from 'tap'
import { build, createDatabase, post, randomSessionId } from '../../../helper.js'

t.test('two sessions on two databases, interleaved on a small shared pool', async (t) => {
  const app = await build(t, { env: { MYSQL_POOL_SIZE: '3', SESSION_MAX_CONCURRENT_QUERIES: '200' } })
  const dbA = await createDatabase(t, "CREATE TABLE t (owner VARCHAR(10)); INSERT INTO t VALUES ('A')")
  const dbB = await createDatabase(t, "CREATE TABLE t (owner VARCHAR(10)); INSERT INTO t VALUES ('B')")
  const [a, b] = [randomSessionId(), randomSessionId()]
  await post(app, '/api/database/select', { database_name: dbA, session_id: a })
  await post(app, '/api/database/select', { database_name: dbB, session_id: b })

  const runs = Array.from({ length: 120 }, (_, i) => {
    const [session, owner, db] = i % 2 === 0 ? [a, 'A', dbA] : [b, 'B', dbB]
    return post(app, '/api/query', { query: 'SELECT owner, DATABASE() AS db FROM t', session_id: session })
      .then((res) => ({ res, owner, db }))
  })
  let wrong = 0
  for (const { res, owner, db } of await Promise.all(runs)) {
    const row = res.json().rows?.[0]
    if (res.statusCode !== 200 || row?.owner !== owner || row?.db !== db) wrong++
  }
  t.equal(wrong, 0, 'all 120 queries ran in their own session\'s database')
})

t.test('a statement that tries to change the database is refused and moves no session', async (t) => {
  const app = await build(t, { env: { MYSQL_POOL_SIZE: '1' } }) // one connection: every request shares it
  const dbA = await createDatabase(t, "CREATE TABLE t (owner VARCHAR(10)); INSERT INTO t VALUES ('A')")
  const dbB = await createDatabase(t, "CREATE TABLE t (owner VARCHAR(10)); INSERT INTO t VALUES ('B')")
  const [a, b] = [randomSessionId(), randomSessionId()]
  await post(app, '/api/database/select', { database_name: dbA, session_id: a })
  await post(app, '/api/database/select', { database_name: dbB, session_id: b })

  await post(app, '/api/query', { query: 'SELECT owner FROM t', session_id: b }) // the connection is in B
  const use = await post(app, '/api/query', { query: `USE \`${dbB}\``, session_id: a })
  t.equal(use.json().code, 'unsupported_statement')
  const hidden = await post(app, '/api/query', { query: `/*!USE \`${dbB}\` */`, session_id: a })
  t.equal(hidden.json().code, 'unsupported_statement', 'also inside an executable comment')
  const res = await post(app, '/api/query', { query: 'SELECT owner, DATABASE() AS db FROM t', session_id: a })
  t.strictSame(res.json().rows, [{ owner: 'A', db: dbA }], 'A still reads its own database')
  const resB = await post(app, '/api/query', { query: 'SELECT owner FROM t', session_id: b })
  t.strictSame(resB.json().rows, [{ owner: 'B' }])
})

t.test('one session cannot read the diagnostics another session\'s statement left on a pooled connection', async (t) => {
  const app = await build(t, { env: { MYSQL_POOL_SIZE: '1' } }) // one connection: B runs right after A on it
  const db = await createDatabase(t, 'CREATE TABLE users (id INT); INSERT INTO users VALUES (1)')
  const [a, b] = [randomSessionId(), randomSessionId()]
  for (const session of [a, b]) await post(app, '/api/database/select', { database_name: db, session_id: session })

  const secret = await post(app, '/api/query', { query: "SELECT id FROM users WHERE id = 'alice@example.com'", session_id: a })
  t.equal(secret.statusCode, 200, "A's statement leaves a warning that quotes its value")
  for (const query of ['SHOW WARNINGS', 'SHOW COUNT(*) WARNINGS', 'SHOW ERRORS']) {
    const peek = await post(app, '/api/query', { query, session_id: b })
    t.equal(peek.json().code, 'unsupported_statement', query)
    t.notMatch(peek.body, 'alice@example.com')
  }
})

t.test('a read whose stored function set a user variable leaves it to no other session: its connection is retired', async (t) => {
  // The statement is a read (its function cannot write in a read-only transaction), but a user
  // variable outlives it on the connection, and reading one is a read too. The server flags the
  // change in the status of the result set's end (session_track_state_change).
  const app = await build(t, { env: { MYSQL_POOL_SIZE: '1' } }) // one connection: B runs right after A on it
  const db = await createDatabase(t, "CREATE FUNCTION remember () RETURNS INT DETERMINISTIC BEGIN SET @remembered = 'from A'; RETURN 1; END")
  const [a, b] = [randomSessionId(), randomSessionId()]
  for (const session of [a, b]) await post(app, '/api/database/select', { database_name: db, session_id: session })

  t.strictSame((await post(app, '/api/query', { query: 'SELECT remember() AS v', session_id: a })).json().rows, [{ v: 1 }])
  t.strictSame((await post(app, '/api/query', { query: 'SELECT @remembered AS v', session_id: b })).json().rows, [{ v: null }], "B does not read A's variable")
  t.strictSame((await post(app, '/api/query', { query: 'SELECT remember() AS v', session_id: a, params: [] })).json().rows, [{ v: 1 }], 'prepared too')
  t.strictSame((await post(app, '/api/query', { query: 'SELECT @remembered AS v', session_id: b })).json().rows, [{ v: null }])
})
