import t from 'tap'
import { build, createDatabase, post, randomSessionId, sidCookie } from '../../../helper.js'
import { hashSessionId } from '../../../../plugins/app/session/session-id.js'
import { sessionKeys } from '../../../../plugins/app/session/session-keys.js'

t.test('SESSION_STRICT: only issued ids are accepted; an unknown one is replaced, never adopted', async (t) => {
  const logs: Array<Record<string, unknown>> = []
  const app = await build(t, { env: { SESSION_STRICT: 'true' }, logs })
  const db = await createDatabase(t)

  const chosen = randomSessionId()
  const fixation = await post(app, '/api/database/select', { database_name: db, session_id: chosen })
  t.equal(fixation.statusCode, 200)
  const issued = fixation.json().session_id
  t.not(issued, chosen, 'the client\'s own id is not adopted')
  t.match(issued, /^session_\d+_/, 'a newly issued id comes back instead')
  t.ok(fixation.headers['set-cookie'], 'and its cookie')
  const warning = logs.find((line) => String(line.msg).includes('unknown session id replaced'))
  t.equal(warning?.session, hashSessionId(chosen), 'logged, hashed')
  t.notMatch(JSON.stringify(logs), chosen, 'the raw id is not logged')

  const byHeader = await app.inject({ url: '/api/database/context', headers: { 'x-session-id': issued } })
  t.equal(byHeader.json().session_id, issued, 'an issued id is accepted')
  t.equal(byHeader.json().database_context.database_name, db)
  const byCookie = await post(app, '/api/query', { query: 'SELECT 1 AS one' }, { cookie: sidCookie(fixation) })
  t.strictSame(byCookie.json().rows, [{ one: 1 }])

  // The session ends (idle past its TTL; here its keys are removed): its cookie lives on.
  const selected = await post(app, '/api/database/select', { database_name: db })
  const ended = selected.json().session_id
  const endedCookie = sidCookie(selected)
  await app.redis.del(...sessionKeys(app.config.REDIS_KEY_PREFIX, ended))
  const warnings = logs.filter((line) => String(line.msg).includes('unknown session id replaced')).length
  const afresh = await app.inject({ url: '/api/database/context', headers: { cookie: endedCookie } })
  t.not(afresh.json().session_id, ended, 'an ended session\'s cookie gets a new session')
  t.ok(afresh.headers['set-cookie'], 'and its cookie')
  t.equal(logs.filter((line) => String(line.msg).includes('unknown session id replaced')).length, warnings, 'without a warning: a cookie this service signed is no fixation attempt')

  const unknownHeader = await app.inject({ url: '/api/database/context', headers: { 'x-session-id': randomSessionId() } })
  t.not(unknownHeader.json().session_id, issued)
  t.equal(unknownHeader.json().context_available, false)
  t.equal((await app.inject({ url: '/api/database/context', headers: { 'x-session-id': 'bad id' } })).json().code, 'invalid_session_id', 'malformed ids are still 400')
})

t.test('SESSION_STRICT: new sessions count against the client address, so starting sessions does not escape the rate limit', async (t) => {
  const app = await build(t, { env: { SESSION_STRICT: 'true', RATE_LIMIT_MAX: '3' } })
  const fresh = (address: string, headers: Record<string, string> = {}) =>
    app.inject({ url: '/api/database/context', remoteAddress: address, headers })

  const first = await fresh('192.0.2.7')
  const issued = first.json().session_id
  t.equal((await fresh('192.0.2.7', { 'x-session-id': randomSessionId() })).statusCode, 200, 'an unknown id replaced by a new one counts as well')
  t.equal((await fresh('192.0.2.7')).statusCode, 200)
  const over = await fresh('192.0.2.7')
  t.equal(over.statusCode, 429, 'the fourth new session from one address in the window')
  t.match(over.json(), { code: 'rate_limited' })
  t.ok(Number(over.headers['retry-after']) > 0, 'with Retry-After')

  t.equal((await fresh('192.0.2.8')).statusCode, 200, 'another address has its own budget')
  const kept = await fresh('192.0.2.7', { 'x-session-id': issued })
  t.equal(kept.statusCode, 200, 'an issued session goes on, on its own budget')
  t.equal(kept.json().session_id, issued)

  const redis = app.redis
  t.equal(Number(await redis.get(`${app.config.REDIS_KEY_PREFIX}ratelimit:ip:192.0.2.7`)), 4, "counted on the address's key of the rate limit")
  t.equal(await redis.keys(`${app.config.REDIS_KEY_PREFIX}session:*:born`).then((keys) => keys.length), 4, 'the refused one created no session')
})

t.test('SESSION_STRICT over MCP: initialize counts against the client address too', async (t) => {
  const app = await build(t, { env: { SESSION_STRICT: 'true', RATE_LIMIT_MAX: '2' } })
  const initialize = () => app.inject({
    method: 'POST',
    url: '/mcp',
    remoteAddress: '192.0.2.9',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    payload: { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'strict-test', version: '1.0.0' } } }
  })
  t.strictSame([(await initialize()).statusCode, (await initialize()).statusCode], [200, 200])
  const over = await initialize()
  t.equal(over.statusCode, 429)
  t.equal(over.json().code, 'rate_limited')
})

t.test('without SESSION_STRICT the frontend may choose its ids (the seed\'s scenario 1)', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t)
  const chosen = randomSessionId()
  t.equal((await post(app, '/api/database/select', { database_name: db, session_id: chosen })).json().session_id, chosen)
})
