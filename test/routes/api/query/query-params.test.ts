import t from 'tap'
import { build, createDatabase, post, preparedStatementCounts, selectedSession } from '../../../helper.js'

/**
 * `params` are bound to the statement's `?` placeholders, and their number must be the server's
 * count of them. Executed with more values than placeholders, MariaDB read the extra bytes as the
 * first value and answered garbage (`SELECT ?` with [1, 2] once answered 2.5e-323).
 */
t.test('params bind one value per placeholder, of every accepted type', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t, "CREATE TABLE p (id INT PRIMARY KEY, name VARCHAR(20)); INSERT INTO p VALUES (1, 'one'), (2, 'two'), (3, NULL)")
  const sessionId = await selectedSession(app, db)

  const res = await post(app, '/api/query', { query: 'SELECT id, name FROM p WHERE id > ? AND (name = ? OR ? OR name <=> ?) ORDER BY id', params: [1, 'two', false, null], session_id: sessionId })
  t.equal(res.statusCode, 200, res.body)
  t.strictSame(res.json().rows, [{ id: 2, name: 'two' }, { id: 3, name: null }])

  // A placeholder inside a string or a comment is not one: the server's count is what counts.
  const quoted = await post(app, '/api/query', { query: "SELECT '?' AS q, ? AS v /* ? */", params: ['x'], session_id: sessionId })
  t.equal(quoted.statusCode, 200, quoted.body)
  t.strictSame(quoted.json().rows, [{ q: '?', v: 'x' }])
})

t.test('a params count that does not match the placeholders: 400 param_count_mismatch, nothing runs', async (t) => {
  const app = await build(t, { env: { READ_ONLY: 'false', MYSQL_POOL_SIZE: '1' } })
  const db = await createDatabase(t, 'CREATE TABLE w (v INT)')
  const sessionId = await selectedSession(app, db)

  // Without params (or with none) the statement would go as text, and the server would answer a
  // syntax error near '?': the gateway names the count from its own reading instead.
  const cases: Array<{ query: string, params?: unknown[], placeholders: number }> = [
    { query: 'SELECT ? AS a', params: [1, 2], placeholders: 1 },
    { query: 'SELECT ? AS a, ? AS b', params: ['x'], placeholders: 2 },
    { query: 'SELECT 1 AS a', params: [1], placeholders: 0 },
    { query: "SELECT ? AS a, '?' AS b /* ? */, ? AS c", params: [], placeholders: 2 },
    { query: 'SELECT ? AS a', placeholders: 1 },
    { query: 'INSERT INTO w VALUES (?)', placeholders: 1 },
    { query: 'INSERT INTO w VALUES (?)', params: [7, 8], placeholders: 1 }
  ]
  for (const { query, params, placeholders } of cases) {
    const given = params?.length ?? 0
    const res = await post(app, '/api/query', { query, params, session_id: sessionId })
    t.equal(res.statusCode, 400, `${query} with ${params === undefined ? 'no' : given} params`)
    t.match(res.json(), {
      code: 'param_count_mismatch',
      placeholders,
      params: given,
      message: new RegExp(`${placeholders} placeholders? \\(\\?\\) but ${given} values? (was|were) given`)
    })
  }
  const text = await post(app, '/api/query', { query: "SELECT '?' AS q -- ?", session_id: sessionId })
  t.strictSame(text.json().rows, [{ q: '?' }], 'a ? in a string or a comment is no placeholder without params either')
  const rows = await post(app, '/api/query', { query: 'SELECT COUNT(*) AS n FROM w', session_id: sessionId })
  t.equal(rows.json().rows[0].n, '0', 'the refused INSERT did not run (COUNT is a BIGINT: a string)')

  const history = await app.inject({ url: '/api/query/history', headers: { 'x-session-id': sessionId } })
  t.equal(history.json().queries[2].error_code, 'param_count_mismatch', 'the refusal is in the history')

  // The pool's one connection serves the next statement, and kept no statement of the refused ones.
  const next = await post(app, '/api/query', { query: 'SELECT ? AS a', params: [5], session_id: sessionId })
  t.strictSame(next.json().rows, [{ a: 5 }])
  const { prepared, closed } = await preparedStatementCounts(app, db)
  t.equal(closed, prepared, `${prepared} statements prepared, as many closed`)
})

t.test('an integer a JSON number cannot carry exactly is refused; as a string it finds its row', async (t) => {
  const app = await build(t, { env: { READ_ONLY: 'false' } })
  const db = await createDatabase(t, "CREATE TABLE b (id BIGINT PRIMARY KEY, name VARCHAR(5)); INSERT INTO b VALUES (9007199254740992, 'a'), (9007199254740993, 'b'), (-9007199254740992, 'm')")
  const sessionId = await selectedSession(app, db)
  // Bodies written as text: JSON.stringify could not write 9007199254740993 either.
  const send = (body: string) => app.inject({ method: 'POST', url: '/api/query', headers: { 'content-type': 'application/json', 'x-session-id': sessionId }, payload: body })

  // Parsed, 9007199254740993 is 9007199254740992: the query would answer row 'a' for id ...993.
  // The body is refused as it is read (plugins/app/edge/json-numbers.ts), saying what it read.
  const rounded = await send('{"query": "SELECT name FROM b WHERE id = ?", "params": [9007199254740993]}')
  t.strictSame([rounded.statusCode, rounded.json().code], [400, 'invalid_json'])
  t.match(rounded.json().message, 'The body holds the number 9007199254740993, which reads as 9007199254740992')
  // Integers a double holds exactly, past the bound, are refused by the schema, naming it.
  const inexact: Array<[string, string]> = [['9007199254740992', 'must be <= 9007199254740991'], ['-9007199254740992', 'must be >= -9007199254740991'], ['1e20', 'must be <= 9007199254740991']]
  for (const [literal, bound] of inexact) {
    const res = await send(`{"query": "SELECT name FROM b WHERE id = ?", "params": [${literal}]}`)
    t.equal(res.statusCode, 400, literal)
    t.strictSame(res.json().details, [{ field: 'body/params/0', message: bound }], `${literal}: the bound, not every branch of the union`)
  }
  const deleted = await send('{"query": "DELETE FROM b WHERE id = ?", "params": [9007199254740993]}')
  t.equal(deleted.json().code, 'invalid_json')
  const left = await post(app, '/api/query', { query: 'SELECT name FROM b ORDER BY id', session_id: sessionId })
  t.strictSame(left.json().rows, [{ name: 'm' }, { name: 'a' }, { name: 'b' }], 'nothing was deleted')

  const exact = await send('{"query": "SELECT name FROM b WHERE id = ?", "params": ["9007199254740993"]}')
  t.strictSame(exact.json().rows, [{ name: 'b' }], 'the string form binds the exact value')
  const largest = await send('{"query": "SELECT ? + 0 AS v, ? AS f", "params": [9007199254740991, 0.5]}')
  t.equal(largest.statusCode, 200, 'the largest exact integer and fractions pass')
})

t.test('a statement the server cannot prepare: 400 sql_error, as before', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t)
  const sessionId = await selectedSession(app, db)
  const res = await post(app, '/api/query', { query: 'SELECT ? FROM nowhere_at_all', params: [1], session_id: sessionId })
  t.equal(res.statusCode, 400)
  t.equal(res.json().code, 'sql_error')
  t.equal(res.json().errno, 1146)
})

t.test('an export or a download ticket of a statement with placeholders and no params is refused before anything runs', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t, 'CREATE TABLE e (v INT); INSERT INTO e VALUES (1)')
  const sessionId = await selectedSession(app, db)
  for (const url of ['/api/query/export', '/api/query/export/ticket']) {
    const res = await post(app, url, { query: 'SELECT v FROM e WHERE v = ?', format: 'csv', session_id: sessionId })
    t.equal(res.statusCode, 400, url)
    t.match(res.json(), { code: 'param_count_mismatch', placeholders: 1, params: 0 }, url)
    const bound = await post(app, url, { query: 'SELECT v FROM e WHERE v = ?', params: [1], format: 'csv', session_id: sessionId })
    t.equal(bound.statusCode, 200, `${url} with its value`)
  }
})
