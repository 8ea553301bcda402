import t from 'tap'
import { build, post, randomSessionId, throwawayRedis } from '../../helper.js'

t.test('GET /health answers while the process runs', async (t) => {
  const app = await build(t)
  const res = await app.inject({ url: '/health' })
  t.equal(res.statusCode, 200)
  t.strictSame(res.json(), { status: 'ok' })
})

t.test('GET /ready: 200 when Redis and MySQL answer', async (t) => {
  const app = await build(t)
  const res = await app.inject({ url: '/ready' })
  t.equal(res.statusCode, 200)
  t.strictSame(res.json(), { status: 'ready', checks: { redis: 'ok', mysql: 'ok' } })
})

t.test('GET /ready: 503 naming MySQL when the database does not answer', async (t) => {
  const app = await build(t, { env: { MYSQL_URL: 'mysql://root@127.0.0.1:1' } }) // nothing listens on port 1
  const res = await app.inject({ url: '/ready' })
  t.equal(res.statusCode, 503)
  t.strictSame(res.json(), { status: 'unavailable', checks: { redis: 'ok', mysql: 'unavailable' } })
  t.equal((await app.inject({ url: '/health' })).statusCode, 200, '/health does not depend on it')
})

t.test('Redis goes away and comes back: /ready and session routes follow, without a restart', async (t) => {
  const redis = await throwawayRedis(t)
  const app = await build(t, { env: { REDIS_URL: redis.url } })
  t.equal((await app.inject({ url: '/ready' })).statusCode, 200)

  await redis.stop()
  const started = Date.now()
  const down = await app.inject({ url: '/ready' })
  t.equal(down.statusCode, 503)
  t.strictSame(down.json().checks, { redis: 'unavailable', mysql: 'ok' })
  const session = await app.inject({ url: '/api/database/context', headers: { 'x-session-id': randomSessionId() } })
  t.equal(session.statusCode, 503)
  t.equal(session.json().code, 'session_store_unavailable')
  t.equal(session.headers['retry-after'], '1')
  const query = await post(app, '/api/query', { query: 'SELECT 1', session_id: randomSessionId() })
  t.equal(query.json().code, 'session_store_unavailable')
  t.ok(Date.now() - started < 5000, `answers came fast (${Date.now() - started} ms for three requests)`)
  t.equal((await app.inject({ url: '/health' })).statusCode, 200, '/health stays 200')

  await redis.start()
  let status = 0
  for (let i = 0; i < 60 && status !== 200; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    status = (await app.inject({ url: '/ready' })).statusCode
  }
  t.equal(status, 200, 'ready again once Redis is back')
  const after = await app.inject({ url: '/api/database/context', headers: { 'x-session-id': randomSessionId() } })
  t.equal(after.statusCode, 200, 'session routes work again')
})

t.test('start-up waits for a Redis that is still starting', async (t) => {
  const redis = await throwawayRedis(t)
  await redis.stop()
  setTimeout(() => { redis.start().catch(() => {}) }, 700)
  const app = await build(t, { env: { REDIS_URL: redis.url } })
  t.equal((await app.inject({ url: '/ready' })).statusCode, 200)
})

t.test('start-up with Redis unreachable fails in bounded time, naming REDIS_URL', async (t) => {
  const started = Date.now()
  await t.rejects(build(t, { env: { REDIS_URL: 'redis://127.0.0.1:1' } }), /Redis is not reachable at redis:\/\/127\.0\.0\.1:1.*REDIS_URL/)
  t.ok(Date.now() - started < 8000, `within the start-up wait (${Date.now() - started} ms)`)
})

t.test('a flood of GET /ready shares one check at a time: no pings queue for the pool, and the sessions\' queries keep their places', async (t) => {
  const app = await build(t, { env: { MYSQL_POOL_SIZE: '2' } })
  let most = 0
  const flood = { on: true }
  const watch = (async () => {
    while (flood.on) {
      const { inUse, waiting } = app.mysql.shareStats()
      most = Math.max(most, inUse + waiting)
      await new Promise((resolve) => setImmediate(resolve))
    }
  })()
  const answers = await Promise.all(Array.from({ length: 300 }, () => app.inject({ url: '/ready', remoteAddress: '203.0.113.7' })))
  flood.on = false
  await watch
  t.strictSame([...new Set(answers.map((res) => res.statusCode))], [200], 'every one answers ready')
  t.ok(most <= 1, `at most one ping held or waited for a connection at once (${most})`)
})
