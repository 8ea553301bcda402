import t from 'tap'
import { build, createDatabase, post, randomSessionId, selectOnlyUserUrl } from '../../../helper.js'

/**
 * A session's database is the default for unqualified names, not a wall: a statement may name
 * another database's table. What a statement can reach is the database user's grants, so start-up
 * warns about a user with privileges on every database, and a user granted the served databases
 * only cannot read the others (the system schemas included).
 */
const EVERY_DATABASE_WARNING = 'The database user has privileges on every database (ON *.*)'

t.test('a user with privileges on every database: a warning at start-up, in either mode', async (t) => {
  for (const READ_ONLY of ['true', 'false']) {
    const logs: Array<Record<string, unknown>> = []
    await build(t, { logs, env: { READ_ONLY } }) // the tests run as root
    t.ok(logs.some((line) => line.level === 40 && String(line.msg).startsWith(EVERY_DATABASE_WARNING)), `READ_ONLY=${READ_ONLY}: warned`)
  }
})

t.test('a user granted the served database only: no warning, and other databases are out of reach', async (t) => {
  const served = await createDatabase(t, 'CREATE TABLE items (id INT); INSERT INTO items VALUES (1)')
  const other = await createDatabase(t, "CREATE TABLE secrets (v VARCHAR(10)); INSERT INTO secrets VALUES ('hidden')")
  const logs: Array<Record<string, unknown>> = []
  const app = await build(t, { logs, env: { MYSQL_URL: await selectOnlyUserUrl(t, served) } })
  t.notOk(logs.some((line) => String(line.msg).startsWith(EVERY_DATABASE_WARNING)), 'no warning')

  const sessionId = randomSessionId()
  t.equal((await post(app, '/api/database/select', { database_name: served, session_id: sessionId })).statusCode, 200)
  const run = (query: string) => post(app, '/api/query', { query, session_id: sessionId })
  t.strictSame((await run('SELECT id FROM items')).json().rows, [{ id: 1 }], 'the served database')
  t.strictSame((await run(`SELECT id FROM \`${served}\`.items`)).json().rows, [{ id: 1 }], 'qualified by its own name')

  for (const query of [`SELECT v FROM \`${other}\`.secrets`, 'SELECT User FROM mysql.db']) {
    const res = await run(query)
    t.equal(res.statusCode, 400, query)
    t.match(res.json(), { code: 'sql_error', errno: 1142 }, `${query}: denied by the server (SELECT command denied)`)
  }
})

t.test('with root, the same qualified name does reach the other database (why the warning exists)', async (t) => {
  const served = await createDatabase(t, 'CREATE TABLE items (id INT)')
  const other = await createDatabase(t, "CREATE TABLE secrets (v VARCHAR(10)); INSERT INTO secrets VALUES ('hidden')")
  const app = await build(t)
  const sessionId = randomSessionId()
  await post(app, '/api/database/select', { database_name: served, session_id: sessionId })
  const res = await post(app, '/api/query', { query: `SELECT v FROM \`${other}\`.secrets`, session_id: sessionId })
  t.strictSame(res.json().rows, [{ v: 'hidden' }])
})
