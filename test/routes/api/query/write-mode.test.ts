import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import mysql from 'mysql2/promise'
import { build, createDatabase, post, selectedSession, TEST_MYSQL_URL } from '../../../helper.js'

t.test('READ_ONLY=false: one statement per request, autocommit, nothing carried to the next request', async (t) => {
  const app = await build(t, { env: { READ_ONLY: 'false', MYSQL_POOL_SIZE: '1' } }) // one connection: every request reuses it
  const db = await createDatabase(t, 'CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20))')
  const sessionId = await selectedSession(app, db)
  const run = (query: string, params?: unknown[]) => post(app, '/api/query', { query, session_id: sessionId, ...(params ? { params } : {}) })

  const insert = await run("INSERT INTO items VALUES (1, 'one'), (2, 'two')")
  t.equal(insert.statusCode, 200)
  t.equal(insert.json().affected_rows, 2)
  t.strictSame(insert.json().rows, [])
  t.strictSame((await run('UPDATE items SET name = ? WHERE id = ?', ['uno', 1])).json().affected_rows, 1)
  t.strictSame((await run('SELECT name FROM items ORDER BY id')).json().rows, [{ name: 'uno' }, { name: 'two' }], 'committed: autocommit')

  const stacked = await run('INSERT INTO items VALUES (3, \'x\'); DELETE FROM items')
  t.equal(stacked.json().code, 'multiple_statements')
  t.equal((await run('SELECT COUNT(*) AS n FROM items')).json().rows[0].n, '2', 'no part of a stacked statement ran')

  for (const query of ['USE mysql', 'SET @x = 1', 'START TRANSACTION', 'BEGIN', 'LOCK TABLES items WRITE', 'SET autocommit = 0']) {
    const res = await run(query)
    t.equal(res.json().code, 'unsupported_statement', query)
  }

  t.equal((await run('CREATE TEMPORARY TABLE scratch (a INT)')).statusCode, 200)
  const scratch = await run('SELECT * FROM scratch')
  t.equal(scratch.json().code, 'sql_error', 'a temporary table does not outlive its request')
  t.equal(scratch.json().errno, 1146)

  t.strictSame((await run('SELECT @v := 42 AS v')).json().rows, [{ v: 42 }])
  t.strictSame((await run('SELECT @v AS v')).json().rows, [{ v: null }], 'a user variable does not outlive its request')

  t.equal((await run('CREATE TABLE made (a INT)')).statusCode, 200, 'DDL runs')
  t.strictSame((await run('SHOW TABLES')).json().rows.map((r: Record<string, string>) => Object.values(r)[0]).sort(), ['items', 'made'])
})

t.test('a write that fails after changing its connection leaves nothing for the next request: its connection is retired too', async (t) => {
  // A procedure's statements run before its error, and what they leave stays on the connection
  // though the CALL answers an error (an error packet says nothing of the session's state).
  const app = await build(t, { env: { READ_ONLY: 'false', MYSQL_POOL_SIZE: '1' } }) // one connection: B runs right after A on it
  const db = await createDatabase(t, 'CREATE TABLE items (id INT PRIMARY KEY); CREATE TABLE ledger (id INT PRIMARY KEY)')
  const [a, b] = [await selectedSession(app, db), await selectedSession(app, db)]
  const run = async (session: string, query: string) => (await post(app, '/api/query', { query, session_id: session })).json()
  const fail = "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'failed on purpose'"
  t.equal((await run(a, `CREATE PROCEDURE shadows () BEGIN CREATE TEMPORARY TABLE items (secret VARCHAR(20)); INSERT INTO items VALUES ('from A'); SET @secret = 'from A'; ${fail}; END`)).success, true)
  t.equal((await run(a, `CREATE PROCEDURE opens () BEGIN START TRANSACTION; INSERT INTO ledger VALUES (1); ${fail}; END`)).success, true)

  t.equal((await run(a, 'CALL shadows()')).code, 'sql_error', "A's first CALL fails")
  t.strictSame((await run(b, 'SELECT * FROM items')).rows, [], "B reads the real table, not A's temporary one")
  t.strictSame((await run(b, 'SELECT @secret AS v')).rows, [{ v: null }], "nor A's user variable")

  t.equal((await run(a, 'CALL opens()')).code, 'sql_error', "A's second CALL fails, its transaction open")
  t.equal((await run(b, 'INSERT INTO ledger VALUES (2)')).affected_rows, 1)
  // It was, before: inside A's open transaction, rolled back when its connection (retired after a
  // write) closed, though B had been told it succeeded. Another connection sees what B committed.
  const other = await build(t)
  const c = await selectedSession(other, db)
  t.strictSame((await post(other, '/api/query', { query: 'SELECT id FROM ledger ORDER BY id', session_id: c })).json().rows, [{ id: 2 }], "B's row is committed; A's is not")
})

t.test("a CALL's OUT and INOUT parameters bound with ? come back as its last result set", async (t) => {
  // Without the client's PS_MULTI_RESULTS capability the server never sent them: the CALL answered
  // 200 with nothing, and the values were lost.
  const app = await build(t, { env: { READ_ONLY: 'false' } })
  const db = await createDatabase(t, `CREATE PROCEDURE doubles (IN a INT, OUT twice INT, INOUT note VARCHAR(10)) BEGIN SET twice = a * 2; SET note = CONCAT(note, '!'); END;
    CREATE PROCEDURE selects (IN a INT, OUT twice INT) BEGIN SELECT a AS given; SET twice = a * 2; END`)
  const sessionId = await selectedSession(app, db)
  const run = async (query: string, params: unknown[]) => (await post(app, '/api/query', { query, params, session_id: sessionId })).json()

  t.match(await run('CALL doubles(?, ?, ?)', [21, null, 'hi']), { columns: [{ name: 'twice', type: 'INT' }, { name: 'note' }], rows: [{ twice: 42, note: 'hi!' }], row_count: 1 })
  const both = await run('CALL selects(?, ?)', [5, null])
  t.strictSame([both.rows, both.more_results?.[0]?.rows], [[{ given: 5 }], [{ twice: 10 }]], "the procedure's own result set first, then the parameters")
})

t.test('a write that waits too long for another transaction\'s lock answers 409 lock_conflict with Retry-After, not 400', async (t) => {
  const app = await build(t, { env: { READ_ONLY: 'false' } })
  // The procedure shortens its own lock wait (50 s by default, past any statement timeout).
  const db = await createDatabase(t, `CREATE TABLE accounts (id INT PRIMARY KEY, balance INT); INSERT INTO accounts VALUES (1, 10);
    CREATE PROCEDURE pay () BEGIN SET SESSION innodb_lock_wait_timeout = 1; UPDATE accounts SET balance = balance - 1 WHERE id = 1; END`)
  const sessionId = await selectedSession(app, db)
  const holder = await mysql.createConnection({ uri: TEST_MYSQL_URL, database: db })
  t.teardown(() => holder.end())
  await holder.query('START TRANSACTION')
  await holder.query('SELECT * FROM accounts WHERE id = 1 FOR UPDATE')

  const blocked = await post(app, '/api/query', { query: 'CALL pay()', session_id: sessionId })
  t.equal(blocked.statusCode, 409)
  t.match(blocked.json(), { code: 'lock_conflict', errno: 1205, sql_state: 'HY000' })
  t.equal(blocked.headers['retry-after'], '1')
  await holder.query('COMMIT')
  t.equal((await post(app, '/api/query', { query: 'CALL pay()', session_id: sessionId })).statusCode, 200, 'run again, it succeeds')
  t.strictSame((await post(app, '/api/query', { query: 'SELECT balance FROM accounts', session_id: sessionId })).json().rows, [{ balance: 9 }], 'once')
})

t.test('a CALL that leaves a transaction open is rolled back and answers so, never 200 for writes that were then undone', async (t) => {
  const app = await build(t, { env: { READ_ONLY: 'false' } })
  const db = await createDatabase(t, 'CREATE TABLE ledger (id INT PRIMARY KEY)')
  const session = await selectedSession(app, db)
  const run = async (query: string) => (await post(app, '/api/query', { query, session_id: session })).json()
  t.equal((await run('CREATE PROCEDURE forgets () BEGIN START TRANSACTION; INSERT INTO ledger VALUES (1); END')).success, true)
  t.equal((await run('CREATE PROCEDURE commits () BEGIN START TRANSACTION; INSERT INTO ledger VALUES (2); COMMIT; END')).success, true)

  const open = await run('CALL forgets()')
  t.equal(open.code, 'transaction_left_open')
  t.match(open.message, /rolled back/)
  t.equal((await run('CALL commits()')).success, true, 'a procedure that commits answers as before')
  t.strictSame((await run('SELECT id FROM ledger ORDER BY id')).rows, [{ id: 2 }], 'the row of the open transaction was not kept; the committed one was')
  t.equal((await run('INSERT INTO ledger VALUES (1)')).affected_rows, 1, 'and its row is not locked by a transaction left behind')
})

t.test('a body that is not UTF-8 is refused whole (400 invalid_json); nothing is stored with U+FFFD in its place', async (t) => {
  const app = await build(t, { env: { READ_ONLY: 'false' } })
  const db = await createDatabase(t, 'CREATE TABLE names (name VARCHAR(20)) CHARACTER SET utf8mb4')
  const sessionId = await selectedSession(app, db)
  const insert = (payload: Buffer, contentType = 'application/json') =>
    app.inject({ method: 'POST', url: '/api/query', headers: { 'content-type': contentType, 'x-session-id': sessionId }, payload })

  // 'José' in Latin-1: 0xE9 alone is not UTF-8; declared Latin-1, it is refused for what it declares.
  const latin1 = Buffer.concat([Buffer.from('{"query": "INSERT INTO names VALUES (\'Jos'), Buffer.from([0xe9]), Buffer.from('\')"}')])
  const refused = await insert(latin1)
  t.equal(refused.statusCode, 400)
  t.match(refused.json(), { code: 'invalid_json', message: /not UTF-8/ })
  const declared = await insert(latin1, 'application/json; charset=latin1')
  t.strictSame([declared.statusCode, declared.json().code], [415, 'unsupported_media_type'], 'declared Latin-1')
  const stored = await insert(Buffer.from('{"query": "INSERT INTO names VALUES (\'José\')"}', 'utf8'))
  t.equal(stored.statusCode, 200, 'the same name in UTF-8 is stored')
  const rows = await post(app, '/api/query', { query: 'SELECT name FROM names', session_id: sessionId })
  t.strictSame(rows.json().rows, [{ name: 'José' }], 'only the UTF-8 one')

  const mcp = await app.inject({ method: 'POST', url: '/mcp', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, payload: Buffer.from([0x7b, 0xff, 0x7d]) })
  t.equal(mcp.json().code, 'invalid_json', '/mcp bodies too')

  // Valid UTF-8, but an escaped lone surrogate: the driver would send U+FFFD in its place.
  for (const payload of ['{"query": "INSERT INTO names VALUES (?)", "params": ["a\\ud800"]}', '{"query": "INSERT INTO names VALUES (\'\\udc00b\')"}', '{"query": "SELECT 1", "\\ud800": 1}']) {
    const refused = await insert(Buffer.from(payload))
    t.match(refused.json(), { statusCode: 400, code: 'invalid_json', message: /lone surrogate/ }, payload)
  }
  const paired = await insert(Buffer.from('{"query": "INSERT INTO names VALUES (?)", "params": ["\\ud83d\\ude00"]}'))
  t.equal(paired.statusCode, 200, 'an escaped pair is a character')
  const after = await post(app, '/api/query', { query: 'SELECT name FROM names ORDER BY name', session_id: sessionId })
  t.strictSame(after.json().rows, [{ name: 'José' }, { name: '\u{1F600}' }], 'stored as sent, and nothing else')
  const deep = await insert(Buffer.from(`{"query": "SELECT 1", "params": ${'['.repeat(100_000)}"\\u0041"${']'.repeat(100_000)}}`))
  t.equal(deep.statusCode, 400, 'a deeply nested body is looked through without overflowing the stack')
})

t.test('writes are strict: a value that does not fit its column is an error, and nothing is stored', async (t) => {
  const app = await build(t, { env: { READ_ONLY: 'false' } })
  const db = await createDatabase(t, 'CREATE TABLE s (name VARCHAR(5), n INT)')
  const sessionId = await selectedSession(app, db)
  const mode = await post(app, '/api/query', { query: 'SELECT @@SESSION.sql_mode AS mode', session_id: sessionId })
  t.match(mode.json().rows[0].mode, /STRICT_(TRANS|ALL)_TABLES/)
  for (const [query, errno] of [["INSERT INTO s VALUES ('abcdefgh', 1)", 1406], ["INSERT INTO s VALUES ('ok', '12abc')", 1265]] as const) {
    const res = await post(app, '/api/query', { query, session_id: sessionId })
    t.match(res.json(), { statusCode: 400, code: 'sql_error', errno }, query)
  }
  const rows = await post(app, '/api/query', { query: 'SELECT COUNT(*) AS n FROM s', session_id: sessionId })
  t.equal(rows.json().rows[0].n, '0')
})

t.test('a write whose rows pass max_rows is read to the end, so it commits as its answer says', async (t) => {
  // Closing the connection mid-result (as for a read past its cap) had made the server roll the
  // statement back, under an answer of 200 with truncated: true.
  const app = await build(t, { env: { READ_ONLY: 'false', MYSQL_POOL_SIZE: '1' } })
  const db = await createDatabase(t, 'CREATE TABLE w (id INT PRIMARY KEY, pad VARCHAR(100))')
  const sessionId = await selectedSession(app, db)
  const run = (query: string, maxRows = 5) => post(app, '/api/query', { query, session_id: sessionId, max_rows: maxRows })

  const insert = await run("INSERT INTO w SELECT seq, REPEAT('x', 100) FROM seq_1_to_50000 RETURNING id")
  t.equal(insert.statusCode, 200)
  t.strictSame(insert.json().rows, [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }, { id: 5 }])
  t.equal(insert.json().truncated, true)
  t.equal((await run('SELECT COUNT(*) AS n FROM w')).json().rows[0].n, '50000', 'every row inserted')

  const deleted = await run('DELETE FROM w WHERE id > 10 RETURNING id')
  t.equal(deleted.json().truncated, true)
  t.equal((await run('SELECT COUNT(*) AS n FROM w')).json().rows[0].n, '10', 'every row deleted')

  const read = await run('SELECT seq FROM seq_1_to_100000 LIMIT 100000', 3)
  t.strictSame(read.json().rows, [{ seq: '1' }, { seq: '2' }, { seq: '3' }], 'a read past its cap still stops early')
  t.equal((await run('SELECT COUNT(*) AS n FROM w')).json().rows[0].n, '10', 'and the connection after it serves the next request')
})

t.test('an INSERT answers the AUTO_INCREMENT id it generated, as a string; other statements none', async (t) => {
  // Nothing else can tell it: LAST_INSERT_ID() in the next request runs on another connection.
  const app = await build(t, { env: { READ_ONLY: 'false' } })
  const db = await createDatabase(t, `CREATE TABLE a (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(10));
    CREATE TABLE big (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY) AUTO_INCREMENT = 18446744073709551610;
    CREATE TABLE plain (v INT)`)
  const sessionId = await selectedSession(app, db)
  const run = (query: string, params?: unknown[]) => post(app, '/api/query', { query, session_id: sessionId, ...(params ? { params } : {}) })

  const one = await run("INSERT INTO a (name) VALUES ('x')")
  t.equal(one.json().insert_id, '1')
  t.equal(one.body.indexOf('"affected_rows":1,"insert_id":"1","execution_time_ms"') > 0, true, 'in the schema\'s order')
  const three = await run('INSERT INTO a (name) VALUES (?), (?), (?)', ['p', 'q', 'r'])
  t.equal(three.json().insert_id, '2', 'several rows: the first id generated, with params too')
  t.equal(three.json().affected_rows, 3)
  t.equal((await run('INSERT INTO big VALUES ()')).json().insert_id, '18446744073709551610', 'an unsigned BIGINT past 2^63, exactly')
  const update = await run("UPDATE a SET name = 'y' WHERE id = 1")
  t.equal(update.json().affected_rows, 1)
  t.notOk('insert_id' in update.json(), 'an UPDATE generated none')
  t.notOk('insert_id' in (await run('INSERT INTO plain VALUES (1)')).json(), 'nor an INSERT into a table without AUTO_INCREMENT')
  t.notOk('insert_id' in (await run('SELECT 1')).json(), 'nor a read')
  t.equal((await run('SELECT LAST_INSERT_ID() AS id')).json().code, 'unsupported_statement', 'LAST_INSERT_ID() is refused rather than answer another connection\'s id')
})

t.test('the value a sequence gave is in NEXTVAL\'s answer; LASTVAL() is refused rather than answer another connection\'s', async (t) => {
  // One connection, so without the refusal LASTVAL() would run where NEXTVAL() just ran.
  const app = await build(t, { env: { READ_ONLY: 'false', MYSQL_POOL_SIZE: '1' } })
  const db = await createDatabase(t, 'CREATE SEQUENCE s; CREATE TABLE child (parent BIGINT)')
  const sessionId = await selectedSession(app, db)
  const run = async (query: string) => (await post(app, '/api/query', { query, session_id: sessionId })).json()
  t.strictSame((await run('SELECT NEXTVAL(s) AS id')).rows, [{ id: '1' }])
  for (const query of ['SELECT LASTVAL(s) AS id', 'SELECT PREVIOUS VALUE FOR s AS id', 'INSERT INTO child VALUES (LASTVAL(s))']) {
    const answer = await run(query)
    t.equal(answer.code, 'unsupported_statement', query)
    t.match(answer.message, /^(LASTVAL\(\)|PREVIOUS VALUE FOR) is not supported/)
  }
  t.strictSame((await run('SELECT COUNT(*) AS n FROM child')).rows, [{ n: '0' }], 'no row stored a NULL parent')
})

t.test('no statement reads or writes files of the gateway\'s or the database server\'s host', async (t) => {
  // LOAD DATA LOCAL would have the server ask the gateway for a file of its own host (and the pool
  // does not offer the LOCAL_FILES capability either); the others reach the database server's
  // files, which a user with the FILE privilege (root) may read and write.
  const app = await build(t, { env: { READ_ONLY: 'false' } })
  const db = await createDatabase(t, 'CREATE TABLE lf (line TEXT)')
  const sessionId = await selectedSession(app, db)
  for (const query of ["LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE lf", "LOAD DATA INFILE '/etc/passwd' INTO TABLE lf", "SELECT LOAD_FILE('/etc/passwd') AS f", "INSERT INTO lf SELECT LOAD_FILE('/etc/passwd')", `SELECT 1 INTO OUTFILE '/tmp/sqlgate_${db}'`]) {
    const res = await post(app, '/api/query', { query, session_id: sessionId })
    t.strictSame([res.statusCode, res.json().code], [400, 'unsupported_statement'], query)
    t.notMatch(res.body, 'root:', `${query}: nothing of the file`)
  }
  t.equal((await post(app, '/api/query', { query: 'SELECT COUNT(*) AS n FROM lf', session_id: sessionId })).json().rows[0].n, '0')

  // A table's DATA or INDEX DIRECTORY puts its files, the rows' bytes as written, in any directory
  // the server may write to: here one made for it.
  const dir = mkdtempSync(join(tmpdir(), 'sqlgate-data-dir-'))
  chmodSync(dir, 0o777)
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  for (const query of [`CREATE TABLE placed (a INT) ENGINE=MyISAM DATA DIRECTORY = '${dir}'`, `CREATE TABLE placed (a INT) ENGINE=Aria INDEX DIRECTORY '${dir}'`,
    `CREATE TABLE placed (a INT) ENGINE=InnoDB DATA DIRECTORY='${dir}'`]) {
    const res = await post(app, '/api/query', { query, session_id: sessionId })
    t.strictSame([res.statusCode, res.json().code], [400, 'unsupported_statement'], query)
  }
  t.strictSame(readdirSync(dir), [], 'no file was written outside the database server\'s data directory')
})

t.test('with writes allowed, no statement makes an account or grants', async (t) => {
  // An account made through the gateway would reach the database past it: its sessions, limits and
  // refusals. (Replication and the server's logs are refused alike; the shared server's are left alone here.)
  const app = await build(t, { env: { READ_ONLY: 'false' } })
  const sessionId = await selectedSession(app, await createDatabase(t))
  const admin = await mysql.createConnection(TEST_MYSQL_URL)
  const user = `sqlgate_door_${Math.random().toString(36).slice(2, 10)}`
  t.teardown(async () => {
    await admin.query(`DROP USER IF EXISTS '${user}'@'%'`)
    await admin.end()
  })
  for (const query of [`CREATE USER '${user}'@'%' IDENTIFIED BY 'door'`, `GRANT ALL ON *.* TO '${user}'@'%' IDENTIFIED BY 'door'`, 'FLUSH PRIVILEGES']) {
    const res = await post(app, '/api/query', { query, session_id: sessionId })
    t.strictSame([res.statusCode, res.json().code], [400, 'unsupported_statement'], query)
  }
  const [users] = await admin.query('SELECT COUNT(*) AS n FROM mysql.user WHERE User = ?', [user]) as unknown as [Array<{ n: number | string }>]
  t.equal(Number(users[0]!.n), 0, 'no account was made')
})

t.test('CALL answers every result set of the procedure: the first as rows, the others in more_results', async (t) => {
  // mysql2 hands a CALL's closing OK packet over like a row: it had been answered as one
  // ({"fieldCount":0,"affectedRows":0,...} among the rows), and the second result set was lost.
  const app = await build(t, { env: { READ_ONLY: 'false', MYSQL_POOL_SIZE: '1', QUERY_MAX_RESULT_BYTES: '1024' } })
  const db = await createDatabase(t, `CREATE TABLE log (v INT);
    CREATE PROCEDURE two_sets (IN n INT) BEGIN
      SELECT 1 AS a;
      INSERT INTO log VALUES (n);
      SELECT 'x' AS b, n AS c, CAST(n AS DECIMAL(5,2)) AS d;
    END;
    CREATE PROCEDURE one_set () SELECT seq FROM seq_1_to_3;
    CREATE PROCEDURE no_set () INSERT INTO log VALUES (0);
    CREATE PROCEDURE long_sets () BEGIN SELECT seq FROM seq_1_to_20; SELECT seq FROM seq_1_to_20; END;
    CREATE PROCEDURE wide_sets () BEGIN SELECT REPEAT('x', 600) AS w FROM seq_1_to_3; SELECT REPEAT('y', 600) AS w FROM seq_1_to_3; END;
    CREATE PROCEDURE many_sets (IN n INT) BEGIN
      DECLARE i INT DEFAULT 0;
      WHILE i < n DO SELECT i AS i FROM DUAL WHERE i < 2; SET i = i + 1; END WHILE;
      INSERT INTO log VALUES (-1);
    END`)
  const sessionId = await selectedSession(app, db)
  const run = (query: string, more: Record<string, unknown> = {}) => post(app, '/api/query', { query, session_id: sessionId, ...more })

  const two = await run('CALL two_sets(7)')
  t.equal(two.statusCode, 200)
  t.match(two.json(), {
    columns: [{ name: 'a', type: 'INT' }],
    rows: [{ a: 1 }],
    row_count: 1,
    truncated: false,
    more_results: [{ columns: [{ name: 'b' }, { name: 'c' }, { name: 'd', type: 'DECIMAL' }], rows: [{ b: 'x', c: 7, d: '7.00' }], row_count: 1, truncated: false }]
  })
  t.equal(two.json().more_results.length, 1)
  t.equal(two.body.indexOf('"truncated":false,"more_results":[{"columns":') > 0, true, 'in the schema\'s order')
  const array = await run('CALL two_sets(?)', { params: [8], row_format: 'array' })
  t.strictSame(array.json().rows, [[1]], 'prepared, as arrays')
  t.strictSame(array.json().more_results[0].rows, [['x', 8, '8.00']])
  t.strictSame((await run('SELECT v FROM log ORDER BY v')).json().rows, [{ v: 7 }, { v: 8 }], 'both calls wrote')

  const one = await run('CALL one_set()')
  t.strictSame(one.json().rows, [{ seq: '1' }, { seq: '2' }, { seq: '3' }], 'no status packet among the rows')
  t.equal(one.json().row_count, 3)
  t.notOk('more_results' in one.json(), 'one result set: no more_results')
  const none = await run('CALL no_set()')
  t.match(none.json(), { columns: [], rows: [], row_count: 0, affected_rows: 1 })
  t.notOk('more_results' in none.json())

  const long = await run('CALL long_sets()', { max_rows: 5 })
  t.match(long.json(), { row_count: 5, truncated: true, more_results: [{ row_count: 5, truncated: true }] }, 'max_rows caps each result set')
  t.strictSame(long.json().more_results[0].rows, [1, 2, 3, 4, 5].map((seq) => ({ seq: String(seq) })))

  // QUERY_MAX_RESULT_BYTES is for the whole answer: the first set's first row is always kept, and
  // the answer stops there.
  const wide = await run('CALL wide_sets()')
  t.match(wide.json(), { row_count: 1, truncated: true })
  t.notOk('more_results' in wide.json(), 'no set past the size')
  t.equal((await run('SELECT COUNT(*) AS n FROM log')).json().rows[0].n, '3', 'and the connection serves the next request')

  // Result sets count with their columns: 20,000 of them (empty but two) make no answer of 20,000.
  const many = await run('CALL many_sets(20000)')
  t.equal(many.statusCode, 200)
  const sets = many.json().more_results as Array<{ row_count: number, truncated: boolean }>
  t.ok(sets.length > 3 && sets.length < 30, `${sets.length} result sets kept in 1 KiB`)
  t.strictSame(sets.slice(0, 2).map((set) => set.row_count), [1, 0], 'in order, from the second')
  t.ok(sets.at(-1)?.truncated, 'the last one kept says the answer stops there')
  t.ok(sets.slice(0, -1).every((set) => !set.truncated))
  t.ok(many.body.length < 4096, `an answer of ${many.body.length} bytes`)
  t.equal((await run('SELECT COUNT(*) AS n FROM log WHERE v = -1')).json().rows[0].n, '1', 'the procedure ran to its end')

  const history = (await app.inject({ method: 'GET', url: '/api/query/history', headers: { 'x-session-id': sessionId } })).json()
  t.equal(history.queries.find((entry: { query: string }) => entry.query === 'CALL two_sets(7)').row_count, 1, 'the history counts the first result set')
})

t.test('stored programs with a BEGIN … END body can be created: the semicolons inside are the body\'s', async (t) => {
  const app = await build(t, { env: { READ_ONLY: 'false' } })
  const db = await createDatabase(t, 'CREATE TABLE names (name VARCHAR(20)); CREATE TABLE keep (a INT)')
  const sessionId = await selectedSession(app, db)
  const run = (query: string) => post(app, '/api/query', { query, session_id: sessionId })

  const procedure = await run(`CREATE PROCEDURE add_name (IN n VARCHAR(20)) BEGIN
    INSERT INTO names VALUES (n);
    SELECT ROW_COUNT() AS added;
  END`)
  t.equal(procedure.statusCode, 200, procedure.body)
  const trigger = await run('CREATE TRIGGER shout BEFORE INSERT ON names FOR EACH ROW BEGIN SET NEW.name = UPPER(NEW.name); END;')
  t.equal(trigger.statusCode, 200, trigger.body)
  t.match((await run("CALL add_name('ann')")).json(), { rows: [{ added: 1 }] }, 'ROW_COUNT() inside the body is the body\'s own')
  t.strictSame((await run('SELECT name FROM names')).json().rows, [{ name: 'ANN' }], 'the procedure and the trigger ran')

  // The server, which gets no multi-statement capability, refuses text past the body's END whole.
  const stacked = await run('CREATE PROCEDURE sneaky () BEGIN SELECT 1; END; DROP TABLE keep')
  t.match(stacked.json(), { statusCode: 400, code: 'sql_error', errno: 1064 })
  t.equal((await run('SELECT COUNT(*) AS n FROM keep')).statusCode, 200, 'the table after it was not dropped')
  t.equal((await run('CALL sneaky()')).json().errno, 1305, 'nor the procedure created')
})

t.test('nothing a statement leaves on its connection outlives its answer: a lock it took is free when the answer arrives', async (t) => {
  const app = await build(t, { env: { READ_ONLY: 'false' } })
  const db = await createDatabase(t)
  const sessionId = await selectedSession(app, db)
  const admin = await mysql.createConnection({ uri: TEST_MYSQL_URL })
  t.teardown(() => admin.end())
  for (let i = 0; i < 5; i++) {
    const lock = `write_mode_lock_${i}_${sessionId}`.slice(0, 60)
    const res = await post(app, '/api/query', { query: 'SELECT GET_LOCK(?, 0) AS got', params: [lock], session_id: sessionId })
    t.equal(res.json().rows[0].got, 1, 'the statement took the lock')
    t.equal(app.mysql.shareStats().inUse, 0, `${i}: its connection was reset and back in the pool before the answer went out`)
    const [rows] = await admin.query('SELECT IS_USED_LOCK(?) AS holder', [lock]) as unknown as [Array<{ holder: number | null }>]
    t.equal(rows[0]!.holder, null, `${i}: the lock is released by the time the answer has come`)
  }
})

t.test('a connection reset after a write keeps the limits it had: the next statement with the same limits runs under them', async (t) => {
  // The reset's SET applies them again, so the next lease with the same limits sends no SET of its own.
  const app = await build(t, { env: { READ_ONLY: 'false', MYSQL_POOL_SIZE: '1' } })
  const db = await createDatabase(t, 'CREATE TABLE items (id INT PRIMARY KEY)')
  const sessionId = await selectedSession(app, db)
  const run = async (query: string) => (await post(app, '/api/query', { query, session_id: sessionId, timeout_ms: 1500, max_rows: 7 })).json()
  t.equal((await run('INSERT INTO items VALUES (1)')).affected_rows, 1)
  t.strictSame((await run('SELECT @@SESSION.max_statement_time AS t, @@SESSION.sql_select_limit AS l')).rows, [{ t: 1.5, l: '8' }])
})
