import t from 'tap'
import { Redis } from 'ioredis'
import { build, createDatabase, post, randomSessionId, selectedSession, throwawayRedis } from '../../../helper.js'

/**
 * A Redis that evicts keys when full drops sessions' contexts at random: their queries then answer
 * 409 database_context_missing, the seed's bug. Start-up warns about such a Redis.
 */
const WARNING = 'Redis may evict session keys when it is full'

t.test('start-up warns when the session store\'s Redis may evict keys, and only then', async (t) => {
  const server = await throwawayRedis(t)
  const admin = new Redis(server.url)
  t.teardown(() => admin.disconnect())
  const warningsAt = async (maxmemory: string, policy: string): Promise<Array<Record<string, unknown>>> => {
    await admin.config('SET', 'maxmemory', maxmemory)
    await admin.config('SET', 'maxmemory-policy', policy)
    const logs: Array<Record<string, unknown>> = []
    const app = await build(t, { logs, env: { REDIS_URL: server.url } })
    await app.close()
    return logs.filter((line) => String(line.msg).startsWith(WARNING))
  }

  const lru = await warningsAt('100mb', 'allkeys-lru')
  t.equal(lru.length, 1, 'allkeys-lru with a memory limit')
  t.match(lru[0], { level: 40, maxmemory_policy: 'allkeys-lru', maxmemory: 104857600, msg: /409 database_context_missing.*noeviction/ })
  t.equal((await warningsAt('100mb', 'volatile-ttl')).length, 1, 'a volatile-* policy too: every session key has a TTL')
  t.equal((await warningsAt('100mb', 'noeviction')).length, 0, 'noeviction: a full Redis refuses writes (503), it never drops a session')
  t.equal((await warningsAt('0', 'allkeys-lru')).length, 0, 'no memory limit: nothing is evicted')
})

t.test('a Redis that refuses CONFIG (as managed services do) starts the service without a warning', async (t) => {
  const server = await throwawayRedis(t)
  const admin = new Redis(server.url)
  t.teardown(() => admin.disconnect())
  await admin.config('SET', 'maxmemory', '100mb')
  await admin.config('SET', 'maxmemory-policy', 'allkeys-lru')
  await admin.call('ACL', 'SETUSER', 'default', '-config')
  const logs: Array<Record<string, unknown>> = []
  const app = await build(t, { logs, env: { REDIS_URL: server.url } })
  t.equal((await app.inject({ url: '/ready' })).statusCode, 200, 'ready')
  // (The tests' database user is root, which has warnings of its own.)
  t.notOk(logs.some((line) => Number(line.level) >= 40 && /redis/i.test(String(line.msg))), 'nothing about Redis at warn or above')
})

t.test('a full Redis with noeviction answers 503 session_store_unavailable, and nothing of a session is lost', async (t) => {
  const server = await throwawayRedis(t)
  const admin = new Redis(server.url)
  t.teardown(() => admin.disconnect())
  const app = await build(t, { env: { REDIS_URL: server.url } })
  const db = await createDatabase(t)
  const sessionId = await selectedSession(app, db)

  await admin.config('SET', 'maxmemory-policy', 'noeviction')
  // Past its limit: with noeviction, Redis refuses every command that may add to its memory.
  const used = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1])
  await admin.config('SET', 'maxmemory', String(Math.floor(used / 2)))
  await t.rejects(admin.set('one-more', 'x'), /OOM/, 'Redis is full')
  for (const [name, res] of [
    ['a query', await post(app, '/api/query', { query: 'SELECT 1 AS one', session_id: sessionId })],
    ['a select', await post(app, '/api/database/select', { database_name: db, session_id: randomSessionId() })]
  ] as const) {
    t.equal(res.statusCode, 503, `${name}: ${res.body}`)
    t.equal(res.json().code, 'session_store_unavailable', name)
    t.ok(res.headers['retry-after'], `${name}: with Retry-After`)
  }

  await admin.config('SET', 'maxmemory', '0')
  const after = await post(app, '/api/query', { query: 'SELECT 1 AS one', session_id: sessionId })
  t.strictSame(after.json().rows, [{ one: 1 }], 'once Redis has room, the session is there with its database')
})
