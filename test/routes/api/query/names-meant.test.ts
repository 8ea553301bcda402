import t from 'tap'
import { build, createDatabase, download, listen, post, randomSuffix, selectedSession } from '../../../helper.js'

/**
 * A statement naming a table or a column that does not exist (errno 1146, 1054) answers the
 * server's message and names what it may have meant (plugins/app/database/names-meant.ts): an
 * agent or a person who wrote `Orders` learns that the table is `orders`, and one who wrote
 * `created` that the column is `created_at`.
 */

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
  const system = await post(app, '/api/query', { query: 'SELECT * FROM mysql.USER', session_id: sessionId })
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
  const meant = async (sql: string) => {
    const res = await post(app, '/api/query', { query: sql, session_id: sessionId })
    t.strictSame([res.statusCode, res.json().errno], [400, 1054], sql)
    return res.json()
  }

  const created = await meant('SELECT created FROM orders')
  t.strictSame(created.similar_columns, ['orders.created_at'], 'only the tables the statement names: not unrelated.created')
  t.match(created.message, /^Unknown column 'created' in '[^']*'\. Did you mean 'orders\.created_at'\?$/, 'the server\'s message, then the hint')
  t.strictSame((await meant('SELECT o.totl FROM orders AS o')).similar_columns, ['orders.total'], 'a qualified name, one edit away')
  t.strictSame((await meant('SELECT o.id FROM orders o JOIN `items` i ON i.orderid = o.id')).similar_columns, ['items.order_id'], 'a quoted table\'s column, in a join condition')
  t.strictSame((await meant('SELECT NAME FROM orders')).similar_columns, ['orders.customer_name'], 'a column that holds the name, in any case')
  t.strictSame((await meant('SELECT id FROM orders WHERE qtty > 1 AND id IN (SELECT order_id FROM items)')).similar_columns, ['items.qty'], 'the tables of a subquery too')

  const aliases = Array.from({ length: 40 }, (_, i) => `1 AS n${i}`).join(', ')
  t.strictSame((await meant(`SELECT created, ${aliases} FROM orders`)).similar_columns, ['orders.created_at'], 'a table after forty other names')

  const none = await meant('SELECT zebra FROM orders')
  t.match(none.message, /^Unknown column 'zebra' in '[^']*'$/, 'nothing close: the server\'s message alone')
  t.notOk('similar_columns' in none)
})
