import t from 'tap'
import { HISTORY_QUERY_MAX_BYTES } from '../../../../plugins/app/session/session-store.js'
import { sessionKey } from '../../../../plugins/app/session/session-keys.js'
import { build, createDatabase, post, redisClient, selectedSession } from '../../../helper.js'

/**
 * A session's history is bounded in bytes: 60 refused 100,000-character statements had made one
 * session's history 555 kB of Redis. Each statement is kept cut to HISTORY_QUERY_MAX_BYTES of its
 * JSON (escapes counted: a control character is six bytes), so no sequence of requests grows it
 * past about (HISTORY_LIMIT + a tenth) entries of that size.
 */
t.test('a session\'s history stays within its byte bound, whatever its statements weigh', async (t) => {
  const app = await build(t, { env: { RATE_LIMIT_MAX: '1000' } })
  const db = await createDatabase(t, 'CREATE TABLE t (a INT)')
  const sessionId = await selectedSession(app, db)
  const long = 'x'.repeat(99_000)
  const controls = '\u0001'.repeat(99_000)
  const statements = [
    `DELETE FROM t /* ${long} */`, // refused
    `SELECT '${controls}' AS v`, // runs: each of its characters is six bytes of JSON
    `SELECT '${'é'.repeat(90_000)}' AS v`
  ]
  for (let i = 0; i < 60; i++) await post(app, '/api/query', { query: statements[i % statements.length], session_id: sessionId })
  await app.inject({ url: '/api/query/history', headers: { 'x-session-id': sessionId } })

  const redis = redisClient(t)
  const entries = await redis.lrange(sessionKey(app.config.REDIS_KEY_PREFIX, sessionId, 'history'), 0, -1)
  const bytes = entries.reduce((sum, entry) => sum + Buffer.byteLength(entry), 0)
  const bound = Math.ceil(app.config.HISTORY_LIMIT * 1.1) * (HISTORY_QUERY_MAX_BYTES + 300)
  t.ok(bytes <= bound, `${entries.length} entries, ${bytes} bytes (bound ${bound})`)
  for (const entry of entries) {
    const { query } = JSON.parse(entry) as { query: string }
    t.ok(Buffer.byteLength(JSON.stringify(query)) <= HISTORY_QUERY_MAX_BYTES, 'each statement cut to its bytes')
  }
  const history = (await app.inject({ url: '/api/query/history', headers: { 'x-session-id': sessionId } })).json().queries as Array<{ query: string, query_truncated?: boolean }>
  t.ok(history[0]!.query.startsWith('DELETE FROM t /* xxx') || history[0]!.query.startsWith('SELECT'), 'the history still shows how each began')
  t.ok(history.every((entry) => entry.query_truncated === true), 'and says that it holds only that')
})

t.test('a statement that fits is kept whole and not marked cut; one a byte longer is marked', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t)
  const sessionId = await selectedSession(app, db)
  // JSON.stringify adds the two quotes: this statement is exactly HISTORY_QUERY_MAX_BYTES of JSON.
  const fits = `SELECT '${'y'.repeat(HISTORY_QUERY_MAX_BYTES - 2 - "SELECT '' AS v".length)}' AS v`
  for (const query of [fits, fits + ' ']) await post(app, '/api/query', { query, session_id: sessionId })
  const history = (await app.inject({ url: '/api/query/history', headers: { 'x-session-id': sessionId } })).json().queries as Array<{ query: string, query_truncated?: boolean }>
  t.equal(history[1]!.query, fits)
  t.equal(history[1]!.query_truncated, undefined, 'the one that fits')
  t.equal(history[0]!.query, fits, 'the longer one cut to the bytes that fit')
  t.equal(history[0]!.query_truncated, true)
})
