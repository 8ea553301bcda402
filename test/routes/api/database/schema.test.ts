import t from 'tap'
import { build, createDatabase, post, randomSessionId } from '../../../helper.js'

t.test('schema: tables by name, columns in table order with type, nullability, key and default', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t, `
    CREATE TABLE people (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      email VARCHAR(255) NOT NULL UNIQUE,
      nick VARCHAR(20) NULL DEFAULT 'it''s me',
      score DECIMAL(10,2) DEFAULT 0.00,
      team_id INT NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      KEY (team_id)
    );
    CREATE TABLE a_first (z INT);
    CREATE VIEW v_people AS SELECT id, email FROM people`)
  const headers = { 'x-session-id': randomSessionId() }

  const missing = await app.inject({ url: '/api/database/schema', headers })
  t.equal(missing.statusCode, 409, 'no schema before a database is selected')
  t.equal(missing.json().code, 'database_context_missing')

  await post(app, '/api/database/select', { database_name: db }, headers)
  const res = await app.inject({ url: '/api/database/schema', headers })
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.equal(body.database_name, db)
  t.strictSame(body.tables.map((x: { name: string }) => x.name), ['a_first', 'people', 'v_people'])
  const people = body.tables[1]
  t.equal(people.type, 'BASE TABLE')
  t.strictSame(people.columns.map((c: { name: string }) => c.name), ['id', 'email', 'nick', 'score', 'team_id', 'created_at'], 'table order, not alphabetical')
  t.strictSame(people.columns[0], { name: 'id', type: 'bigint(20) unsigned', nullable: false, key: 'PRI', default: null, comment: '' })
  t.strictSame(people.columns[1], { name: 'email', type: 'varchar(255)', nullable: false, key: 'UNI', default: null, comment: '' })
  t.strictSame(people.columns[2], { name: 'nick', type: 'varchar(20)', nullable: true, key: '', default: "it's me", comment: '' }, 'a string default, unquoted')
  t.strictSame(people.foreign_keys, [], 'no foreign keys')
  t.equal(people.comment, '', 'no comment is the empty string')
  t.equal(people.columns[3].default, '0.00')
  t.equal(people.columns[4].key, 'MUL')
  t.equal(people.columns[4].default, null, 'DEFAULT NULL is null, not the text NULL')
  t.match(people.columns[5].default, /current_timestamp/i)
  t.equal(body.tables[2].type, 'VIEW')
  t.strictSame(body.tables[2].columns.map((c: { name: string }) => c.name), ['id', 'email'])
})

t.test('schema?table=: one table by its exact name, as the MCP tool describe_schema has it', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t, 'CREATE TABLE orders (id INT PRIMARY KEY, total DECIMAL(8,2)); CREATE TABLE Orders2 (x INT); CREATE TABLE customers (id INT)')
  const headers = { 'x-session-id': randomSessionId() }
  await post(app, '/api/database/select', { database_name: db }, headers)
  const schema = (query: string) => app.inject({ url: `/api/database/schema${query}`, headers })

  const one = await schema('?table=orders')
  t.equal(one.statusCode, 200)
  t.strictSame(one.json().tables.map((x: { name: string, columns: Array<{ name: string }> }) => [x.name, x.columns.map((c) => c.name)]), [['orders', ['id', 'total']]])
  // Exact names only. The server's comparison (any case, trailing spaces) names what was meant, or
  // else the names a few edits away. An emoji (outside Unicode's BMP) cannot name a table: compared
  // in information_schema it was a 400 sql_error (1267).
  const similar: Array<[string, string[]]> = [['ORDERS', ['orders']], ['orders ', ['orders']], ['order%', ['orders', 'Orders2']], ['nope', []],
    ['orders😀', ['orders', 'Orders2']], ['😀', []], ['orders\u0000', ['orders', 'Orders2']], ['CUSTOMERS', ['customers']],
    ['custmers', ['customers']], ['order', ['orders', 'Orders2']], ['rders2', ['Orders2', 'orders']]]
  for (const [name, near] of similar) {
    const res = await schema(`?table=${encodeURIComponent(name)}`)
    const body = res.json()
    t.strictSame([res.statusCode, body.code, body.similar_tables], [404, 'table_not_found', near], `${JSON.stringify(name)}: no such table`)
    t.match(body.message, `does not exist in database '${db}'`)
    if (near.length > 0) t.match(body.message, new RegExp(`[Dd]id you mean '${near[0]}'`))
  }
  t.equal((await schema('')).json().tables.length, 3, 'without it, every table')
  for (const query of ['?table=', `?table=${'x'.repeat(65)}`, '?tables=orders']) {
    t.equal((await schema(query)).json().code, 'validation_error', query)
  }
})

t.test('schema: each column\'s comment, and each table\'s foreign keys with their columns in order, wherever they point', async (t) => {
  const other = await createDatabase(t, 'CREATE TABLE regions (code CHAR(2), zone INT, PRIMARY KEY (zone, code))')
  const db = await createDatabase(t, `
    CREATE TABLE customers (id INT PRIMARY KEY COMMENT 'the customer''s "id" — 客户', referrer INT NULL,
      CONSTRAINT customers_referrer FOREIGN KEY (referrer) REFERENCES customers (id)) COMMENT 'people who order';
    CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT NOT NULL, region CHAR(2), zone INT,
      CONSTRAINT z_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE,
      CONSTRAINT a_region FOREIGN KEY (zone, region) REFERENCES \`${other}\`.regions (zone, code));
    CREATE VIEW v_orders AS SELECT id FROM orders`)
  const app = await build(t, { env: { CATALOG_MAX_TABLES: '2' } })
  const headers = { 'x-session-id': randomSessionId() }
  await post(app, '/api/database/select', { database_name: db }, headers)
  const schema = async (query: string) => (await app.inject({ url: `/api/database/schema${query}`, headers })).json()

  const orders = {
    a_region: { name: 'a_region', columns: ['zone', 'region'], references: { database: other, table: 'regions', columns: ['zone', 'code'] } },
    z_customer: { name: 'z_customer', columns: ['customer_id'], references: { database: db, table: 'customers', columns: ['id'] } }
  }
  const listed = await schema('')
  t.strictSame(listed.tables.map((table: { name: string }) => table.name), ['customers', 'orders'], 'the first CATALOG_MAX_TABLES')
  t.equal(listed.total_tables, 3)
  t.strictSame(listed.tables.map((table: { comment: string }) => table.comment), ['people who order', ''], 'each table\'s comment, \'\' for none')
  t.equal(listed.tables[0].columns[0].comment, 'the customer\'s "id" — 客户', 'a comment as written')
  t.equal(listed.tables[0].columns[1].comment, '', 'none is the empty string')
  t.strictSame(listed.tables[0].foreign_keys, [{ name: 'customers_referrer', columns: ['referrer'], references: { database: db, table: 'customers', columns: ['id'] } }], 'a key on its own table')
  t.strictSame(listed.tables[1].foreign_keys, [orders.a_region, orders.z_customer], 'by name; a composite key\'s columns in its order, pairing with those it references, in another database')
  t.strictSame((await schema('?table=orders')).tables[0].foreign_keys, [orders.a_region, orders.z_customer], 'one table alike')
  const view = (await schema('?table=v_orders')).tables[0]
  t.strictSame([view.comment, view.foreign_keys], ['', []], 'a view has neither (MariaDB\'s comment for it, VIEW, is not one)')
})
