import t from 'tap'
import { build, createDatabase, post, randomSessionId, selectedSession } from '../helper.js'

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
