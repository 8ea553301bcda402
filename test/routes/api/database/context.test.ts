import t from 'tap'
import type { AddressInfo } from 'node:net'
import { build, createDatabase, post, randomSessionId, redisClient, sidCookie } from '../../../helper.js'
import { sessionKey } from '../../../../plugins/app/session/session-keys.js'

t.test('context: none, then selected, then cleared; the next query gets 409', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t)
  const headers = { 'x-session-id': randomSessionId() }

  const before = await app.inject({ url: '/api/database/context', headers })
  t.strictSame(before.json(), { success: true, session_id: headers['x-session-id'], context_available: false, database_context: null })

  await post(app, '/api/database/select', { database_name: db }, headers)
  const during = await app.inject({ url: '/api/database/context', headers })
  t.equal(during.json().context_available, true)
  t.equal(during.json().database_context.database_name, db)

  const cleared = await app.inject({ method: 'DELETE', url: '/api/database/context', headers })
  t.strictSame(cleared.json(), { success: true, session_id: headers['x-session-id'], cleared: true })
  const again = await app.inject({ method: 'DELETE', url: '/api/database/context', headers })
  t.equal(again.json().cleared, false, 'clearing twice is harmless')

  const query = await post(app, '/api/query', { query: 'SELECT 1' }, headers)
  t.equal(query.statusCode, 409)
  t.equal(query.json().code, 'database_context_missing')
})

t.test('the seed-compatible GET /api/database/context/:session_id', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t)
  const selected = await post(app, '/api/database/select', { database_name: db })
  const sessionId = selected.json().session_id
  const res = await app.inject({ url: `/api/database/context/${sessionId}` })
  t.equal(res.statusCode, 200)
  t.strictSame(res.json(), {
    success: true,
    session_id: sessionId,
    context_available: true,
    database_context: { database_name: db, selected_at: selected.json().selected_at }
  })
  const other = await app.inject({ url: `/api/database/context/${randomSessionId()}`, headers: { cookie: sidCookie(selected) } })
  t.equal(other.json().context_available, false, 'the URL names the session, whatever the cookie says')
})

t.test('the cookie session is cleared by DELETE with the cookie alone', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t)
  const selected = await post(app, '/api/database/select', { database_name: db })
  const cookie = sidCookie(selected)
  const res = await app.inject({ method: 'DELETE', url: '/api/database/context', headers: { cookie } })
  t.equal(res.json().cleared, true)
  t.equal(res.json().session_id, selected.json().session_id)
})

t.test('DELETE takes no body, or one naming the session; anything else in a body is refused, and nothing is cleared', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t)
  const sessionId = randomSessionId()
  await post(app, '/api/database/select', { database_name: db, session_id: sessionId })
  const clear = (payload: string) => app.inject({ method: 'DELETE', url: '/api/database/context', headers: { 'content-type': 'application/json', 'x-session-id': sessionId }, payload })

  const refused: Array<[string, { field: string, message: string }]> = [
    [`{"session_id": "${sessionId}", "database_name": "x"}`, { field: 'body/database_name', message: 'is not a field of this request' }],
    ['[1]', { field: 'body', message: 'must be an object or null' }],
    ['"text"', { field: 'body', message: 'must be an object or null' }]
  ]
  for (const [payload, detail] of refused) {
    const res = await clear(payload)
    t.equal(res.statusCode, 400, payload)
    t.strictSame(res.json().details, [detail])
  }
  const context = await app.inject({ url: '/api/database/context', headers: { 'x-session-id': sessionId } })
  t.equal(context.json().context_available, true, 'the refused requests cleared nothing')

  const named = await clear(`{"session_id": "${sessionId}"}`)
  t.strictSame(named.json(), { success: true, session_id: sessionId, cleared: true }, 'a body naming the session')
})

t.test('a DELETE with a JSON Content-Type and no body clears, as fetch wrappers with default headers send it', async (t) => {
  const app = await build(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const db = await createDatabase(t)
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  for (const [label, body] of [['no body at all', undefined], ['an empty body (Content-Length: 0)', '']] as const) {
    const sessionId = randomSessionId()
    await post(app, '/api/database/select', { database_name: db, session_id: sessionId })
    const res = await fetch(`${base}/api/database/context`, { method: 'DELETE', headers: { 'content-type': 'application/json', 'x-session-id': sessionId }, body })
    t.equal(res.status, 200, label)
    t.strictSame(await res.json(), { success: true, session_id: sessionId, cleared: true }, label)
  }
  const empty = await app.inject({ method: 'POST', url: '/api/database/select', headers: { 'content-type': 'application/json' }, payload: '' })
  t.match(empty.json(), { statusCode: 400, code: 'invalid_json' }, 'a POST still needs its body')
})

t.test('a stored context that does not look right counts as none, however often it is read', async (t) => {
  const prefix = `sqlgate-ctx-${randomSessionId()}:`
  const app = await build(t, { env: { REDIS_KEY_PREFIX: prefix } })
  const redis = redisClient(t)
  const db = await createDatabase(t)
  const headers = { 'x-session-id': randomSessionId() }
  await post(app, '/api/database/select', { database_name: db }, headers)
  const contextKey = sessionKey(prefix, headers['x-session-id'], 'context')
  const good = await redis.get(contextKey)
  for (const stored of ['not json', '{"database_name":""}', '[]', `{"database_name":"${db}"}`, `"${'x'.repeat(600)}"`]) {
    await redis.set(contextKey, stored, 'KEEPTTL')
    for (let i = 0; i < 2; i++) { // the second read finds the first's parse remembered
      const context = await app.inject({ url: '/api/database/context', headers })
      t.equal(context.json().context_available, false, `${stored.slice(0, 24)}: no context (read ${i + 1})`)
    }
    const query = await post(app, '/api/query', { query: 'SELECT 1' }, headers)
    t.equal(query.json().code, 'database_context_missing', `${stored.slice(0, 24)}: the query is told to select a database`)
  }
  await redis.set(contextKey, good!, 'KEEPTTL')
  const restored = await app.inject({ url: '/api/database/context', headers })
  t.equal(restored.json().database_context?.database_name, db, 'the stored context, put back, is read again')
  const query = await post(app, '/api/query', { query: 'SELECT 1 AS one' }, headers)
  t.equal(query.statusCode, 200, query.body)
  restored.json().database_context.database_name = 'changed by a client'
  const again = await app.inject({ url: '/api/database/context', headers })
  t.equal(again.json().database_context?.database_name, db, 'a remembered context is not changed by what was done with an answer')
})
