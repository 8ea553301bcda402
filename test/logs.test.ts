import t from 'tap'
import { build, createDatabase, post, randomSessionId, sidCookie } from './helper.js'
import { hashSessionId } from '../plugins/app/session/session-id.js'

t.test('one info line per request; session ids only hashed; no cookies or query text', async (t) => {
  const logs: Array<Record<string, unknown>> = []
  const app = await build(t, { logs })
  const db = await createDatabase(t, 'CREATE TABLE secret_table (v INT)')
  const sessionId = randomSessionId()

  const selected = await post(app, '/api/database/select', { database_name: db, session_id: sessionId })
  const before = logs.length
  await post(app, '/api/query', { query: 'SELECT v FROM secret_table WHERE v = 12345', session_id: sessionId }, { cookie: sidCookie(selected) })
  await app.inject({ url: `/api/database/context/${sessionId}` })
  const requestLines = logs.slice(before)

  t.equal(requestLines.filter((l) => l.level === 30).length, 2, 'one info line for each of the two requests')
  const text = JSON.stringify(logs)
  t.notMatch(text, sessionId, 'the raw session id never appears')
  t.notMatch(text, 'secret_table WHERE', 'the query text does not appear at info')
  t.notMatch(text, 's%3A|sid=', 'no cookie values')
  t.match(text, hashSessionId(sessionId), 'the session appears as its hash')
  const contextLine = requestLines.find((l) => String(l.route).includes('/context'))
  t.equal(contextLine?.route, '/api/database/context/:session_id', 'the route pattern, not the URL that holds the id')

  // A URL that matches no route is the client's: a session id in it appears hashed.
  await app.inject({ url: `/api/database/context/${sessionId}/?token=abc` })
  await app.inject({ url: `/x/${'y'.repeat(5000)}` })
  const unmatched = logs.slice(-2)
  t.equal(unmatched[0]?.route, `/api/database/context/:${hashSessionId(sessionId)}/`)
  t.equal(unmatched[0]?.status, 404)
  t.ok(String(unmatched[1]?.route).length <= 200, 'a long path is cut')
  t.notMatch(JSON.stringify(logs), sessionId, 'nor there')
})

t.test('a 5xx is logged at error with the request id; the client sees no internals', async (t) => {
  const logs: Array<Record<string, unknown>> = []
  const app = await build(t, {
    logs,
    beforeReady: (fastify) => fastify.get('/boom', async () => { throw new Error('secret internal detail') })
  })
  const res = await app.inject({ url: '/boom' })
  t.equal(res.statusCode, 500)
  t.strictSame(res.json(), { statusCode: 500, error: 'Internal Server Error', code: 'internal_error', message: 'Internal server error' })
  const errorLine = logs.find((l) => l.level === 50 && l.msg === 'request failed')
  t.ok(errorLine, 'logged at error')
  t.ok(errorLine?.reqId, 'with the request id')
  t.match(JSON.stringify(errorLine), 'secret internal detail', 'the log keeps the cause')
})
