import t from 'tap'
import { adminConnection, build, createDatabase, post, randomSessionId, randomSuffix, runningStatements, selectedSession, testConfig } from '../../../helper.js'

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
  t.notOk('similar_databases' in refused.json())
  const shouted = (await post(app, '/api/database/select', { database_name: allowed.toUpperCase() })).json()
  t.strictSame([shouted.code, shouted.similar_databases], ['database_not_found', [allowed]], 'another case of an allowed name names it')
  t.match(shouted.message, new RegExp(`Names are exact: did you mean '${allowed}'\\?$`))
  t.notOk('similar_databases' in (await post(app, '/api/database/select', { database_name: other.toUpperCase() })).json(), 'never a database outside the list')
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
    `${db}😀`, '😀', // outside Unicode's BMP: no identifier can hold it (information_schema had answered 400 sql_error, 1267)
    'x`; DROP DATABASE x; --',
    '\' OR \'1\'=\'1',
    `${db}%`, '%', '_',
    'mysql`.`user'
  ]
  for (const name of names) {
    const res = await post(app, '/api/database/select', { database_name: name, session_id: randomSessionId() })
    t.equal(res.statusCode, 404, JSON.stringify(name))
    t.equal(res.json().code, 'database_not_found', JSON.stringify(name))
    // The served database spelt in another case, or a few edits away, is named; nothing else is.
    const meant = name === db.toUpperCase() || name.startsWith(db) ? [db] : undefined
    t.strictSame(res.json().similar_databases, meant, `${JSON.stringify(name)}: ${meant === undefined ? 'nothing' : 'the database near it'} is named`)
    t.match(res.json().message, name === db.toUpperCase() ? /Names are exact: did you mean/ : meant === undefined ? /gateway\.$/ : /gateway\. Did you mean '[^']+'\?$/)
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

t.test('a context whose database this instance no longer serves answers 404, as selecting it would', async (t) => {
  // Sessions outlive a deployment: one instance (or the last release) allowed the database, this
  // one does not; its queries had still run there.
  const [kept, dropped] = [await createDatabase(t, 'CREATE TABLE t (v INT)'), await createDatabase(t, 'CREATE TABLE t (v INT)')]
  const shared = testConfig()
  const before = await build(t, { config: shared })
  const after = await build(t, { config: { ...shared, DATABASE_ALLOWLIST: [kept] } })
  const sessionId = (await post(before, '/api/database/select', { database_name: dropped })).json().session_id
  t.equal((await post(before, '/api/query', { query: 'SELECT 1 AS one', session_id: sessionId })).statusCode, 200)

  const query = await post(after, '/api/query', { query: 'SELECT 1 AS one', session_id: sessionId })
  t.equal(query.statusCode, 404)
  t.equal(query.json().code, 'database_not_found')
  const schema = await after.inject({ url: '/api/database/schema', headers: { 'x-session-id': sessionId } })
  t.equal(schema.json().code, 'database_not_found')
  const history = await after.inject({ url: '/api/query/history', headers: { 'x-session-id': sessionId } })
  t.strictSame(history.json().queries.map((q: { error_code: string | null }) => q.error_code), ['database_not_found', null], 'in the history as refused')
  t.equal((await post(after, '/api/database/select', { database_name: kept, session_id: sessionId })).statusCode, 200, 'selecting a served one mends it')
  t.equal((await post(after, '/api/query', { query: 'SELECT 1 AS one', session_id: sessionId })).statusCode, 200)
})

t.test('the schema of a database dropped since it was selected answers 404, as a query does', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t, 'CREATE TABLE t (v INT)')
  const sessionId = (await post(app, '/api/database/select', { database_name: db })).json().session_id
  const admin = await adminConnection(t)
  await admin.query(`DROP DATABASE \`${db}\``)
  const schema = await app.inject({ url: '/api/database/schema', headers: { 'x-session-id': sessionId } })
  t.equal(schema.statusCode, 404)
  t.equal(schema.json().code, 'database_not_found')
  t.equal((await post(app, '/api/query', { query: 'SELECT 1', session_id: sessionId })).json().code, 'database_not_found')
})

t.test('past CATALOG_MAX_TABLES, select and schema list the first tables by name and count them all', async (t) => {
  const app = await build(t, { env: { CATALOG_MAX_TABLES: '3' } })
  const db = await createDatabase(t, `CREATE TABLE e (id INT); CREATE TABLE b (id INT PRIMARY KEY, name VARCHAR(9)); INSERT INTO b VALUES (1, 'x');
    CREATE TABLE d (id INT); CREATE TABLE a (id INT, note TEXT); CREATE VIEW c AS SELECT id FROM b; ANALYZE TABLE b`)
  // A schema whose name differs only in case, whose tables must not take places in the listing:
  // information_schema compares names case-insensitively (MariaDB's lookup by name finds only the
  // exact schema's directory, so here this guards against a change of query rather than the server).
  const [[{ lower }]] = await (await adminConnection(t)).query('SELECT @@lower_case_table_names AS lower') as unknown as [[{ lower: number }]]
  if (lower === 0) {
    const twin = await createDatabase(t, 'CREATE TABLE aa (id INT); CREATE TABLE ab (id INT)', db.toUpperCase())
    t.not(twin, db)
  }
  const sessionId = randomSessionId()
  const select = (await post(app, '/api/database/select', { database_name: db, session_id: sessionId })).json()
  t.strictSame(select.tables, [
    { name: 'a', type: 'BASE TABLE', rows_estimate: null },
    { name: 'b', type: 'BASE TABLE', rows_estimate: null },
    { name: 'c', type: 'VIEW', rows_estimate: null }
  ], 'the first three by name, without estimates (they would open every table)')
  t.equal(select.total_tables, 5, 'all of them counted')

  const schema = (await app.inject({ url: '/api/database/schema', headers: { 'x-session-id': sessionId } })).json()
  t.strictSame(schema.tables.map((table: { name: string, columns: Array<{ name: string }> }) => [table.name, table.columns.map((column) => column.name)]),
    [['a', ['id', 'note']], ['b', ['id', 'name']], ['c', ['id']]], 'the schema lists the same tables, each with its own columns')
  t.equal(schema.total_tables, 5)
  const one = (await app.inject({ url: '/api/database/schema?table=e', headers: { 'x-session-id': sessionId } })).json()
  t.strictSame([one.tables.map((table: { name: string }) => table.name), one.total_tables], [['e'], 1], 'a table past the listing, asked for by name')
  const none = await app.inject({ url: '/api/database/schema?table=E', headers: { 'x-session-id': sessionId } })
  t.strictSame([none.statusCode, none.json().code, none.json().similar_tables], [404, 'table_not_found', ['e']], 'past the listing too, the table meant is named')

  const roomy = await build(t, { env: { CATALOG_MAX_TABLES: '5' } })
  const all = (await post(roomy, '/api/database/select', { database_name: db })).json()
  t.strictSame(all.tables.map((table: { name: string }) => table.name), ['a', 'b', 'c', 'd', 'e'], 'exactly the limit: every table')
  t.equal(all.tables[1].rows_estimate, 1, 'with estimates')
  t.equal(all.total_tables, 5)
})

t.test("the catalog's reads do not inherit the limits a session's query left on the pooled connection", async (t) => {
  // One pooled connection: the catalog reads run on the one the query has just used.
  const app = await build(t, { env: { MYSQL_POOL_SIZE: '1' } })
  const db = await createDatabase(t, 'CREATE TABLE t1 (a INT, b INT, c INT); CREATE TABLE t2 (id INT); CREATE TABLE t3 (id INT); CREATE TABLE t4 (id INT); CREATE TABLE t5 (id INT)')
  const sessionId = await selectedSession(app, db)
  // Leaves sql_select_limit = 3 (and a 5 s statement timeout) on the connection.
  const capped = await post(app, '/api/query', { query: 'SELECT seq FROM seq_1_to_100', max_rows: 2, timeout_ms: 5000, session_id: sessionId })
  t.equal(capped.json().row_count, 2)

  const names = (await app.inject({ url: '/api/database/list' })).json().databases.map((d: { name: string }) => d.name)
  t.ok(names.includes(db), 'the list holds every database, not the first three rows of the catalog')
  const select = await post(app, '/api/database/select', { database_name: db, session_id: sessionId })
  t.equal(select.statusCode, 200, 'the database is found')
  t.strictSame(select.json().tables.map((table: { name: string }) => table.name), ['t1', 't2', 't3', 't4', 't5'])
  t.equal(select.json().total_tables, 5)
  const schema = (await app.inject({ url: '/api/database/schema', headers: { 'x-session-id': sessionId } })).json()
  t.strictSame(schema.tables.map((table: { columns: unknown[] }) => table.columns.length), [3, 1, 1, 1, 1], 'every column of every table')

  const again = await post(app, '/api/query', { query: 'SELECT seq FROM seq_1_to_100', max_rows: 2, session_id: sessionId })
  t.strictSame([again.json().row_count, again.json().truncated], [2, true], 'and the next query has its own limits again')
})

t.test('a catalog read past QUERY_TIMEOUT_MS is stopped on the server and answers 504 catalog_timeout', async (t) => {
  // 300 tables: their row estimates take the server more than 1 ms to read.
  const db = await createDatabase(t, Array.from({ length: 300 }, (_, i) => `CREATE TABLE t${i} (id INT PRIMARY KEY, a VARCHAR(20)) ENGINE=Aria;`).join('\n'))
  const app = await build(t, { env: { QUERY_TIMEOUT_MS: '1' } })
  const res = await post(app, '/api/database/select', { database_name: db })
  t.equal(res.statusCode, 504)
  t.equal(res.json().code, 'catalog_timeout')
  t.equal(res.json().timeout_ms, 1)
  t.match(res.json().message, 'QUERY_TIMEOUT_MS (1 ms)')
  t.equal(res.headers['retry-after'], undefined, 'not "retry shortly": the same read would take as long')
  // The server stops it at its timeout; under a loaded machine its thread may take a moment to go.
  const admin = await adminConnection(t)
  let running = await runningStatements(admin, 'information_schema.TABLES')
  for (let i = 0; i < 20 && running.length > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    running = await runningStatements(admin, 'information_schema.TABLES')
  }
  t.strictSame(running, [], 'nothing of it still runs on the server')
})
