import t from 'tap'
import { build, createDatabase, post, randomSessionId, redisClient, selectedSession } from '../../../helper.js'
import { sessionKey } from '../../../../plugins/app/session/session-keys.js'

t.test('at most SESSION_MAX_CONCURRENT_QUERIES queries of one session in flight', async (t) => {
  const app = await build(t, { env: { SESSION_MAX_CONCURRENT_QUERIES: '2' } })
  const db = await createDatabase(t)
  const [greedy, other] = [randomSessionId(), randomSessionId()]
  await post(app, '/api/database/select', { database_name: db, session_id: greedy })
  await post(app, '/api/database/select', { database_name: db, session_id: other })

  const slow = () => post(app, '/api/query', { query: 'SELECT SLEEP(0.5) AS s', session_id: greedy })
  const running = [slow(), slow()]
  await new Promise((resolve) => setTimeout(resolve, 150))
  const third = await slow()
  t.equal(third.statusCode, 429)
  t.equal(third.json().code, 'too_many_concurrent_queries')
  t.equal(third.headers['retry-after'], '1')
  const neighbour = await post(app, '/api/query', { query: 'SELECT 1 AS one', session_id: other })
  t.equal(neighbour.statusCode, 200, 'another session is not held back')

  t.strictSame((await Promise.all(running)).map((res) => res.statusCode), [200, 200])
  t.equal((await slow()).statusCode, 200, 'slots come back when queries end')
  const history = await app.inject({ url: '/api/query/history', headers: { 'x-session-id': greedy } })
  t.ok(history.json().queries.some((q: { error_code: string }) => q.error_code === 'too_many_concurrent_queries'), 'the refusal is in the history')
})

t.test('a failed query gives its slot back too', async (t) => {
  const app = await build(t, { env: { SESSION_MAX_CONCURRENT_QUERIES: '1' } })
  const db = await createDatabase(t)
  const sessionId = await selectedSession(app, db)
  for (const query of ['SELECT * FROM missing', 'DELETE FROM x', 'SELECT SLEEP(2)']) {
    await post(app, '/api/query', { query, session_id: sessionId, timeout_ms: 100 })
  }
  t.equal((await post(app, '/api/query', { query: 'SELECT 1', session_id: sessionId })).statusCode, 200)
})

t.test('a claim whose holder died lapses; the slot set expires with its last claim', async (t) => {
  const prefix = `sqlgate-slots-${randomSessionId()}:`
  const app = await build(t, { env: { SESSION_MAX_CONCURRENT_QUERIES: '2', REDIS_KEY_PREFIX: prefix } })
  const redis = redisClient(t)
  const db = await createDatabase(t)
  const sessionId = await selectedSession(app, db)
  const slots = sessionKey(prefix, sessionId, 'inflight')
  // A query's end (slot release, history) is written after its answer; a later request of the
  // session on this instance is behind it on the Redis connection.
  const ended = () => app.inject({ url: '/api/query/history', headers: { 'x-session-id': sessionId } })

  // Two claims of instances that died mid-query: one lapsed a second ago, one still valid for a minute.
  await redis.zadd(slots, Date.now() - 1000, 'dead-lapsed', Date.now() + 60_000, 'dead-valid')
  await redis.pexpire(slots, 60_000)
  const res = await post(app, '/api/query', { query: 'SELECT 1 AS one', session_id: sessionId })
  t.equal(res.statusCode, 200, 'the lapsed claim no longer holds a slot')
  await ended()
  t.strictSame(await redis.zrange(slots, '0', '-1'), ['dead-valid'], 'it was dropped; the valid one stays')

  t.equal((await post(app, '/api/query', { query: 'SELECT 1', session_id: sessionId })).statusCode, 200, 'one slot is free')
  await ended()
  await redis.zadd(slots, Date.now() + 60_000, 'dead-valid-2')
  const full = await post(app, '/api/query', { query: 'SELECT 1', session_id: sessionId })
  t.equal(full.json().code, 'too_many_concurrent_queries', 'two valid claims fill the two slots')

  // A running query's claim outlives its timeout (plus a margin); the set lives as long as its last claim.
  await redis.del(slots)
  const running = post(app, '/api/query', { query: 'SELECT SLEEP(0.4)', session_id: sessionId, timeout_ms: 20_000 })
  await new Promise((resolve) => setTimeout(resolve, 150))
  const later = post(app, '/api/query', { query: 'SELECT SLEEP(0.2)', session_id: sessionId, timeout_ms: 2000 })
  await new Promise((resolve) => setTimeout(resolve, 100))
  const ttl = await redis.pttl(slots)
  t.ok(ttl > 20_000 && ttl <= 25_000, `the set expires with the longest claim, not the latest (${ttl} ms)`)
  t.strictSame((await Promise.all([running, later])).map((r) => r.statusCode), [200, 200])
  await ended()
  t.equal(await redis.exists(slots), 0, 'no set is left once the queries have ended')
})
