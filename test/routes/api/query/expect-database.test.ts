import t from 'tap'
import { build, createDatabase, post, selectedSession } from '../../../helper.js'

t.test('expect_database: a request for another database than the session\'s answers 409 with both names, and nothing runs', async (t) => {
  const app = await build(t, { env: { READ_ONLY: 'false' } })
  const shop = await createDatabase(t, 'CREATE TABLE orders (id INT); INSERT INTO orders VALUES (1), (2), (3)')
  const hr = await createDatabase(t, 'CREATE TABLE orders (id INT); INSERT INTO orders VALUES (1)')
  const sessionId = await selectedSession(app, shop)
  const run = (body: Record<string, unknown>, url = '/api/query') => post(app, url, { session_id: sessionId, ...body })

  const same = await run({ query: 'SELECT COUNT(*) AS n FROM orders', expect_database: shop })
  t.equal(same.statusCode, 200)
  t.equal(same.json().rows[0].n, '3', 'the expected database: the answer as ever')

  // Another tab of the same browser session switches to hr.
  t.equal((await post(app, '/api/database/select', { database_name: hr, session_id: sessionId })).statusCode, 200)
  const changed = await run({ query: 'INSERT INTO orders VALUES (4)', expect_database: shop })
  t.equal(changed.statusCode, 409)
  t.match(changed.json(), { code: 'database_context_changed', expected_database: shop, database_name: hr, recovery_action: 'select_database' })
  t.match(changed.json().message, `now '${hr}', not '${shop}'`)
  for (const db of [shop, hr]) {
    const count = await run({ query: `SELECT COUNT(*) AS n FROM \`${db}\`.orders` })
    t.equal(count.json().rows[0].n, db === shop ? '3' : '1', `${db}: nothing ran`)
  }
  const history = (await app.inject({ url: '/api/query/history', headers: { 'x-session-id': sessionId } })).json().queries
  t.match(history.find((entry: { query: string }) => entry.query === 'INSERT INTO orders VALUES (4)'), { status: 'error', error_code: 'database_context_changed' })

  for (const url of ['/api/query/export', '/api/query/export/ticket']) {
    const refused = await run({ query: 'SELECT id FROM orders', format: 'csv', expect_database: shop }, url)
    t.equal(refused.statusCode, 409, url)
    t.equal(refused.json().code, 'database_context_changed')
  }
  const without = await run({ query: 'SELECT COUNT(*) AS n FROM orders' })
  t.equal(without.json().rows[0].n, '1', 'without expect_database, the session\'s database as before')
})
