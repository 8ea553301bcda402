import t, { type Test } from 'tap'
import { adminConnection, build, createDatabase, post, randomSessionId, selectedSession, selectOnlyUserUrl } from '../../../helper.js'

async function countRows (t: Test, db: string): Promise<number> {
  const admin = await adminConnection(t)
  const [rows] = await admin.query(`SELECT COUNT(*) AS n FROM \`${db}\`.items`) as unknown as [Array<{ n: string }>]
  return Number(rows[0]!.n)
}

/** The suites below run as root and again as a database user that may only read (docs/read-only.md). */
const USERS = ['root', 'select-only'] as const

async function setup (t: Test, user: typeof USERS[number] = 'root') {
  const db = await createDatabase(t, `CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20));
    INSERT INTO items VALUES (1, 'one'), (2, 'two');
    CREATE FUNCTION sneaky() RETURNS INT MODIFIES SQL DATA BEGIN DELETE FROM items; RETURN 1; END`)
  const app = await build(t, user === 'root' ? {} : { env: { MYSQL_URL: await selectOnlyUserUrl(t, db) } })
  const sessionId = await selectedSession(app, db)
  const run = (query: string) => post(app, '/api/query', { query, session_id: sessionId })
  return { app, db, sessionId, run }
}

for (const user of USERS) {
  t.test(`${user}: writes are refused with 403 read_only_violation and nothing changes`, async (t) => {
    const { db, run } = await setup(t, user)
    const attempts = [
      'DELETE FROM items',
      'UPDATE items SET name = \'x\'',
      'INSERT INTO items VALUES (3, \'three\')',
      'DROP TABLE items',
      'TRUNCATE items',
      'CREATE TABLE other (a INT)',
      'ALTER TABLE items ADD COLUMN c INT',
      'GRANT SELECT ON *.* TO nobody',
      'SET SESSION TRANSACTION READ WRITE',
      'SET @x = 1',
      'LOCK TABLES items WRITE',
      'START TRANSACTION',
      'CALL nothing()',
      'DO 1',
      'HANDLER items OPEN',
      'KILL 1',
      "SELECT * FROM items INTO OUTFILE '/tmp/sqlgate-leak.txt'",
      'SELECT * FROM items FOR UPDATE',
      'SELECT * FROM items LOCK IN SHARE MODE',
      '/*!50000 DELETE FROM items */',
      'WITH x AS (SELECT 1) DELETE FROM items',
      'SELECT 1; DELETE FROM items'
    ]
    for (const query of attempts) {
      const res = await run(query)
      t.ok(res.statusCode === 403 || res.statusCode === 400, `${query}: refused (${res.statusCode})`)
      t.ok(['read_only_violation', 'multiple_statements'].includes(res.json().code), `${query}: ${res.json().code}`)
    }
    t.equal(await countRows(t, db), 2, 'the table still holds its two rows')
  })
}

for (const user of USERS) {
  t.test(`${user}: a statement is judged the same every time it comes, short (remembered) or long (not)`, async (t) => {
    const { db, run } = await setup(t, user)
    const padding = ` /* ${'x'.repeat(1100)} */`
    for (const suffix of ['', padding]) {
      for (let i = 1; i <= 3; i++) {
        t.equal((await run(`DELETE FROM items${suffix}`)).json().code, 'read_only_violation', `DELETE (${suffix === '' ? 'short' : 'long'}), time ${i}`)
        t.equal((await run(`SELECT 1; DELETE FROM items${suffix}`)).json().code, 'multiple_statements', `stacked (${suffix === '' ? 'short' : 'long'}), time ${i}`)
        const read = await run(`SELECT COUNT(*) AS n FROM items${suffix}`)
        t.equal(read.statusCode, 200, `SELECT (${suffix === '' ? 'short' : 'long'}), time ${i}`)
        t.same(read.json().rows, [{ n: 2 }])
      }
    }
    t.equal(await countRows(t, db), 2, 'the table still holds its two rows')
  })
}

for (const user of USERS) {
  t.test(`${user}: escape attempt: SET SESSION TRANSACTION READ WRITE, then a write`, async (t) => {
    const { db, run } = await setup(t, user)
    t.equal((await run('SET SESSION TRANSACTION READ WRITE')).json().code, 'read_only_violation')
    t.equal((await run('DELETE FROM items')).json().code, 'read_only_violation')
    t.equal(await countRows(t, db), 2)
  })
}

t.test('escape attempt: a read that calls a function that writes is stopped by the database\'s own read-only mode', async (t) => {
  const { db, run } = await setup(t)
  const res = await run('SELECT sneaky()')
  t.equal(res.statusCode, 400, 'the classifier admits it as a read; the server refuses the write')
  t.equal(res.json().code, 'sql_error')
  t.equal(res.json().errno, 1792, 'ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION')
  t.equal(await countRows(t, db), 2)
})

t.test('escape attempt: USE, then the queries of other sessions', async (t) => {
  const { app, run } = await setup(t)
  const other = await createDatabase(t, "CREATE TABLE items (id INT, name VARCHAR(20)); INSERT INTO items VALUES (9, 'other')")
  const victim = randomSessionId()
  await post(app, '/api/database/select', { database_name: other, session_id: victim })
  t.equal((await run(`USE \`${other}\``)).json().code, 'unsupported_statement')
  const mine = await run('SELECT name FROM items ORDER BY id')
  t.strictSame(mine.json().rows, [{ name: 'one' }, { name: 'two' }], 'the attacker still sees only its own database')
  const theirs = await post(app, '/api/query', { query: 'SELECT name FROM items', session_id: victim })
  t.strictSame(theirs.json().rows, [{ name: 'other' }], 'the other session still sees its own')
})

for (const user of USERS) {
  t.test(`${user}: reads of every admitted kind run`, async (t) => {
    const { run } = await setup(t, user)
    for (const query of ['SELECT * FROM items', '(SELECT id FROM items) UNION (SELECT 3)', 'WITH x AS (SELECT id FROM items) SELECT * FROM x',
      'SHOW TABLES', 'DESCRIBE items', 'DESC items', 'DESC items name', "DESC items 'na%'", 'EXPLAIN SELECT * FROM items',
      'EXPLAIN EXTENDED (SELECT id FROM items) UNION (SELECT 3)', 'EXPLAIN FORMAT=JSON SELECT * FROM items', 'SHOW CREATE TABLE items']) {
      const res = await run(query)
      t.equal(res.statusCode, 200, query)
    }
  })
}

t.test('EXPLAIN of anything but a read or a table is refused with nothing sent, as EXPLAIN ANALYZE could run it', async (t) => {
  const { run } = await setup(t)
  for (const query of ['EXPLAIN ANALYZE ALTER TABLE items ADD INDEX i (name)', 'EXPLAIN FOR SCHEMA other UPDATE items SET name = 1', "EXPLAIN 'e5b2c0a1'"]) {
    const res = await run(query)
    t.equal(res.statusCode, 403, query)
    t.equal(res.json().code, 'read_only_violation')
    t.match(res.json().message, /^This gateway is read-only: EXPLAIN of (ALTER|UPDATE|anything but a read or a table) is refused/)
  }
  const indexes = await run('SHOW INDEX FROM items')
  t.strictSame(indexes.json().rows.map((row: { Key_name: string }) => row.Key_name), ['PRIMARY'], 'no index was added')
})

for (const user of USERS) {
  t.test(`${user}: the refusal reaches nothing: no process, no file`, async (t) => {
    const { run } = await setup(t, user)
    const res = await run("SELECT 'x' INTO DUMPFILE '/tmp/sqlgate-should-not-exist'")
    t.equal(res.statusCode, 403)
    const { existsSync } = await import('node:fs')
    t.notOk(existsSync('/tmp/sqlgate-should-not-exist'))
  })
}

t.test('start-up warns when READ_ONLY=true but the database user can write', async (t) => {
  const logs: Array<Record<string, unknown>> = []
  await build(t, { logs }) // the tests run as root
  const warning = logs.find((line) => String(line.msg).startsWith('READ_ONLY=true, but the database user can write'))
  t.ok(warning, 'warned')
  t.match(warning?.privileges, ['ALL PRIVILEGES'])

  const readOnlyLogs: Array<Record<string, unknown>> = []
  await build(t, { logs: readOnlyLogs, env: { READ_ONLY: 'false' } })
  t.notOk(readOnlyLogs.some((line) => String(line.msg).startsWith('READ_ONLY=true')), 'no such warning with READ_ONLY=false')
})

t.test('no warning with a SELECT-only user, and queries run as usual', async (t) => {
  const db = await createDatabase(t, 'CREATE TABLE items (id INT); INSERT INTO items VALUES (1)')
  const logs: Array<Record<string, unknown>> = []
  const app = await build(t, { logs, env: { MYSQL_URL: await selectOnlyUserUrl(t, db) } })
  t.notOk(logs.some((line) => String(line.msg).startsWith('READ_ONLY=true, but')), 'no warning')
  const sessionId = randomSessionId()
  t.equal((await post(app, '/api/database/select', { database_name: db, session_id: sessionId })).statusCode, 200)
  t.strictSame((await post(app, '/api/query', { query: 'SELECT id FROM items', session_id: sessionId })).json().rows, [{ id: 1 }])
})
