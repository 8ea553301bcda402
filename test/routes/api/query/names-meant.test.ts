import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { gated } from '../../../../plugins/app/database/names-meant.js'
import { build, createDatabase, download, listen, post, randomSuffix, selectedSession } from '../../../helper.js'

/**
 * A statement naming a table or a column that does not exist (errno 1146, 1054) answers the
 * server's message and names what it may have meant (plugins/app/database/names-meant.ts): an
 * agent or a person who wrote `Orders` learns that the table is `orders`, and one who wrote
 * `created` that the column is `created_at`.
 */

/** Runs a statement in the session and checks the server refused it with `errno`: its answer. */
function refused (test: Pick<typeof t, 'strictSame'>, app: FastifyInstance, sessionId: string, errno: number) {
  return async (sql: string) => {
    const res = await post(app, '/api/query', { query: sql, session_id: sessionId })
    test.strictSame([res.statusCode, res.json().errno], [400, errno], sql)
    return res.json()
  }
}

t.test('a query of a table spelt in another case names the table meant, in the message and in similar_tables', async (t) => {
  const db = await createDatabase(t, 'CREATE TABLE orders (id INT); CREATE TABLE ORDERS_archive (id INT); CREATE TABLE Orders_archive (id INT)')
  const other = await createDatabase(t, 'CREATE TABLE Customers (id INT)')
  const app = await build(t)
  const sessionId = await selectedSession(app, db)
  const query = async (sql: string) => {
    const res = await post(app, '/api/query', { query: sql, session_id: sessionId })
    t.equal(res.statusCode, 400, sql)
    return res.json()
  }

  const orders = await query('SELECT id FROM Orders')
  t.match(orders, { code: 'sql_error', errno: 1146, sql_state: '42S02', similar_tables: ['orders'] })
  t.equal(orders.message, `Table '${db}.Orders' doesn't exist. Names are exact: did you mean 'orders'?`, 'the server\'s message, then the hint')

  const archive = await query('SELECT id FROM orders_ARCHIVE')
  t.strictSame(archive.similar_tables, ['ORDERS_archive', 'Orders_archive'], 'every spelling, in the order of their bytes')
  t.match(archive.message, /did you mean 'ORDERS_archive' or 'Orders_archive'\?$/)

  const joined = await query(`SELECT * FROM orders JOIN ${other}.customers USING (id)`)
  t.strictSame(joined.similar_tables, ['Customers'], 'a table of another database the gateway serves, named with its database')

  const none = await query('SELECT id FROM invoices')
  t.equal(none.message, `Table '${db}.invoices' doesn't exist`, 'no similar table: the server\'s message alone')
  t.notOk('similar_tables' in none)

  const history = (await app.inject({ url: '/api/query/history', headers: { 'x-session-id': sessionId } })).json()
  t.strictSame(history.queries.map((entry: { error_code: string }) => entry.error_code), ['sql_error', 'sql_error', 'sql_error', 'sql_error'], 'each is in the history as the error it is')

  const base = await listen(app)
  const exported = await download(base, '/api/query/export', { query: 'SELECT id FROM Orders', session_id: sessionId, format: 'csv' })
  t.equal(exported.status, 400)
  t.match(JSON.parse(exported.body.toString('utf8')), { code: 'sql_error', errno: 1146, similar_tables: ['orders'] }, 'an export\'s error too')
})

t.test('names are looked up only in the databases the gateway serves', async (t) => {
  const db = await createDatabase(t, 'CREATE TABLE orders (id INT)')
  const hidden = await createDatabase(t, 'CREATE TABLE Secrets (id INT)')
  const app = await build(t, { env: { DATABASE_ALLOWLIST: db } })
  const sessionId = await selectedSession(app, db)

  const res = await post(app, '/api/query', { query: `SELECT id FROM ${hidden}.secrets`, session_id: sessionId })
  t.equal(res.json().errno, 1146)
  t.notOk('similar_tables' in res.json(), 'a database outside DATABASE_ALLOWLIST is not listed for a hint')
  const system = await post(app, '/api/query', { query: 'SELECT * FROM mysql.DB', session_id: sessionId })
  t.notOk('similar_tables' in system.json(), 'nor a system schema')
})

t.test('a database whose name holds a point is read as one name', async (t) => {
  const db = await createDatabase(t, 'CREATE TABLE orders (id INT)', `sqlgate_t.${randomSuffix()}`)
  const app = await build(t)
  const sessionId = await selectedSession(app, db)
  const res = await post(app, '/api/query', { query: 'SELECT id FROM Orders', session_id: sessionId })
  t.strictSame([res.json().errno, res.json().similar_tables], [1146, ['orders']])
})

t.test('a query of a column that does not exist names the columns of its tables within a few edits, or holding the name', async (t) => {
  const db = await createDatabase(t, `CREATE TABLE orders (id INT, customer_name VARCHAR(20), total INT, created_at DATE);
    CREATE TABLE items (order_id INT, sku VARCHAR(10), qty INT); CREATE TABLE unrelated (created INT)`)
  const app = await build(t)
  const sessionId = await selectedSession(app, db)
  const meant = refused(t, app, sessionId, 1054)

  const created = await meant('SELECT created FROM orders')
  t.strictSame(created.similar_columns, ['orders.created_at'], 'only the tables the statement names: not unrelated.created')
  t.match(created.message, /^Unknown column 'created' in '[^']*'\. Did you mean 'orders\.created_at'\?$/, 'the server\'s message, then the hint')
  t.strictSame((await meant('SELECT o.totl FROM orders AS o')).similar_columns, ['o.total'], 'a qualified name, one edit away, named by the alias')
  t.strictSame((await meant('SELECT o.id FROM orders o JOIN `items` i ON i.orderid = o.id')).similar_columns, ['i.order_id'], 'a quoted table\'s column, in a join condition')
  t.strictSame((await meant('SELECT NAME FROM orders')).similar_columns, ['orders.customer_name'], 'a column that holds the name, in any case')
  t.strictSame((await meant('SELECT id FROM orders WHERE qtty > 1 AND id IN (SELECT order_id FROM items)')).similar_columns, ['items.qty'], 'the tables of a subquery too')

  const aliases = Array.from({ length: 40 }, (_, i) => `1 AS n${i}`).join(', ')
  t.strictSame((await meant(`SELECT created, ${aliases} FROM orders`)).similar_columns, ['orders.created_at'], 'a table after forty other names')

  const none = await meant('SELECT zebra FROM orders')
  t.match(none.message, /^Unknown column 'zebra' in '[^']*'$/, 'nothing close: the server\'s message alone')
  t.notOk('similar_columns' in none)
})

t.test('a column is named as the statement can write it: by its table\'s alias, under the qualifier the statement gave it', async (t) => {
  const db = await createDatabase(t, 'CREATE TABLE orders (id INT, total INT, customer_id INT); CREATE TABLE customers (id INT, full_name VARCHAR(20))')
  const other = await createDatabase(t, 'CREATE TABLE invoices (id INT, amount INT)')
  const app = await build(t)
  const sessionId = await selectedSession(app, db)
  const meant = async (sql: string) => (await refused(t, app, sessionId, 1054)(sql)).similar_columns as string[] | undefined

  t.strictSame(await meant('SELECT totl FROM orders o'), ['o.total'], 'unqualified: by the alias, since orders.total is no name where orders is called o')
  t.strictSame(await meant('SELECT orders.total FROM orders o'), ['o.total'], 'the table\'s own name where it has an alias: the same column, by its alias')
  t.strictSame(await meant('SELECT x.full_name FROM orders o JOIN customers c ON c.id = o.customer_id'), ['c.full_name'], 'a qualifier no table has: the column where it is')
  t.strictSame(await meant('SELECT a.totl FROM orders a JOIN orders b ON a.id = b.id'), ['a.total'], 'a table joined to itself: under the alias written')
  t.strictSame(await meant('SELECT i.amont FROM orders o JOIN ' + other + '.invoices i ON i.id = o.id'), ['i.amount'], 'a table of another database the gateway serves')
  t.strictSame(await meant('SELECT amont FROM ' + other + '.invoices'), ['invoices.amount'])
  t.strictSame(await meant('SELECT ' + other + '.invoices.amont FROM ' + other + '.invoices'), [other + '.invoices.amount'], 'a qualifier with its database: named so')
  t.equal(await meant('SELECT o.total FROM orders o JOIN customers c ON c.id = o.custmer'), undefined, 'nothing close under the alias written: no name (customers has no such column either)')

  const served = await build(t, { env: { DATABASE_ALLOWLIST: db } })
  const allowed = await selectedSession(served, db)
  const hidden = await post(served, '/api/query', { query: 'SELECT amont FROM ' + other + '.invoices', session_id: allowed })
  t.equal(hidden.json().errno, 1054)
  t.notOk('similar_columns' in hidden.json(), 'a database outside DATABASE_ALLOWLIST names no column')
})

t.test('a table of a database spelt in another case names the table in the database meant', async (t) => {
  const db = await createDatabase(t, 'CREATE TABLE orders (id INT); CREATE TABLE Customers (id INT)')
  const hidden = await createDatabase(t, 'CREATE TABLE secrets (id INT)')
  const app = await build(t, { env: { DATABASE_ALLOWLIST: db } })
  const sessionId = await selectedSession(app, db)
  const missing = refused(t, app, sessionId, 1146)

  const upper = db.toUpperCase()
  const orders = await missing(`SELECT id FROM ${upper}.orders`)
  t.strictSame(orders.similar_tables, [`${db}.orders`], 'the table, in the database spelt so in another case')
  t.equal(orders.message, `Table '${upper}.orders' doesn't exist. Names are exact: did you mean '${db}.orders'?`)
  t.strictSame((await missing(`SELECT id FROM ${upper}.customers`)).similar_tables, [`${db}.Customers`], 'both spelt in another case')
  t.notOk('similar_tables' in await missing(`SELECT id FROM ${upper}.invoices`), 'no such table in the database meant: nothing to name')
  t.notOk('similar_tables' in await missing(`SELECT id FROM ${hidden.toUpperCase()}.secrets`), 'a database outside DATABASE_ALLOWLIST is never named')
  t.notOk('similar_tables' in await missing('SELECT id FROM MySQL.db'), 'nor a system schema')

  const unknown = await post(app, '/api/query', { query: `SHOW TABLES FROM ${upper}`, session_id: sessionId })
  t.match(unknown.json(), { errno: 1049, similar_databases: [db], message: `Unknown database '${upper}'. Names are exact: did you mean '${db}'?` }, 'an unknown database (1049) names the one meant')
  const hiddenUnknown = await post(app, '/api/query', { query: `SHOW TABLES FROM ${hidden.toUpperCase()}`, session_id: sessionId })
  t.equal(hiddenUnknown.json().errno, 1049)
  t.notOk('similar_databases' in hiddenUnknown.json(), 'never one outside DATABASE_ALLOWLIST')
})

t.test('a table a few edits from one that exists names it, in the session\'s database or in a database misspelt', async (t) => {
  const db = await createDatabase(t, 'CREATE TABLE orders (id INT); CREATE TABLE customers (id INT); CREATE TABLE order_items (id INT)')
  const app = await build(t, { env: { DATABASE_ALLOWLIST: db } })
  const sessionId = await selectedSession(app, db)
  const missing = refused(t, app, sessionId, 1146)

  const custmers = await missing('SELECT id FROM custmers')
  t.strictSame(custmers.similar_tables, ['customers'])
  t.equal(custmers.message, `Table '${db}.custmers' doesn't exist. Did you mean 'customers'?`, 'a near name: no "names are exact"')
  t.strictSame((await missing('SELECT id FROM orders_item')).similar_tables, ['order_items', 'orders'], 'closest first; a name it holds too')
  t.strictSame((await missing('SELECT id FROM ORDERS')).similar_tables, ['orders'], 'another case comes before near names, alone')
  const misspeltDatabase = db.slice(0, -1) + (db.endsWith('a') ? 'b' : 'a')
  const elsewhere = await missing(`SELECT id FROM ${misspeltDatabase}.orders`)
  t.strictSame(elsewhere.similar_tables, [`${db}.orders`], 'a database one edit away: the table in it')
  t.match(elsewhere.message, new RegExp(`Did you mean '${db}\\.orders'\\?$`))
})

t.test('a function that does not exist names the built-in functions and the database\'s own near it', async (t) => {
  const db = await createDatabase(t, 'CREATE FUNCTION order_total (x INT) RETURNS INT DETERMINISTIC RETURN x * 2')
  const other = await createDatabase(t)
  const app = await build(t)
  const sessionId = await selectedSession(app, db)
  const missing = refused(t, app, sessionId, 1305)

  const concat = await missing('SELECT CONCATE(\'a\', \'b\')')
  t.equal(concat.similar_functions[0], 'CONCAT', 'the closest first')
  t.match(concat.message, new RegExp(`^FUNCTION ${db}\\.CONCATE does not exist\\. Did you mean 'CONCAT'`))
  t.strictSame((await missing('SELECT group_conct(1)')).similar_functions, ['GROUP_CONCAT'], 'in any case')
  t.strictSame((await missing('SELECT order_totl(1)')).similar_functions, ['order_total'], 'a stored function of the session\'s database')
  t.notOk('similar_functions' in await missing('SELECT xyzzy(1)'), 'nothing near: the server\'s message alone')
  t.notOk('similar_functions' in await missing(`SELECT ${other}.concate('a')`), 'a call named with another database meant that database\'s function: no built-in is named')
})

t.test('one hint is looked up at a time per client on an instance: its errors meanwhile answer without one, and the gate opens again', async (t) => {
  const inFlight = new Map<string, number>()
  const client = { inFlight, client: '203.0.113.7' }
  let release = () => {}
  const slow = gated(client, () => new Promise<string>((resolve) => { release = () => resolve('hint') }), 'none')
  t.equal(inFlight.get(client.client), 1)
  t.equal(await gated(client, async () => 'hint', 'none'), 'none', 'a second lookup of the client meanwhile: none')
  t.equal(await gated({ inFlight, client: '198.51.100.9' }, async () => 'hint', 'none'), 'hint', 'another client\'s lookup meanwhile: its hint')
  release()
  t.equal(await slow, 'hint')
  t.equal(inFlight.size, 0, 'the gate is open again')
  await t.rejects(gated(client, async () => { throw new Error('catalog down') }, 'none'))
  t.equal(inFlight.size, 0, 'also after a lookup that failed')

  const db = await createDatabase(t, 'CREATE TABLE customers (id INT)')
  const app = await build(t)
  const sessions = await Promise.all(Array.from({ length: 6 }, () => selectedSession(app, db)))
  const answers = await Promise.all(sessions.map(async (sessionId) => (await post(app, '/api/query', { query: 'SELECT id FROM custmers', session_id: sessionId })).json()))
  t.ok(answers.every((answer) => answer.errno === 1146), 'every error is the server\'s, hinted or not')
  t.ok(answers.some((answer) => 'similar_tables' in answer), 'one at least was hinted')
  const after = await post(app, '/api/query', { query: 'SELECT id FROM custmers', session_id: sessions[0] })
  t.strictSame(after.json().similar_tables, ['customers'], 'the next one alone is hinted')
})
