import t from 'tap'
import { seededRandom } from '../../../fixtures/seeded-random.js'
import { adminConnection, build, createDatabase, post, randomSessionId, selectedSession } from '../../../helper.js'

/**
 * A stored program's body is statements the server runs later, as the routine's, event's or
 * trigger's: each is held to the rules a request's own statement is (what reaches past the data,
 * what shows other connections' statements, what reads the previous statement of a pooled
 * connection), wherever in the body it stands (plugins/app/query/sql/tokens.ts, statementStarts).
 * And stored code runs on a connection no other statement left anything on
 * (plugins/app/database/connection-setup.ts).
 */

const SEED = Number(process.env.FUZZ_SEED ?? 31)
const CASES = Number(process.env.FUZZ_CASES ?? 150)

const ACCOUNT = `door_${randomSessionId().slice(-8).toLowerCase()}`

/** Statements no request may run in write mode, each valid in a procedure's body. */
const REFUSED = [
  `CREATE USER '${ACCOUNT}'@'%'`,
  `GRANT USAGE ON *.* TO '${ACCOUNT}'@'%'`,
  'SET GLOBAL max_connections = 152',
  'SET @@global.max_connections = 152',
  'SET @a = 1, GLOBAL max_connections = 152',
  'KILL QUERY 1',
  'SHOW FULL PROCESSLIST',
  'SHOW ENGINE INNODB STATUS',
  'FLUSH TABLES',
  `SET PASSWORD FOR '${ACCOUNT}'@'%' = PASSWORD('x')`,
  'SELECT FOUND_ROWS() INTO @n',
  'STOP SLAVE',
  'PURGE BINARY LOGS BEFORE NOW()',
  'SHUTDOWN',
  "XA START 'sqlgate_held'",
  "XA PREPARE 'sqlgate_held'"
]

/** Where a statement may stand in a body: `$` is the statement. */
const PLACES = [
  '$', 'BEGIN $; END', 'lbl: BEGIN $; END lbl', 'BEGIN IF 1 THEN $; END IF; END', 'BEGIN IF 0 THEN DO 1; ELSEIF 1 THEN $; END IF; END',
  'BEGIN IF 0 THEN DO 1; ELSE $; END IF; END', 'BEGIN CASE WHEN 1 THEN $; END CASE; END', 'BEGIN WHILE 0 DO $; END WHILE; END',
  'BEGIN REPEAT $; UNTIL 1 END REPEAT; END', 'BEGIN l: LOOP $; LEAVE l; END LOOP l; END', 'BEGIN DECLARE CONTINUE HANDLER FOR SQLEXCEPTION $; DO 1; END',
  'BEGIN DECLARE c CONDITION FOR 1062; DECLARE EXIT HANDLER FOR c, SQLWARNING $; DO 1; END', 'BEGIN FOR i IN 1..2 DO $; END FOR; END'
]

/** A stored program's head, then its body; `#` is its name. */
const HEADS = [
  'CREATE PROCEDURE #() ', "CREATE DEFINER = CURRENT_USER PROCEDURE #(IN a INT) COMMENT 'x' NOT DETERMINISTIC MODIFIES SQL DATA SQL SECURITY INVOKER ",
  'CREATE OR REPLACE PROCEDURE #(a INT) LANGUAGE SQL ', 'CREATE EVENT # ON SCHEDULE AT CURRENT_TIMESTAMP + INTERVAL 1 DAY DO ',
  'CREATE EVENT # ON SCHEDULE EVERY 1 DAY ON COMPLETION PRESERVE DISABLE DO '
]

/** The statement's words in mixed case, apart by a space, a newline or a comment. */
function disguised (random: () => number, sql: string): string {
  const gaps = [' ', '\n', ' /* c */ ', '\t']
  return sql.split(' ').map((word) => (/^[A-Za-z_]+$/.test(word) && random() < 0.5 ? [...word].map((c) => (random() < 0.5 ? c.toLowerCase() : c.toUpperCase())).join('') : word))
    .reduce((text, word) => `${text}${gaps[Math.floor(random() * gaps.length)]!}${word}`)
}

t.test('with writes allowed, a statement refused in a request is refused anywhere in a stored program\'s body', async (t) => {
  const db = await createDatabase(t, 'CREATE TABLE t (id INT)')
  const app = await build(t, { env: { READ_ONLY: 'false', RATE_LIMIT_MAX: '1000000', RATE_LIMIT_ADDRESS_MAX: '1000000' } })
  const session = await selectedSession(app, db)
  const admin = await adminConnection(t)
  t.teardown(async () => { await admin.query(`DROP USER IF EXISTS '${ACCOUNT}'@'%'`) })
  const [[before]] = await admin.query('SELECT @@global.max_connections AS m') as unknown as [[{ m: number }]]
  const random = seededRandom(SEED)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
  let created = 0
  for (let i = 0; i < CASES; i++) {
    const head = pick(HEADS).replace('#', `p${i}`)
    const place = pick(PLACES)
    const refused = disguised(random, pick(REFUSED))
    // The same program with a harmless statement in the place: the server creates it, so the
    // refusal below is the gateway's rule, not a syntax error.
    const harmless = await post(app, '/api/query', { query: head + place.replace('$', 'DO 1'), session_id: session })
    t.equal(harmless.statusCode, 200, `${head}${place} with DO 1`)
    created++
    const query = head.replace(`p${i}`, `q${i}`) + place.replace('$', refused)
    const res = await post(app, '/api/query', { query, session_id: session })
    if (res.statusCode !== 400 || res.json().code !== 'unsupported_statement') t.fail(query, { got: res.json() })
  }
  t.pass(`${CASES} programs, each refused with its statement and created without it (seed ${SEED})`)
  const [[made]] = await admin.query('SELECT (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?) + (SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?) AS n', [db, db]) as unknown as [[{ n: number | string }]]
  t.equal(Number(made.n), created, 'only the harmless programs exist')
  const [users] = await admin.query('SELECT user FROM mysql.user WHERE user = ?', [ACCOUNT]) as unknown as [unknown[]]
  t.equal(users.length, 0, 'no account was made')
  const [[after]] = await admin.query('SELECT @@global.max_connections AS m') as unknown as [[{ m: number }]]
  t.equal(after.m, before.m, 'no global setting changed')
})

t.test('a body may still read its own statements\' results, global settings and status, and alter its tables', async (t) => {
  const db = await createDatabase(t, 'CREATE TABLE t (id INT, a INT)')
  const app = await build(t, { env: { READ_ONLY: 'false' } })
  const session = await selectedSession(app, db)
  const run = async (query: string) => (await post(app, '/api/query', { query, session_id: session })).json()
  t.equal((await run(`CREATE PROCEDURE own () BEGIN
      DECLARE m TEXT DEFAULT 'none';
      DECLARE CONTINUE HANDLER FOR SQLEXCEPTION GET DIAGNOSTICS CONDITION 1 m = MESSAGE_TEXT;
      INSERT INTO t VALUES (1, 1), (2, 2);
      SELECT ROW_COUNT() AS n, @@warning_count AS w, @@global.max_connections > 0 AS g;
      SELECT * FROM no_such_table;
      SELECT m;
      SHOW GLOBAL STATUS LIKE 'Uptime';
    END`)).success, true)
  const called = await run('CALL own()')
  t.strictSame(called.rows, [{ n: '2', w: '0', g: 1 }], 'its own INSERT\'s row count')
  t.match(called.more_results[0].rows[0].m, /no_such_table/, 'its own error, read in its handler')
  t.equal(called.more_results[1].rows[0].Variable_name, 'Uptime')
  t.equal((await run('CREATE PROCEDURE migrates () ALTER TABLE t CHANGE a b INT')).success, true, 'ALTER TABLE … CHANGE is no CHANGE MASTER')
  t.equal((await run('CREATE SEQUENCE sq')).success, true)
  t.equal((await run('CREATE PROCEDURE numbered () BEGIN DO NEXTVAL(sq); SELECT LASTVAL(sq) AS l, PREVIOUS VALUE FOR sq AS p; END')).success, true)
  t.strictSame((await run('CALL numbered()')).rows, [{ l: '1', p: '1' }], 'the value its own NEXTVAL took')
})

t.test('stored code runs on a connection another session\'s statement left nothing on: no warnings, no counters', async (t) => {
  // One connection: the attacker's statement runs where the victim's just ran.
  const db = await createDatabase(t, 'CREATE TABLE t (id INT, v TEXT)')
  const app = await build(t, { env: { READ_ONLY: 'false', MYSQL_POOL_SIZE: '1' } })
  const [victim, attacker] = [await selectedSession(app, db), await selectedSession(app, db)]
  const run = async (session: string, query: string) => (await post(app, '/api/query', { query, session_id: session })).json()
  const diagnostics = "DECLARE m TEXT DEFAULT 'none'; DECLARE CONTINUE HANDLER FOR SQLEXCEPTION SET m = 'none'; GET DIAGNOSTICS CONDITION 1 m = MESSAGE_TEXT"
  for (const program of [
    'CREATE PROCEDURE warnings () SHOW WARNINGS',
    `CREATE PROCEDURE diagnosed () BEGIN ${diagnostics}; SELECT m; END`,
    "CREATE PROCEDURE counted () SHOW STATUS LIKE 'Rows_sent'",
    `CREATE FUNCTION diagnosis () RETURNS TEXT BEGIN ${diagnostics}; RETURN m; END`,
    `CREATE TRIGGER noted BEFORE INSERT ON t FOR EACH ROW BEGIN ${diagnostics}; SET NEW.v = m; END`
  ]) t.equal((await run(attacker, program)).success, true, program)

  const secret = `alice-${randomSessionId().slice(-8)}@example.com`
  const victimReads = async () => {
    const read = await run(victim, `SELECT '${secret}' + 1 AS x FROM seq_1_to_40`)
    t.match(read.warnings?.[0]?.message, secret, 'the victim\'s read left a warning that quotes its value')
  }
  await victimReads()
  const warnings = await run(attacker, 'CALL warnings()')
  t.strictSame(warnings.rows, [], 'a procedure\'s SHOW WARNINGS shows none of the victim\'s')
  await victimReads()
  t.strictSame((await run(attacker, 'CALL diagnosed()')).rows, [{ m: 'none' }], 'nor does its GET DIAGNOSTICS')
  await victimReads()
  t.ok(Number((await run(attacker, 'CALL counted()')).rows[0].Value) < 40, 'its counters do not count the victim\'s rows')
  await victimReads()
  t.strictSame((await run(attacker, 'SELECT diagnosis() AS m')).rows, [{ m: 'none' }], 'a function called by a read')
  await victimReads()
  t.equal((await run(attacker, 'INSERT INTO t (id) VALUES (1)')).affected_rows, 1)
  t.strictSame((await run(attacker, 'SELECT v FROM t')).rows, [{ v: 'none' }], 'a trigger fired by a write')

  // Its own session's statement just before is its own to read: no reset is spent on it.
  t.ok((await run(attacker, "SELECT 'mine' + 1 AS x")).warnings?.length > 0)
  t.match((await run(attacker, 'CALL warnings()')).rows, [{ Message: /'mine'/ }], 'after its own read, a procedure reads that read\'s warnings')
})

t.test('with writes allowed, no view is made that runs stored code unseen: what that code leaves would stay with a pooled connection', async (t) => {
  const db = await createDatabase(t, 'CREATE TABLE t (id INT)')
  const app = await build(t, { env: { READ_ONLY: 'false', MYSQL_POOL_SIZE: '1' } })
  const attacker = await selectedSession(app, db)
  const run = async (session: string, query: string) => (await post(app, '/api/query', { query, session_id: session })).json()
  const lock = `held_${randomSessionId().slice(-8)}`
  t.equal((await run(attacker, `CREATE FUNCTION locks () RETURNS INT RETURN GET_LOCK('${lock}', 0)`)).success, true)
  for (const query of ['CREATE VIEW held AS SELECT locks() AS x', 'CREATE OR REPLACE ALGORITHM = MERGE SQL SECURITY INVOKER VIEW held (x) AS SELECT * FROM t WHERE id IN (SELECT locks())',
    `CREATE VIEW held AS SELECT \`${db}\`.locks() AS x`, 'CREATE PROCEDURE makes () BEGIN CREATE VIEW held AS SELECT 1 AS x; END']) {
    t.strictSame((await run(attacker, query)).code, 'unsupported_statement', query)
  }
  t.equal((await run(attacker, 'CREATE VIEW plain (n, at) AS SELECT COUNT(*), NOW() FROM t')).success, true, 'a view of built-ins is made')

  // The channel, with a view made outside the gateway (which docs/read-only.md says not to serve).
  const admin = await adminConnection(t)
  await admin.query(`CREATE VIEW \`${db}\`.made_outside AS SELECT \`${db}\`.locks() AS x`)
  t.strictSame((await run(attacker, 'SELECT x FROM made_outside')).rows, [{ x: 1 }])
  const [[held]] = await admin.query('SELECT IS_USED_LOCK(?) AS holder', [lock]) as unknown as [[{ holder: number | null }]]
  t.not(held.holder, null, 'read through such a view, the lock stays with the pooled connection')
})

t.test('every way of writing a program\'s DEFINER that the server accepts is read as a program\'s head, so its body is judged', async (t) => {
  // A head the gateway did not read as one would let a one-statement body through unjudged.
  const db = await createDatabase(t)
  const app = await build(t, { env: { READ_ONLY: 'false', RATE_LIMIT_MAX: '1000000', RATE_LIMIT_ADDRESS_MAX: '1000000' } })
  const session = await selectedSession(app, db)
  const admin = await adminConnection(t)
  await admin.query(`USE \`${db}\``)
  const users = ['CURRENT_USER', 'CURRENT_USER()', 'CURRENT_USER ( )', "'root'@'localhost'", 'root@localhost', '`root`@`localhost`', '"root"@"localhost"', "root@'%'",
    "''@'localhost'", 'root@127.0.0.1', "root@'::1'", 'root@my$host', 'root@localhost.localdomain', 'root@`%`', "root/**/@'%'", "_utf8mb4'root'@'localhost'",
    "X'726f6f74'@'localhost'", "root@'local\\'host'"]
  let accepted = 0
  for (const [i, user] of users.entries()) {
    for (const gap of [' ', '/**/', '\n', ' /*!*/ ']) {
      const head = `CREATE OR REPLACE DEFINER${gap}=${gap}${user}${gap}PROCEDURE`
      // What the server makes of the head, written directly; then the same head through the gateway.
      const made = await admin.query(`${head} direct_${i} () DO 1`).then(() => true, () => false)
      if (!made) continue
      accepted++
      const res = await post(app, '/api/query', { query: `${head} through_${i} () KILL QUERY 1`, session_id: session })
      t.not(res.statusCode, 200, head)
    }
  }
  t.ok(accepted > 50, `${accepted} heads the server accepts, each read as one`)
})

t.test('a procedure made elsewhere that leaves an XA transaction prepared answers so, and leaves it to XA RECOVER', async (t) => {
  // Made past the gateway, which refuses XA in a body. Its connection is closed, not reset:
  // MariaDB keeps a prepared XA transaction whose connection was reset, locks and all, past XA
  // ROLLBACK, until the server restarts.
  const xid = `sqlgate_${randomSessionId().slice(-10).toLowerCase()}`
  const db = await createDatabase(t, `CREATE TABLE t (id INT PRIMARY KEY);
    CREATE PROCEDURE held () BEGIN XA START '${xid}'; INSERT INTO t VALUES (1); XA END '${xid}'; XA PREPARE '${xid}'; END`)
  const app = await build(t, { env: { READ_ONLY: 'false', MYSQL_POOL_SIZE: '1' } })
  const session = await selectedSession(app, db)
  const admin = await adminConnection(t)
  try {
    const called = (await post(app, '/api/query', { query: 'CALL held()', session_id: session })).json()
    t.equal(called.code, 'transaction_left_open')
    t.match(called.message, /neither kept nor undone.*XA RECOVER/, 'not said to be rolled back, and how to end it')
    const [prepared] = await admin.query('XA RECOVER') as unknown as [Array<{ data: Buffer | string }>]
    t.ok(prepared.some((row) => String(row.data) === xid), 'XA RECOVER finds it')
    const next = await post(app, '/api/query', { query: 'SELECT COUNT(*) AS n FROM t', session_id: session })
    t.strictSame(next.json().rows, [{ n: '0' }], 'the next request runs on a connection of its own')
  } finally {
    await admin.query(`XA ROLLBACK '${xid}'`).catch(() => {})
  }
  await admin.query('SET SESSION innodb_lock_wait_timeout = 2')
  await admin.query(`INSERT INTO \`${db}\`.t VALUES (1)`)
  t.pass('XA ROLLBACK ended it: its row is free')
})
