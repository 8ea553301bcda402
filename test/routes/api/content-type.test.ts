import t from 'tap'
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib'
import { build, createDatabase, post, randomSessionId, selectedSession } from '../../helper.js'

/**
 * Every answer of the API is typed as JSON, whichever way its body was written: clients that
 * parse by Content-Type (and browsers, under X-Content-Type-Options: nosniff) depend on it.
 * The query answer is written as text for its known shape (plugins/app/query/query-json.ts), which Fastify
 * does not type by itself.
 */
const JSON_TYPE = 'application/json; charset=utf-8'

t.test('the API answers successes and errors as application/json', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t, 'CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20)); INSERT INTO items VALUES (1, \'one\')')
  const sessionId = await selectedSession(app, db)
  const header = { 'x-session-id': sessionId }

  const answers = {
    'query 200': await post(app, '/api/query', { query: 'SELECT id, name FROM items', session_id: sessionId }),
    'query 200, no rows': await post(app, '/api/query', { query: 'SELECT id FROM items WHERE id = 0', session_id: sessionId }),
    'query 400 (validation)': await post(app, '/api/query', { query: 42, session_id: sessionId }),
    'query 403 (read-only)': await post(app, '/api/query', { query: 'DELETE FROM items', session_id: sessionId }),
    'query 409 (no context)': await post(app, '/api/query', { query: 'SELECT 1', session_id: randomSessionId() }),
    'query 400 (database error)': await post(app, '/api/query', { query: 'SELECT nope FROM items', session_id: sessionId }),
    'history 200': await app.inject({ url: '/api/query/history', headers: header }),
    'context 200': await app.inject({ url: '/api/database/context', headers: header }),
    'select 200': await post(app, '/api/database/select', { database_name: db, session_id: sessionId }),
    'select 404': await post(app, '/api/database/select', { database_name: `${db}_missing`, session_id: sessionId }),
    'list 200': await app.inject({ url: '/api/database/list' }),
    'unknown route 404': await app.inject({ url: '/api/nothing-here' })
  }
  for (const [name, res] of Object.entries(answers)) {
    t.equal(res.headers['content-type'], JSON_TYPE, `${name}: Content-Type`)
    t.doesNotThrow(() => res.json(), `${name}: the body is JSON`)
  }
  t.equal(answers['query 200'].statusCode, 200)
  t.equal(answers['query 200'].json().rows[0].name, 'one')
  t.equal(answers['query 403 (read-only)'].statusCode, 403)
  t.equal(answers['query 409 (no context)'].statusCode, 409)
})

t.test('a compressed body is refused as such (415), not read as its compressed bytes', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t)
  const sessionId = await selectedSession(app, db)
  const send = (payload: Buffer, encoding?: string) => app.inject({
    method: 'POST',
    url: '/api/query',
    headers: { 'content-type': 'application/json', 'x-session-id': sessionId, ...(encoding === undefined ? {} : { 'content-encoding': encoding }) },
    payload
  })
  const body = Buffer.from('{"query": "SELECT 1 AS one"}')
  for (const [encoding, payload] of [['gzip', gzipSync(body)], ['br', brotliCompressSync(body)], ['deflate', deflateSync(body)], ['GZIP', gzipSync(body)], ['gzip', body]] as const) {
    const res = await send(payload, encoding)
    t.equal(res.statusCode, 415, encoding)
    t.match(res.json(), { code: 'unsupported_media_type', message: `Content-Encoding "${encoding}" is not supported: send the body uncompressed.` })
    t.equal(res.headers['accept-encoding'], 'identity', 'says which coding it takes')
  }
  for (const encoding of [undefined, 'identity', 'Identity']) {
    t.strictSame((await send(body, encoding)).json().rows, [{ one: 1 }], `${encoding ?? 'no'} Content-Encoding`)
  }
})

t.test('a body declared in a charset other than UTF-8 is refused (415), not read as UTF-8 regardless', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t)
  const sessionId = await selectedSession(app, db)
  const send = (contentType: string) => app.inject({
    method: 'POST',
    url: '/api/query',
    headers: { 'content-type': contentType, 'x-session-id': sessionId },
    payload: Buffer.from('{"query": "SELECT 1 AS one"}')
  })
  for (const [contentType, named] of [['application/json; charset=iso-8859-1', 'iso-8859-1'], ['application/json; charset=UTF-16', 'UTF-16'],
    ['application/json;charset="latin1"', 'latin1'], ['application/json; charset=utf-8; charset=utf-16le', 'utf-16le'], ['application/json; charset=', '']] as const) {
    const res = await send(contentType)
    t.equal(res.statusCode, 415, contentType)
    t.match(res.json(), { code: 'unsupported_media_type', message: `Content-Type charset "${named}" is not supported: JSON is read as UTF-8, so send charset=utf-8 or none.` })
  }
  for (const contentType of ['application/json', 'application/json; charset=utf-8', 'application/json; charset=UTF-8', 'application/json;charset="utf-8"', 'application/json; charset=utf8']) {
    t.strictSame((await send(contentType)).json().rows, [{ one: 1 }], contentType)
  }
})
