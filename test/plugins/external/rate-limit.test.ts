import t from 'tap'
import { build, createDatabase, post, randomSessionId, redisClient, testConfig } from '../../helper.js'
import { sessionKey } from '../../../plugins/app/session/session-keys.js'

t.test('RATE_LIMIT_MAX per window per session, counted in Redis across instances', async (t) => {
  const config = testConfig({ RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '60000' })
  const [one, two] = [await build(t, { config }), await build(t, { config })]
  const headers = { 'x-session-id': randomSessionId() }
  const statuses = []
  for (const app of [one, two, one]) statuses.push((await app.inject({ url: '/api/database/context', headers })).statusCode)
  t.strictSame(statuses, [200, 200, 200])
  const limited = await two.inject({ url: '/api/database/context', headers })
  t.equal(limited.statusCode, 429, 'the fourth request, on the other instance, is refused')
  t.equal(limited.json().code, 'rate_limited')
  t.ok(Number(limited.headers['retry-after']) > 0, 'with Retry-After')
  t.ok(limited.json().retry_after_seconds > 0)
  t.equal((await post(one, '/api/query', { query: 'SELECT 1' }, headers)).statusCode, 429, 'for every route of the session')

  const other = await one.inject({ url: '/api/database/context', headers: { 'x-session-id': randomSessionId() } })
  t.equal(other.statusCode, 200, 'another session has its own budget')
  for (let i = 0; i < 5; i++) t.equal((await one.inject({ url: '/health' })).statusCode, 200, 'health checks are not limited')
})

t.test('outside /api the limit is per client address, not one bucket for everyone', async (t) => {
  const app = await build(t, { env: { RATE_LIMIT_MAX: '2' } })
  const statuses = []
  for (let i = 0; i < 3; i++) statuses.push((await app.inject({ url: '/favicon.svg', remoteAddress: '10.0.0.1' })).statusCode)
  t.strictSame(statuses, [200, 200, 429], 'one address is limited')
  t.equal((await app.inject({ url: '/favicon.svg', remoteAddress: '10.0.0.2' })).statusCode, 200, 'another address has its own budget')
  // A client holds a whole IPv6 prefix: counted address by address, it would have 2^64 budgets.
  const v6 = []
  for (const address of ['2001:db8:1:ab00::1', '2001:db8:1:ab00::2', '2001:db8:1:abcd::99']) v6.push((await app.inject({ url: '/favicon.svg', remoteAddress: address })).statusCode)
  t.strictSame(v6, [200, 200, 429], 'IPv6 addresses of one /56 share a budget')
  t.equal((await app.inject({ url: '/favicon.svg', remoteAddress: '2001:db8:1:ac00::1' })).statusCode, 200, 'the next /56 has its own')
  const redis = redisClient(t)
  t.strictSame(await redis.keys(`${app.config.REDIS_KEY_PREFIX}ratelimit:session:undefined*`), [], 'no shared "undefined" bucket')
})

t.test('behind a proxy (TRUST_PROXY as a hop count) the address is the one the proxy saw, whatever the client adds', async (t) => {
  const app = await build(t, { env: { RATE_LIMIT_MAX: '2', TRUST_PROXY: '1' } })
  const statuses = []
  for (const spoofed of ['6.6.6.1', '6.6.6.2', '6.6.6.3']) {
    // The proxy (10.0.0.1) appends the address it saw to whatever X-Forwarded-For the client sent.
    statuses.push((await app.inject({ url: '/favicon.svg', remoteAddress: '10.0.0.1', headers: { 'x-forwarded-for': `${spoofed}, 203.0.113.9` } })).statusCode)
  }
  t.strictSame(statuses, [200, 200, 429], 'one client, one budget')
  const other = await app.inject({ url: '/favicon.svg', remoteAddress: '10.0.0.1', headers: { 'x-forwarded-for': '203.0.113.10' } })
  t.equal(other.statusCode, 200, 'another client behind the same proxy has its own')
})

t.test('one budget per session, whether a route counts in its session script or in the plugin', async (t) => {
  const app = await build(t, { env: { RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW_MS: '60000' } })
  const db = await createDatabase(t)
  const sessionId = randomSessionId()
  const headers = { 'x-session-id': sessionId }
  const answers = [
    await post(app, '/api/database/select', { database_name: db }, headers), // counted by the plugin's hook
    await app.inject({ url: '/api/database/context', headers }), // counted in the session's script
    await post(app, '/api/query', { query: 'SELECT 1' }, headers), // in the script
    await app.inject({ url: '/api/query/history', headers }), // by the plugin
    await app.inject({ url: '/api/database/context', headers }) // in the script
  ]
  t.strictSame(answers.map((res) => res.statusCode), [200, 200, 200, 200, 200])
  t.strictSame(answers.map((res) => [res.headers['x-ratelimit-limit'], res.headers['x-ratelimit-remaining']]),
    [['5', '4'], ['5', '3'], ['5', '2'], ['5', '1'], ['5', '0']], 'the same headers, counting down one budget')
  for (const res of answers) t.ok(Number(res.headers['x-ratelimit-reset']) > 0 && Number(res.headers['x-ratelimit-reset']) <= 60)

  const query = await post(app, '/api/query', { query: 'SELECT 1' }, headers)
  t.equal(query.statusCode, 429, 'the sixth request is refused')
  t.equal(query.json().code, 'rate_limited')
  t.ok(Number(query.headers['retry-after']) > 0, 'with Retry-After')
  t.equal(query.headers['x-ratelimit-remaining'], '0')
  t.equal((await app.inject({ url: '/api/database/context', headers })).statusCode, 429)
  t.equal((await app.inject({ url: '/api/database/list', headers })).statusCode, 429)
  t.equal((await app.inject({ url: `/api/database/context/${sessionId}` })).statusCode, 200, 'reading the session by URL spends the reader\'s budget, not the session\'s')

  const redis = redisClient(t)
  const prefix = app.config.REDIS_KEY_PREFIX
  t.equal(await redis.zcard(sessionKey(prefix, sessionId, 'inflight')), 0, 'a refused query claims no slot')
  const history = await redis.lrange(sessionKey(prefix, sessionId, 'history'), 0, -1)
  t.equal(history.length, 1, 'and is not in the history: only the query that ran is')
})
