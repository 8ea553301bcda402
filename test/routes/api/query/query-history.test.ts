import t from 'tap'
import { build, createDatabase, post, randomSessionId, redisClient, selectedSession } from '../../../helper.js'
import { sessionKey } from '../../../../plugins/app/session/session-keys.js'

t.test('history: every query of the session, newest first, capped, errors included', async (t) => {
  const app = await build(t, { env: { HISTORY_LIMIT: '3' } })
  const db = await createDatabase(t, 'CREATE TABLE t (v INT); INSERT INTO t VALUES (1), (2)')
  const [mine, other] = [randomSessionId(), randomSessionId()]
  await post(app, '/api/database/select', { database_name: db, session_id: mine })
  await post(app, '/api/database/select', { database_name: db, session_id: other })
  const run = (query: string, sessionId = mine) => post(app, '/api/query', { query, session_id: sessionId })

  const first = await run('SELECT v FROM t')
  await run('SELECT 1 FROM other_session_table', other)
  await run('SELECT * FROM missing')
  await run('DELETE FROM t')
  const last = await run('SELECT v FROM t WHERE v = 2')

  const res = await app.inject({ url: '/api/query/history', headers: { 'x-session-id': mine } })
  t.equal(res.statusCode, 200)
  const { queries, session_id: sessionId } = res.json()
  t.equal(sessionId, mine)
  t.equal(queries.length, 3, 'capped at HISTORY_LIMIT')
  t.strictSame(queries.map((q: { query: string }) => q.query), ['SELECT v FROM t WHERE v = 2', 'DELETE FROM t', 'SELECT * FROM missing'], 'newest first, only this session')
  t.match(queries[0], { query_id: last.json().query_id, status: 'ok', error_code: null, row_count: 1 })
  t.match(queries[1], { status: 'error', error_code: 'read_only_violation', row_count: 0 })
  t.match(queries[2], { status: 'error', error_code: 'sql_error' })
  t.ok(queries[0].execution_time_ms >= 0)
  t.ok(Date.parse(queries[0].executed_at) >= Date.parse(queries[1].executed_at))
  t.notOk(queries.some((q: { query_id: string }) => q.query_id === first.json().query_id), 'the oldest fell off')

  const theirs = await app.inject({ url: '/api/query/history', headers: { 'x-session-id': other } })
  t.strictSame(theirs.json().queries.map((q: { query: string }) => q.query), ['SELECT 1 FROM other_session_table'])
})

t.test('history?limit=: only the newest entries; a limit that is no count, or a field it does not take, is refused', async (t) => {
  const app = await build(t, { env: { HISTORY_LIMIT: '4' } })
  const sessionId = await selectedSession(app, await createDatabase(t))
  for (const n of [1, 2, 3, 4, 5]) await post(app, '/api/query', { query: `SELECT ${n} AS n`, session_id: sessionId })
  const history = async (query: string) => await app.inject({ url: `/api/query/history${query}`, headers: { 'x-session-id': sessionId } })
  const queries = async (query: string) => (await history(query)).json().queries.map((entry: { query: string }) => entry.query)
  t.strictSame(await queries('?limit=2'), ['SELECT 5 AS n', 'SELECT 4 AS n'], 'the newest two')
  t.strictSame(await queries('?limit=1'), ['SELECT 5 AS n'])
  t.strictSame(await queries('?limit=1000'), ['SELECT 5 AS n', 'SELECT 4 AS n', 'SELECT 3 AS n', 'SELECT 2 AS n'], 'past HISTORY_LIMIT: every entry kept')
  t.equal((await queries('')).length, 4, 'without it, every entry kept')
  for (const query of ['?limit=0', '?limit=-1', '?limit=1001', '?limit=2.5', '?limit=abc', '?limit=', '?limit=02', '?limt=2', '?limit=2&limit=3']) {
    const res = await history(query)
    t.strictSame([res.statusCode, res.json().code], [400, 'validation_error'], query)
  }
  t.match((await history('?limt=2')).json().message, 'limt', 'the field it does not take is named')
})

t.test('a new session has an empty history', async (t) => {
  const app = await build(t)
  const res = await app.inject({ url: '/api/query/history', headers: { 'x-session-id': randomSessionId() } })
  t.strictSame(res.json().queries, [])
})

t.test('history in Redis stays within a tenth of HISTORY_LIMIT past it, however many queries run', async (t) => {
  const prefix = `sqlgate-hist-${randomSessionId()}:`
  const app = await build(t, { env: { HISTORY_LIMIT: '20', REDIS_KEY_PREFIX: prefix } })
  const db = await createDatabase(t)
  const sessionId = randomSessionId()
  await post(app, '/api/database/select', { database_name: db, session_id: sessionId })
  const redis = redisClient(t)
  const key = sessionKey(prefix, sessionId, 'history')
  let longest = 0
  for (let i = 0; i < 60; i++) {
    await post(app, '/api/query', { query: `SELECT ${i} AS n`, session_id: sessionId })
    await app.inject({ url: '/api/query/history', headers: { 'x-session-id': sessionId } }) // after the end reached Redis
    longest = Math.max(longest, await redis.llen(key))
  }
  t.ok(longest > 20 && longest <= 22, `the list was cut back to 20 once past 22 (longest seen: ${longest})`)
  const { queries } = (await app.inject({ url: '/api/query/history', headers: { 'x-session-id': sessionId } })).json()
  t.strictSame(queries.map((q: { query: string }) => q.query), Array.from({ length: 20 }, (_, i) => `SELECT ${59 - i} AS n`), 'the answer is the newest 20, newest first')
  t.ok(await redis.pttl(key) > 0, 'the history expires with the session')
})
