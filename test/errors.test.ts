import t from 'tap'
import { build, createDatabase, post, selectedSession } from './helper.js'
import { toAppError } from '../plugins/app/errors/mysql-errors.js'

const ENVELOPE_KEYS = ['statusCode', 'error', 'code', 'message']

t.test('one envelope for every error, no stack traces', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t)
  const sessionId = await selectedSession(app, db)

  const cases: Array<[string, () => Promise<{ statusCode: number, json: () => Record<string, unknown>, body: string }>, number, string]> = [
    ['validation', () => post(app, '/api/query', { session_id: sessionId }), 400, 'validation_error'],
    ['wrong type', () => post(app, '/api/query', { query: 42, session_id: sessionId }), 400, 'validation_error'],
    ['malformed JSON', () => app.inject({ method: 'POST', url: '/api/query', headers: { 'content-type': 'application/json' }, payload: '{"query": ' }), 400, 'invalid_json'],
    ['empty JSON body', () => app.inject({ method: 'POST', url: '/api/query', headers: { 'content-type': 'application/json' }, payload: '' }), 400, 'invalid_json'],
    ['JSON array body', () => app.inject({ method: 'POST', url: '/api/query', headers: { 'content-type': 'application/json' }, payload: '[]' }), 400, 'validation_error'],
    ['body over 1 MiB', () => app.inject({ method: 'POST', url: '/api/query', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ query: 'x'.repeat(1024 * 1024) }) }), 413, 'payload_too_large'],
    ['unsupported media type', () => app.inject({ method: 'POST', url: '/api/query', headers: { 'content-type': 'text/plain' }, payload: 'SELECT 1' }), 415, 'unsupported_media_type'],
    ['unknown route', () => app.inject({ url: '/api/nope' }), 404, 'not_found'],
    ['wrong method', () => app.inject({ method: 'PUT', url: '/api/query' }), 405, 'method_not_allowed'],
    ['SQL error', () => post(app, '/api/query', { query: 'SELECT * FROM no_such_table', session_id: sessionId }), 400, 'sql_error'],
    ['SQL syntax error', () => post(app, '/api/query', { query: 'SELECT FROM WHERE', session_id: sessionId }), 400, 'sql_error']
  ]
  for (const [label, run, status, code] of cases) {
    const res = await run()
    t.equal(res.statusCode, status, `${label}: status`)
    const body = res.json()
    t.equal(body.code, code, `${label}: code`)
    t.equal(body.statusCode, status, `${label}: statusCode in the body`)
    for (const key of ENVELOPE_KEYS) t.ok(key in body, `${label}: has ${key}`)
    t.notMatch(res.body, /at .*\.(ts|js):\d+/, `${label}: no stack trace`)
  }
})

t.test('a route asked with a method it does not take answers 405 with Allow; a path no route has, 404', async (t) => {
  const app = await build(t)
  const cases: Array<[string, string, number, string | undefined]> = [
    ['GET', '/api/query', 405, 'POST'],
    ['GET', '/api/query?session_id=x', 405, 'POST'],
    ['PUT', '/api/database/select', 405, 'POST'],
    ['POST', '/api/database/context/session_abcdefgh', 405, 'GET, HEAD'],
    ['PATCH', '/api/database/context', 405, 'DELETE, GET, HEAD'],
    ['POST', '/health', 405, 'GET, HEAD'],
    ['GET', '/api/nope', 404, undefined],
    ['POST', '/api/query/nope', 404, undefined],
    ['GET', '/docs/static/no-such-file.js', 404, undefined],
    ['GET', '/api/database/context/a/b', 404, undefined]
  ]
  for (const [method, url, status, allow] of cases) {
    const res = await app.inject({ method: method as 'GET', url })
    t.strictSame([res.statusCode, res.headers.allow, res.json().code], [status, allow, status === 405 ? 'method_not_allowed' : 'not_found'], `${method} ${url}`)
  }
  t.equal((await app.inject({ url: '/api/query' })).json().message, '/api/query takes POST, not GET')
  // With CORS on, its preflight route answers OPTIONS for every path: not a route of its own.
  const withCors = await build(t, { env: { CORS_ORIGINS: 'https://app.example.com' } })
  t.equal((await withCors.inject({ url: '/api/nope' })).statusCode, 404)
  t.equal((await withCors.inject({ url: '/api/query' })).headers.allow, 'POST')
})

t.test('a 415 says what to send', async (t) => {
  const app = await build(t)
  const send = (headers: Record<string, string>) => app.inject({ method: 'POST', url: '/api/query', headers, payload: '{"query": "SELECT 1"}' })
  const cases: Array<[Record<string, string>, string]> = [
    [{ 'content-type': 'application/x-www-form-urlencoded' }, 'Content-Type "application/x-www-form-urlencoded" is not accepted: send the body as JSON, with Content-Type: application/json.'],
    [{ 'content-type': 'text/plain;charset=UTF-8' }, 'Content-Type "text/plain;charset=UTF-8" is not accepted: send the body as JSON, with Content-Type: application/json.'],
    [{ 'content-type': `text/${'x'.repeat(200)}` }, `Content-Type "text/${'x'.repeat(55)}" is not accepted: send the body as JSON, with Content-Type: application/json.`],
    [{}, 'The body has no Content-Type: send the body as JSON, with Content-Type: application/json.']
  ]
  for (const [headers, message] of cases) {
    const res = await send(headers)
    t.strictSame(res.json(), { statusCode: 415, error: 'Unsupported Media Type', code: 'unsupported_media_type', message }, headers['content-type'] ?? 'no Content-Type')
  }
})

t.test('a body that is not JSON says what and where, without quoting the body', async (t) => {
  const app = await build(t)
  const send = (payload: string) => app.inject({ method: 'POST', url: '/api/query', headers: { 'content-type': 'application/json' }, payload })
  const cases: Array<[string, RegExp]> = [
    ['{"query": "SELECT secret",}', /^The body is not valid JSON: .*position 26.*\.$/],
    ['{"query": "SELECT secret" "x": 1}', /^The body is not valid JSON: .*position 26.*\.$/],
    ['{"query": "SELECT secret"}}', /^The body is not valid JSON: .*position 26.*\.$/],
    ['{"query": "SELECT secret", "x": y}', /^The body is not valid JSON: Unexpected token 'y'\.$/],
    ['{"query": "SELECT secret', /^The body is not valid JSON: .+\.$/],
    ['{"query": "\\ud800", "x": }', /^The body is not valid JSON: Unexpected token '}'\.$/]
  ]
  for (const [payload, message] of cases) {
    const res = await send(payload)
    t.equal(res.statusCode, 400)
    t.equal(res.json().code, 'invalid_json')
    t.match(res.json().message, message, payload)
    t.notMatch(res.json().message, 'secret', 'the body is not quoted back')
  }
  // Valid JSON that Fastify refuses as prototype poisoning is not called invalid JSON.
  for (const payload of ['{"query": "SELECT 1", "__proto__": {"x": 1}}', '{"query": "SELECT 1", "constructor": {"prototype": {"x": 1}}}']) {
    const poisoned = await send(payload)
    t.equal(poisoned.statusCode, 400)
    t.equal(poisoned.json().code, 'invalid_json')
    t.match(poisoned.json().message, /^The body holds a "__proto__" key, or a "constructor" key with a "prototype" key in it/, payload)
  }
})

t.test('a body that names a key twice has no one reading: 400 invalid_json naming the key, and nothing runs', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t, 'CREATE TABLE marks (v INT)')
  const sessionId = await selectedSession(app, db)
  const send = (url: string, payload: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', ...headers }, payload })
  // A proxy that reads the first session_id would see this request as another session's.
  const twoSessions = await send('/api/query', `{"session_id": "someone-elses-session", "query": "SELECT 1", "session_id": "${sessionId}"}`)
  t.equal(twoSessions.statusCode, 400)
  t.match(twoSessions.json(), { code: 'invalid_json', message: /^The body names the key "session_id" twice in one object\./ })
  const escaped = await send('/api/query', `{"query": "SELECT 1", "session_id": "${sessionId}", "qu\\u0065ry": "SELECT 2"}`)
  t.match(escaped.json(), { code: 'invalid_json', message: /the key "query" twice/ }, 'also when one spelling is escaped')
  const secret = await send('/api/query', `{"query": "SELECT 1", "session_id": "${sessionId}", "SELECT secret": 1, "SELECT secret": 2}`)
  t.match(secret.json(), { code: 'invalid_json', message: /^The body names a key twice in one object\./ }, 'a key that is no field name is not quoted back')
  const history = await app.inject({ url: '/api/query/history', headers: { 'x-session-id': sessionId } })
  t.equal(history.json().queries.length, 0, 'nothing ran')
  // The MCP endpoint reads its bodies alike.
  const mcp = await send('/mcp', '{"jsonrpc": "2.0", "id": 1, "method": "tools/list", "method": "tools/call"}', { accept: 'application/json, text/event-stream' })
  t.equal(mcp.statusCode, 400)
  t.match(mcp.json(), { code: 'invalid_json', message: /the key "method" twice/ })
  // Keys and colons inside a string are text: a JSON document the statement carries may repeat them.
  const fine = await send('/api/query', JSON.stringify({ query: 'SELECT \'12:00\' AS t, \'{"a": 1, "a": 2}\' AS doc', session_id: sessionId }))
  t.equal(fine.statusCode, 200, fine.body)
  t.strictSame(fine.json().rows, [{ t: '12:00', doc: '{"a": 1, "a": 2}' }])
})

t.test('validation errors name the field', async (t) => {
  const app = await build(t)
  const res = await post(app, '/api/database/select', { database_name: '' })
  t.equal(res.json().code, 'validation_error')
  t.match(res.json().message, 'database_name')
  t.strictSame(res.json().details, [{ field: 'body/database_name', message: 'must NOT have fewer than 1 characters' }])
})

t.test('a missing field names the unknown ones sent in its place', async (t) => {
  const app = await build(t)
  const cases: Array<[string, Record<string, unknown>, Array<{ field: string, message: string }>]> = [
    ['/api/query', { sql: 'SELECT 1' }, [{ field: 'body', message: 'must have required property \'query\'' }, { field: 'body/sql', message: 'is not a field of this request' }]],
    ['/api/database/select', { database: 'sales', session_id: 'session_12345678' }, [{ field: 'body', message: 'must have required property \'database_name\'' }, { field: 'body/database', message: 'is not a field of this request' }]],
    ['/api/query', { max_rows: 5 }, [{ field: 'body', message: 'must have required property \'query\'' }]],
    ['/api/query', Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`f${i}`, i])), [{ field: 'body', message: 'must have required property \'query\'' },
      ...[0, 1, 2, 3, 4].map((i) => ({ field: `body/f${i}`, message: 'is not a field of this request' }))]]
  ]
  for (const [url, body, details] of cases) {
    const res = await post(app, url, body)
    t.equal(res.statusCode, 400)
    t.strictSame(res.json().details, details, JSON.stringify(body).slice(0, 60))
    t.equal(res.json().message, details.map((detail) => `${detail.field} ${detail.message}`).join(', '), 'the message says the same')
  }
})

t.test('a value no branch of a union takes: the branch its type chose, or what the union takes; an unknown field by name', async (t) => {
  const app = await build(t)
  const cases: Array<[Record<string, unknown>, Array<{ field: string, message: string }>]> = [
    [{ query: 'SELECT ?', params: [{ a: 1 }] }, [{ field: 'body/params/0', message: 'must be a string, number, boolean or null' }]],
    [{ query: 'SELECT ?', params: ['x'.repeat(65_536)] }, [{ field: 'body/params/0', message: 'must NOT have more than 65535 characters' }]],
    [{ query: 'SELECT 1', row_format: 'rows' }, [{ field: 'body/row_format', message: 'must be one of "object", "array"' }]],
    [{ query: 'SELECT 1', row_format: 5 }, [{ field: 'body/row_format', message: 'must be one of "object", "array"' }]],
    [{ query: 'SELECT 1', limit: 5 }, [{ field: 'body/limit', message: 'is not a field of this request' }]]
  ]
  for (const [body, details] of cases) {
    const res = await post(app, '/api/query', body)
    t.equal(res.json().code, 'validation_error')
    t.strictSame(res.json().details, details, JSON.stringify(body).slice(0, 60))
    t.equal(res.json().message, details.map((detail) => `${detail.field} ${detail.message}`).join(', '), 'the message says the same')
  }
})

t.test('sql_error carries the server\'s errno, SQLSTATE and message', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t)
  const sessionId = await selectedSession(app, db)
  const res = await post(app, '/api/query', { query: 'SELECT * FROM missing_table', session_id: sessionId })
  t.strictSame(res.json(), {
    statusCode: 400,
    error: 'Bad Request',
    code: 'sql_error',
    message: `Table '${db}.missing_table' doesn't exist`,
    errno: 1146,
    sql_state: '42S02'
  })
})

t.test('a 5xx is logged with its cause, but not the statement the driver attached to it', async (t) => {
  const logs: Array<Record<string, unknown>> = []
  const statement = "UPDATE users SET password = 'hunter2'"
  const app = await build(t, {
    logs,
    beforeReady: (fastify) => {
      // A driver error that is neither the server's SQL error nor a lost connection: 500.
      fastify.get('/fails', async () => { throw toAppError(Object.assign(new Error('Unexpected value'), { sql: statement })) })
      // A lost connection: 503.
      fastify.get('/lost', async () => { throw toAppError(Object.assign(new Error('Connection lost'), { code: 'PROTOCOL_CONNECTION_LOST', fatal: true, sql: statement })) })
    }
  })
  t.equal((await app.inject({ url: '/fails' })).json().code, 'internal_error')
  t.equal((await app.inject({ url: '/lost' })).json().code, 'database_unavailable')
  const failures = logs.filter((line) => line.msg === 'request failed')
  t.match(failures, [
    { level: 50, code: 'internal_error', err: { type: 'Error', message: 'Unexpected value', stack: /Unexpected value/ } },
    { level: 50, code: 'database_unavailable', err: { message: 'Connection lost', code: 'PROTOCOL_CONNECTION_LOST', fatal: true } }
  ])
  t.notOk(JSON.stringify(logs).includes('hunter2'), 'the statement is not in the log')
})
