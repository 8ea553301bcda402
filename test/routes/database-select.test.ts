import t from 'tap'
import { adminConnection, build, createDatabase, post, randomSessionId, randomSuffix, selectedSession } from '../helper.js'

t.test('list: the server\'s databases without system schemas', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t)
  const res = await app.inject({ url: '/api/database/list' })
  t.equal(res.statusCode, 200)
  const names: string[] = res.json().databases.map((d: { name: string }) => d.name)
  t.ok(names.includes(db), 'our database is listed')
  for (const system of ['mysql', 'information_schema', 'performance_schema', 'sys']) {
    t.notOk(names.includes(system), `${system} is never listed`)
  }
  t.equal(res.json().total_count, names.length)
})

t.test('DATABASE_ALLOWLIST limits list and select', async (t) => {
  const [allowed, other] = [await createDatabase(t), await createDatabase(t)]
  const app = await build(t, { env: { DATABASE_ALLOWLIST: `${allowed}, mysql` } })
  const list = await app.inject({ url: '/api/database/list' })
  t.strictSame(list.json().databases, [{ name: allowed }], 'only allowed, and never a system schema even if allowed')
  t.equal((await post(app, '/api/database/select', { database_name: allowed })).statusCode, 200)
  const refused = await post(app, '/api/database/select', { database_name: other })
  t.equal(refused.statusCode, 404)
  t.equal(refused.json().code, 'database_not_found')
})

t.test('select: tables with type and row estimate, context stored', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t, `CREATE TABLE b_items (id INT PRIMARY KEY); INSERT INTO b_items VALUES (1),(2),(3);
    CREATE TABLE a_users (id INT); CREATE VIEW c_view AS SELECT id FROM b_items; ANALYZE TABLE b_items`)
  const sessionId = randomSessionId()
  const res = await post(app, '/api/database/select', { database_name: db, session_id: sessionId })
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.strictSame(body.tables.map((x: { name: string }) => x.name), ['a_users', 'b_items', 'c_view'])
  t.strictSame(body.tables[2], { name: 'c_view', type: 'VIEW', rows_estimate: null })
  t.equal(body.tables[1].type, 'BASE TABLE')
  t.equal(body.tables[1].rows_estimate, 3)
  t.equal(body.total_tables, 3)
  t.ok(Math.abs(Date.parse(body.selected_at) - Date.now()) < 60_000, 'selected_at is an ISO time of now')
  const context = await app.inject({ url: '/api/database/context', headers: { 'x-session-id': sessionId } })
  t.strictSame(context.json().database_context, { database_name: db, selected_at: body.selected_at })
})

t.test('unknown, system and hostile names are 404 database_not_found', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t)
  const names = [
    `missing_${randomSuffix()}`,
    'mysql', 'information_schema', 'INFORMATION_SCHEMA', 'performance_schema', 'sys',
    db.toUpperCase(), // names are case-sensitive: the catalog compares case-insensitively, we do not
    `${db} `, // trailing space: PAD SPACE collations would match it
    `${db}\u0000`,
    'x`; DROP DATABASE x; --',
    '\' OR \'1\'=\'1',
    `${db}%`, '%', '_',
    'mysql`.`user'
  ]
  for (const name of names) {
    const res = await post(app, '/api/database/select', { database_name: name, session_id: randomSessionId() })
    t.equal(res.statusCode, 404, JSON.stringify(name))
    t.equal(res.json().code, 'database_not_found', JSON.stringify(name))
  }
  const list = await app.inject({ url: '/api/database/list' })
  t.ok(list.json().databases.some((d: { name: string }) => d.name === db), 'nothing was dropped')
})

t.test('names the server allows but SQL text would not: backquotes, dots, spaces', async (t) => {
  const app = await build(t)
  for (const name of [`we.ird_${randomSuffix(3)}`, `back\`quote_${randomSuffix(3)}`, `sp ace_${randomSuffix(3)}`]) {
    await createDatabase(t, 'CREATE TABLE t (v VARCHAR(10)); INSERT INTO t VALUES (\'here\')', name)
    const sessionId = randomSessionId()
    const select = await post(app, '/api/database/select', { database_name: name, session_id: sessionId })
    t.equal(select.statusCode, 200, `select ${JSON.stringify(name)}`)
    const query = await post(app, '/api/query', { query: 'SELECT v, DATABASE() AS db FROM t', session_id: sessionId })
    t.strictSame(query.json().rows, [{ v: 'here', db: name }], `query in ${JSON.stringify(name)}`)
  }
})

t.test('validation: database_name is required, 1 to 64 characters, and unknown fields are refused', async (t) => {
  const app = await build(t)
  for (const payload of [{}, { database_name: '' }, { database_name: 'x'.repeat(65) }, { database_name: 5 }, { database_name: 'test', extra: 1 }]) {
    const res = await post(app, '/api/database/select', payload)
    t.equal(res.statusCode, 400, JSON.stringify(payload))
    t.equal(res.json().code, 'validation_error')
    t.match(res.json().message, /body/, 'names where the problem is')
  }
})

t.test('a database dropped after selection answers 404 on query, not 500', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t, 'CREATE TABLE t (v INT)')
  const sessionId = await selectedSession(app, db)
  const admin = await adminConnection(t)
  await admin.query(`DROP DATABASE \`${db}\``)
  const res = await post(app, '/api/query', { query: 'SELECT 1', session_id: sessionId })
  t.equal(res.statusCode, 404)
  t.equal(res.json().code, 'database_not_found')
})
