import t from 'tap'
import { Redis } from 'ioredis'
import { MAX_CALLS_PER_SCRIPT } from '../../../../plugins/app/session/session-turn.js'
import { sessionKey } from '../../../../plugins/app/session/session-keys.js'
import { build, createDatabase, historyEntry, post, randomSessionId, redisClient, selectedSession, throwawayRedis } from '../../../helper.js'
import { sessionRateKey } from '../../../../plugins/app/session/rate-keys.js'

t.test('every key of a session holds its id, starts with the prefix and has the TTL', async (t) => {
  const prefix = `sqlgate-ttl-${randomSessionId()}:`
  const app = await build(t, { env: { REDIS_KEY_PREFIX: prefix, SESSION_TTL_SECONDS: '120' } })
  const redis = redisClient(t)
  const db = await createDatabase(t, 'CREATE TABLE t (v INT)')
  const sessionId = await selectedSession(app, db)
  await post(app, '/api/query', { query: 'SELECT v FROM t', session_id: sessionId })
  // The answer does not wait for the history write; a read through the app comes after it.
  await app.inject({ url: '/api/query/history', headers: { 'x-session-id': sessionId } })

  const keys = await redis.keys(`${prefix}*`)
  const sessionKeys = keys.filter((key) => key.startsWith(`${prefix}session:`))
  t.ok(sessionKeys.length >= 3, `the session wrote its keys (${sessionKeys.join(', ')})`)
  t.notOk(sessionKeys.some((key) => key.endsWith(':inflight')), 'no query slot is held once the query has ended')
  for (const key of sessionKeys) {
    t.ok(key.includes(`{${sessionId}}`), `${key} holds the session id in a hash tag`)
    const ttl = await redis.ttl(key)
    t.ok(ttl > 100 && ttl <= 120, `${key} has the session TTL (${ttl})`)
  }
  for (const key of keys) {
    t.ok(await redis.ttl(key) > 0, `${key} expires`)
  }
  // The rate limit's count lives in the session's hash tag too, so the session's scripts can count
  // a request in the same round trip (and the same Cluster slot); it expires with its window.
  t.strictSame(keys.filter((key) => !sessionKeys.includes(key)).sort(), [`${prefix}ratelimit:addr:127.0.0.1`, sessionRateKey(prefix, sessionId)],
    'the only other keys are the rate counts: the session\'s and its client address\'s')
})

t.test('a prefix of multi-byte characters: every script call is framed by its bytes, not its characters', async (t) => {
  // The session scripts' wire form is built by the session store (lengths in bytes), not by ioredis.
  const prefix = `sqlgate-ключ-é-${randomSessionId()}:`
  const app = await build(t, { env: { REDIS_KEY_PREFIX: prefix } })
  const redis = redisClient(t)
  const db = await createDatabase(t, 'CREATE TABLE t (v INT)')
  const sessionId = await selectedSession(app, db)
  const context = await app.inject({ url: '/api/database/context', headers: { 'x-session-id': sessionId } })
  t.equal(context.json().database_context?.database_name, db, 'the context set under the prefix is read back')
  const query = await post(app, '/api/query', { query: 'SELECT v FROM t', session_id: sessionId })
  t.equal(query.statusCode, 200, query.body)
  const history = await app.inject({ url: '/api/query/history', headers: { 'x-session-id': sessionId } })
  t.equal(history.json().queries.length, 1, "the query's end was recorded")
  t.strictSame((await redis.keys(`${prefix}*`)).sort(), [
    `${prefix}ratelimit:addr:127.0.0.1`,
    sessionRateKey(prefix, sessionId),
    sessionKey(prefix, sessionId, 'born'),
    sessionKey(prefix, sessionId, 'context'),
    sessionKey(prefix, sessionId, 'history')
  ], 'the keys are exactly the prefix and the session')
})

t.test('using a session refreshes its TTL', async (t) => {
  const prefix = `sqlgate-ttl-${randomSessionId()}:`
  const app = await build(t, { env: { REDIS_KEY_PREFIX: prefix, SESSION_TTL_SECONDS: '300' } })
  const redis = redisClient(t)
  const db = await createDatabase(t)
  const sessionId = await selectedSession(app, db)
  await post(app, '/api/query', { query: 'SELECT 1', session_id: sessionId })
  await app.inject({ url: '/api/query/history', headers: { 'x-session-id': sessionId } })
  const keys = (['born', 'context', 'history'] as const).map((name) => sessionKey(prefix, sessionId, name))
  /** As if the session had been idle until `ms` of its TTL were left. */
  const idle = (ms: number) => Promise.all(keys.map((key) => redis.pexpire(key, ms)))
  const ttls = () => Promise.all(keys.map((key) => redis.pttl(key)))

  await idle(5000)
  await app.inject({ url: '/api/database/context', headers: { 'x-session-id': sessionId } })
  for (const [i, ttl] of (await ttls()).entries()) t.ok(ttl > 299_000, `reading the context refreshed ${keys[i]} (${ttl} ms)`)
  await idle(5000)
  await post(app, '/api/query', { query: 'SELECT 1', session_id: sessionId })
  for (const [i, ttl] of (await ttls()).entries()) t.ok(ttl > 299_000, `a query refreshed ${keys[i]} (${ttl} ms)`)

  // Refreshed less than 1 % of the TTL (3 s) ago: a use leaves the keys alone (no writes).
  await idle(298_500)
  await app.inject({ url: '/api/database/context', headers: { 'x-session-id': sessionId } })
  for (const [i, ttl] of (await ttls()).entries()) t.ok(ttl <= 298_500 && ttl > 297_000, `a use just after a refresh left ${keys[i]} as it was (${ttl} ms)`)
  // More than that: refreshed again.
  await idle(296_000)
  await app.inject({ url: '/api/database/context', headers: { 'x-session-id': sessionId } })
  for (const [i, ttl] of (await ttls()).entries()) t.ok(ttl > 299_000, `a use 4 s after the refresh refreshed ${keys[i]} (${ttl} ms)`)
})

/**
 * A Redis of the test's own, watched by MONITOR: on the shared one, other test files' commands
 * (run at the same time) would be seen too, and ioredis's monitor mode fails on some of their lines.
 */
async function watchedRedis (t: Parameters<typeof throwawayRedis>[0]) {
  const throwaway = await throwawayRedis(t)
  const redis = new Redis(throwaway.url)
  t.teardown(() => redis.disconnect())
  return { url: throwaway.url, redis }
}

t.test('no KEYS or SCAN on any request path', async (t) => {
  const prefix = `sqlgate-scan-${randomSessionId()}:`
  const { url, redis } = await watchedRedis(t)
  const app = await build(t, { env: { REDIS_URL: url, REDIS_KEY_PREFIX: prefix } })
  const db = await createDatabase(t, 'CREATE TABLE t (v INT)')
  const monitor = await redis.monitor()
  const commands: string[] = []
  monitor.on('monitor', (_time: string, args: string[]) => { if (args.some((arg) => String(arg).includes(prefix))) commands.push(String(args[0]).toLowerCase()) })
  t.teardown(() => monitor.disconnect())

  const headers = { 'x-session-id': randomSessionId() }
  await post(app, '/api/database/select', { database_name: db }, headers)
  await post(app, '/api/query', { query: 'SELECT v FROM t' }, headers)
  await app.inject({ url: '/api/database/context', headers })
  await app.inject({ url: '/api/database/schema', headers })
  await app.inject({ method: 'DELETE', url: '/api/database/context', headers })
  await new Promise((resolve) => setTimeout(resolve, 100))

  t.ok(commands.length > 0, `the monitor saw the requests' commands (${commands.join(' ')})`)
  t.notOk(commands.some((c) => c === 'keys' || c.endsWith('scan')), 'no KEYS, SCAN, HSCAN, SSCAN or ZSCAN')
})

t.test('queries that end in the same turn are ended by one script call (the turn script); a session still sees its own end first', async (t) => {
  const prefix = `sqlgate-ends-${randomSessionId()}:`
  const { url, redis } = await watchedRedis(t)
  const app = await build(t, { env: { REDIS_URL: url, REDIS_KEY_PREFIX: prefix } })
  const db = await createDatabase(t)
  const sessions = await Promise.all([0, 1, 2, 3].map(() => selectedSession(app, db)))
  const store = app.sessionStore
  await Promise.all(sessions.map((sessionId, i) => store.beginQuery(sessionId, `query-${i}`, 60_000)))
  const inflight = (sessionId: string) => sessionKey(prefix, sessionId, 'inflight')
  for (const sessionId of sessions) t.equal(await redis.zcard(inflight(sessionId)), 1, 'the query holds a slot')

  const monitor = await redis.monitor()
  const scripts: string[][] = []
  monitor.on('monitor', (_time: string, args: string[]) => {
    if (/^eval/i.test(String(args[0])) && args.some((arg) => arg.startsWith(prefix))) scripts.push(args)
  })
  t.teardown(() => monitor.disconnect())

  // All four end in this turn; the read of the first session's history, in the same turn, must
  // reach Redis after that session's end.
  const ends = sessions.map((sessionId, i) => store.endQuery(sessionId, `query-${i}`, historyEntry(`query-${i}`, `SELECT ${i}`)))
  const firstHistory = store.history(sessions[0]!)
  await Promise.all(ends)
  t.strictSame((await firstHistory).map((e) => e.query_id), ['query-0'], "a session's read came after its own end")
  for (const [i, sessionId] of sessions.entries()) {
    t.equal(await redis.zcard(inflight(sessionId)), 0, `query ${i} released its slot`)
    t.strictSame((await store.history(sessionId)).map((e) => e.query), [`SELECT ${i}`], `query ${i} is in its session's history`)
  }
  await new Promise((resolve) => setTimeout(resolve, 100))
  // The end script is the one that names no context key (the others name all five of a session).
  const endCalls = scripts.filter((args) => !args.some((arg) => arg.endsWith(':context')))
  t.equal(endCalls.length, 1, 'one script call ended the four queries')
  t.equal(endCalls[0]?.filter((arg) => arg.endsWith(':inflight')).length, 4, 'its keys name the four sessions')
})

t.test('a turn that makes more calls than one script call takes sends them in several', async (t) => {
  const prefix = `sqlgate-ends-${randomSessionId()}:`
  const { url, redis } = await watchedRedis(t)
  const app = await build(t, { env: { REDIS_URL: url, REDIS_KEY_PREFIX: prefix, HISTORY_LIMIT: '100' } })
  const db = await createDatabase(t)
  const sessionId = await selectedSession(app, db)
  const monitor = await redis.monitor()
  const calls: string[][] = []
  monitor.on('monitor', (_time: string, args: string[]) => {
    if (/^eval/i.test(String(args[0])) && args.some((arg) => arg.startsWith(prefix) && arg.endsWith(':inflight')) && !args.some((arg) => arg.endsWith(':context'))) calls.push(args)
  })
  t.teardown(() => monitor.disconnect())

  const count = MAX_CALLS_PER_SCRIPT + 6
  const ends = Array.from({ length: count }, (_, i) => app.sessionStore.endQuery(sessionId, null, historyEntry(`query-${i}`, `SELECT ${i}`)))
  await Promise.all(ends)
  const history = await app.sessionStore.history(sessionId)
  t.equal(history.length, count, 'every query is in the history')
  t.equal(history[0]?.query_id, `query-${count - 1}`, 'newest first')
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.strictSame(calls.map((args) => args.filter((arg) => arg.endsWith(':inflight')).length), [MAX_CALLS_PER_SCRIPT, 6], `${MAX_CALLS_PER_SCRIPT} queries per call at most`)
})

t.test('a Redis without the scripts (new server, failover, SCRIPT FLUSH) gets them in full, and nothing fails', async (t) => {
  const throwaway = await throwawayRedis(t)
  const app = await build(t, { env: { REDIS_URL: throwaway.url } })
  const db = await createDatabase(t)
  const sessionId = await selectedSession(app, db)
  const redis = new Redis(throwaway.url)
  t.teardown(() => redis.disconnect())
  await redis.script('FLUSH')
  const monitor = await redis.monitor()
  const sent: string[] = []
  const sentArgs: string[][] = []
  monitor.on('monitor', (_time: string, args: string[]) => {
    // The session's scripts (five keys, and the client address's count on the hot routes), not
    // the client address's count alone (one).
    if (!/^eval/i.test(String(args[0])) || Number(args[2]) < 5) return
    sent.push(String(args[0]).toLowerCase())
    sentArgs.push(args.map(String))
  })
  t.teardown(() => monitor.disconnect())

  const context = await app.inject({ url: '/api/database/context', headers: { 'x-session-id': sessionId } })
  t.equal(context.statusCode, 200)
  t.equal(context.json().database_context?.database_name, db, 'the context is read after the flush')
  const query = await post(app, '/api/query', { query: 'SELECT 1 AS one', session_id: sessionId })
  t.equal(query.statusCode, 200, query.body)
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.ok(sent.includes('eval'), 'the script itself is sent to a Redis that does not have it (ioredis defineCommand)')
  const [first] = sentArgs as [string[]]
  t.equal(first[2], '6', 'six keys')
  t.ok(first.slice(3, 8).every((key) => key.includes(`{${sessionId}}`)), "the session's keys, in its hash tag")
  t.equal(first[8], `${app.config.REDIS_KEY_PREFIX}ratelimit:addr:127.0.0.1`, "and the client address's count")
})

t.test("each instance's settings are its scripts' own: two rate limits on one Redis do not mix", async (t) => {
  const prefix = `sqlgate-limits-${randomSessionId()}:`
  const strict = await build(t, { env: { REDIS_KEY_PREFIX: prefix, RATE_LIMIT_MAX: '2' } })
  const lenient = await build(t, { env: { REDIS_KEY_PREFIX: prefix, RATE_LIMIT_MAX: '1000' } })
  const db = await createDatabase(t)
  const sessionId = await selectedSession(lenient, db)
  const statuses = async (app: typeof strict) => (await app.inject({ url: '/api/database/context', headers: { 'x-session-id': sessionId } })).statusCode
  t.strictSame([await statuses(lenient), await statuses(lenient), await statuses(lenient)], [200, 200, 200], 'three requests under the lenient limit')
  t.equal(await statuses(strict), 429, 'the fourth, on the instance allowing two per window, is refused')
  t.equal(await statuses(lenient), 200, 'the lenient instance still answers')
})
