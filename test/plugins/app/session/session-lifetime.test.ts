import t from 'tap'
import { build, createDatabase, post, randomSessionId, redisClient } from '../../../helper.js'
import { sessionKeys } from '../../../../plugins/app/session/session-keys.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

t.test('a session used constantly still ends at SESSION_MAX_AGE_SECONDS', async (t) => {
  const app = await build(t, { env: { SESSION_TTL_SECONDS: '2', SESSION_MAX_AGE_SECONDS: '2' } })
  const db = await createDatabase(t)
  const headers = { 'x-session-id': randomSessionId() }
  await post(app, '/api/database/select', { database_name: db }, headers)
  const started = Date.now()
  let alive = true
  while (Date.now() - started < 1500) {
    alive &&= (await app.inject({ url: '/api/database/context', headers })).json().context_available
    await sleep(250)
  }
  t.ok(alive, 'in use before its end')
  await sleep(2200 - (Date.now() - started))
  t.equal((await app.inject({ url: '/api/database/context', headers })).json().context_available, false, 'gone after its absolute lifetime')
  t.equal((await post(app, '/api/query', { query: 'SELECT 1' }, headers)).json().code, 'database_context_missing')
})

t.test('an idle session ends at SESSION_TTL_SECONDS', async (t) => {
  const app = await build(t, { env: { SESSION_TTL_SECONDS: '1' } })
  const db = await createDatabase(t)
  const headers = { 'x-session-id': randomSessionId() }
  await post(app, '/api/database/select', { database_name: db }, headers)
  await sleep(1300)
  t.equal((await app.inject({ url: '/api/database/context', headers })).json().context_available, false)
})

t.test('a select on a session past its lifetime by this instance\'s clock stores the context it answers', async (t) => {
  // Another instance whose clock is behind set the session's keys to outlive its lifetime as this
  // instance counts it: the script ends the session (its keys deleted) and stored nothing, and
  // the select still answered 200, so the next query found no context.
  const app = await build(t, { env: { SESSION_TTL_SECONDS: '600', SESSION_MAX_AGE_SECONDS: '3600' } })
  const db = await createDatabase(t, 'CREATE TABLE t (v INT); INSERT INTO t VALUES (1)')
  const sessionId = randomSessionId()
  const redis = redisClient(t)
  const [born] = sessionKeys(app.config.REDIS_KEY_PREFIX, sessionId)
  await redis.set(born, String(Date.now() - 3_700_000), 'PX', 60_000)

  const selected = await post(app, '/api/database/select', { database_name: db, session_id: sessionId })
  t.equal(selected.statusCode, 200)
  const query = await post(app, '/api/query', { query: 'SELECT v FROM t', session_id: sessionId })
  t.equal(query.statusCode, 200, 'the context the select answered is there')
  t.strictSame(query.json().rows, [{ v: 1 }])
  t.ok(Number(await redis.get(born)) > Date.now() - 60_000, 'as a session begun now')
})
