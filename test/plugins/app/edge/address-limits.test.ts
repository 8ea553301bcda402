import t from 'tap'
import { build, createDatabase, post, randomSessionId, redisClient, selectedSession } from '../../../helper.js'
import { addressRateKey, sessionRateKey } from '../../../../plugins/app/session/rate-keys.js'

/** The distinct sessions the service holds any key of under its prefix. */
async function sessionsInRedis (t: Parameters<typeof redisClient>[0], prefix: string): Promise<Set<string>> {
  const redis = redisClient(t)
  const sessions = new Set<string>()
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    cursor = next
    for (const key of keys) {
      const id = /\{([^}]+)\}/.exec(key)?.[1]
      if (id !== undefined) sessions.add(id)
    }
  } while (cursor !== '0')
  return sessions
}

t.test('1,000 session-less selects from one address are limited, and leave at most the address\'s budget of sessions', async (t) => {
  const app = await build(t) // the defaults: RATE_LIMIT_MAX=300
  const db = await createDatabase(t)
  const codes = new Map<number, number>()
  for (let i = 0; i < 1000; i++) {
    const res = await post(app, '/api/database/select', { database_name: db })
    codes.set(res.statusCode, (codes.get(res.statusCode) ?? 0) + 1)
  }
  t.equal(codes.get(200), 300, '300 sessions started')
  t.equal(codes.get(429), 700, 'the other 700 were refused')
  const sessions = await sessionsInRedis(t, app.config.REDIS_KEY_PREFIX)
  t.ok(sessions.size <= 300, `${sessions.size} sessions in Redis`)
})

t.test('session-less reads count against the address too: 30 GET /api/database/list at RATE_LIMIT_MAX=20', async (t) => {
  const app = await build(t, { env: { RATE_LIMIT_MAX: '20' } })
  const codes: number[] = []
  for (let i = 0; i < 30; i++) codes.push((await app.inject({ url: '/api/database/list' })).statusCode)
  t.strictSame(codes, [...new Array(20).fill(200), ...new Array(10).fill(429)])
})

t.test('every /api request counts against its address (RATE_LIMIT_ADDRESS_MAX), whatever session it names', async (t) => {
  const app = await build(t, { env: { RATE_LIMIT_ADDRESS_MAX: '10' } })
  const codes: number[] = []
  for (let i = 0; i < 12; i++) codes.push((await app.inject({ url: '/api/database/context', headers: { 'x-session-id': randomSessionId() } })).statusCode)
  t.strictSame(codes, [...new Array(10).fill(200), 429, 429])
  const other = await app.inject({ url: '/api/database/context', headers: { 'x-session-id': randomSessionId() }, remoteAddress: '192.0.2.7' })
  t.equal(other.statusCode, 200, 'another address has its own budget')
  t.equal((await app.inject({ url: '/health' })).statusCode, 200, 'health checks do not count')
})

t.test('a query over its address\'s budget spends nothing of its session: no count, no slot, no history', async (t) => {
  const app = await build(t, { env: { RATE_LIMIT_ADDRESS_MAX: '4' } })
  const db = await createDatabase(t)
  const sessionId = await selectedSession(app, db) // the address's first request
  const codes: number[] = []
  for (let i = 0; i < 5; i++) codes.push((await post(app, '/api/query', { query: 'SELECT 1 AS one', session_id: sessionId })).statusCode)
  t.strictSame(codes, [200, 200, 200, 429, 429])
  const refused = await post(app, '/api/query', { query: 'SELECT 1 AS one', session_id: sessionId })
  t.equal(refused.json().code, 'rate_limited')
  t.match(refused.json().message, /^Rate limit exceeded: 4 requests per 60 s/, 'the address\'s limit')
  const redis = redisClient(t)
  t.equal(await redis.get(sessionRateKey(app.config.REDIS_KEY_PREFIX, sessionId)), '4', 'the session counted its select and the three queries served, not the refused ones')
  const history = await app.inject({ url: '/api/query/history', headers: { 'x-session-id': sessionId }, remoteAddress: '192.0.2.8' })
  t.equal(history.json().queries.length, 3, 'and its history holds those three')
})

t.test('a request answered before its session script runs still counts against its address', async (t) => {
  const app = await build(t, { env: { RATE_LIMIT_ADDRESS_MAX: '3' } })
  const invalid: number[] = []
  for (let i = 0; i < 3; i++) invalid.push((await post(app, '/api/query', { query: 7 }, { 'x-session-id': randomSessionId() })).statusCode)
  t.strictSame(invalid, [400, 400, 400], 'three invalid bodies')
  // Their counts leave with a later turn's commands, after their answers.
  const redis = redisClient(t)
  const key = addressRateKey(app.config.REDIS_KEY_PREFIX, '127.0.0.1', 'requests')
  for (let waited = 0; waited < 1000 && await redis.get(key) !== '3'; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10))
  t.equal(await redis.get(key), '3', 'counted')
  const res = await app.inject({ url: '/api/database/context', headers: { 'x-session-id': randomSessionId() } })
  t.equal(res.statusCode, 429, 'the next request is over the budget')
})

t.test('reading sessions by URL is limited per reader, spends no session\'s budget and creates no key', async (t) => {
  for (const strict of ['false', 'true']) {
    const app = await build(t, { env: { RATE_LIMIT_MAX: '5', SESSION_STRICT: strict } })
    const prefix = app.config.REDIS_KEY_PREFIX
    const before = await sessionsInRedis(t, prefix)
    const codes: number[] = []
    for (let i = 0; i < 200; i++) codes.push((await app.inject({ url: `/api/database/context/${randomSessionId()}` })).statusCode)
    const answered = strict === 'true' ? 404 : 200
    t.strictSame(codes.slice(0, 5), new Array(5).fill(answered), `SESSION_STRICT=${strict}: made-up ids answer ${answered}`)
    t.ok(codes.slice(5).every((code) => code === 429), 'then 429 for the rest')
    t.strictSame(await sessionsInRedis(t, prefix), before, 'no key for any of the ids')
  }
})

t.test('SESSION_STRICT=true: a session read by URL answers only for ids this service issued', async (t) => {
  const app = await build(t, { env: { SESSION_STRICT: 'true' } })
  const db = await createDatabase(t)
  const selected = await post(app, '/api/database/select', { database_name: db })
  const issued = selected.json().session_id as string
  const res = await app.inject({ url: `/api/database/context/${issued}` })
  t.equal(res.statusCode, 200)
  t.equal(res.json().database_context.database_name, db)
  const unknown = await app.inject({ url: `/api/database/context/${randomSessionId()}` })
  t.equal(unknown.statusCode, 404)
  t.equal(unknown.json().code, 'session_not_found')
})

t.test('MCP initialize starts a session: it counts against the address in every mode', async (t) => {
  const app = await build(t, { env: { RATE_LIMIT_MAX: '3' } })
  const initialize = { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 't', version: '1' } } }
  const codes: number[] = []
  for (let i = 0; i < 5; i++) {
    codes.push((await app.inject({ method: 'POST', url: '/mcp', payload: initialize, headers: { accept: 'application/json, text/event-stream' } })).statusCode)
  }
  t.strictSame(codes, [200, 200, 200, 429, 429])
})
