import t from 'tap'
import { build, createDatabase, post, randomSessionId, redisClient } from '../../../helper.js'

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
