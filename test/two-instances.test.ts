import t from 'tap'
import { build, createDatabase, post, sidCookie, testConfig } from './helper.js'

t.test('two instances sharing Redis and COOKIE_SECRET serve the same sessions', async (t) => {
  const config = testConfig()
  const [one, two] = [await build(t, { config }), await build(t, { config })]
  const db = await createDatabase(t, 'CREATE TABLE t (v INT); INSERT INTO t VALUES (1)')

  const selected = await post(one, '/api/database/select', { database_name: db })
  const sessionId = selected.json().session_id

  const byBody = await post(two, '/api/query', { query: 'SELECT v FROM t', session_id: sessionId })
  t.strictSame(byBody.json().rows, [{ v: 1 }], 'by body on the other instance')
  const byHeader = await two.inject({ url: '/api/database/context', headers: { 'x-session-id': sessionId } })
  t.equal(byHeader.json().database_context.database_name, db, 'by header on the other instance')
  const byCookie = await post(two, '/api/query', { query: 'SELECT v FROM t' }, { cookie: sidCookie(selected) })
  t.equal(byCookie.json().session_id, sessionId, 'by cookie on the other instance')
  t.strictSame(byCookie.json().rows, [{ v: 1 }])

  await two.inject({ method: 'DELETE', url: '/api/database/context', headers: { 'x-session-id': sessionId } })
  const afterClear = await post(one, '/api/query', { query: 'SELECT 1', session_id: sessionId })
  t.equal(afterClear.statusCode, 409, 'a clear on one instance is seen by the other')
})
