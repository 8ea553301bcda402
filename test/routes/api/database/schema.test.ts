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
  t.strictSame(people.columns[0], { name: 'id', type: 'bigint(20) unsigned', nullable: false, key: 'PRI', default: null })
  t.strictSame(people.columns[1], { name: 'email', type: 'varchar(255)', nullable: false, key: 'UNI', default: null })
  t.strictSame(people.columns[2], { name: 'nick', type: 'varchar(20)', nullable: true, key: '', default: "it's me" }, 'a string default, unquoted')
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
