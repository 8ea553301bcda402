import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { connectionState } from '../../../fixtures/connection-state.js'
import { adminConnection, build, createDatabase, listen, post, randomSessionId, selectedSession, selectOnlyUserUrl } from '../../../helper.js'

/**
 * The escapes found by reading statements as an attacker would (issue #30), each against the real
 * MariaDB, with MYSQL_POOL_SIZE=1 so that the next session gets the very connection the attack
 * ran on; once as root and once as a database user that may only read.
 */

const USERS = ['root', 'select-only'] as const

/** A directory the database server may write into, removed when the test ends. */
function serverWritableDir (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'sqlgate-escape-'))
  chmodSync(dir, 0o777)
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

async function setup (t: Test, user: typeof USERS[number], env: Record<string, string> = {}) {
  const db = await createDatabase(t, `CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20));
    INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c');
    CREATE SEQUENCE s`)
  const url: Record<string, string> = user === 'root' ? {} : { MYSQL_URL: await selectOnlyUserUrl(t, db) }
  const app = await build(t, { env: { MYSQL_POOL_SIZE: '1', ...url, ...env } })
  const sessionId = await selectedSession(app, db)
  const run = (query: string, session = sessionId) => post(app, '/api/query', { query, session_id: session })
  const admin = await adminConnection(t)
  const table = async () => (await admin.query(`SELECT id, v FROM \`${db}\`.t ORDER BY id`))[0]
  const sequence = async () => ((await admin.query(`SELECT next_not_cached_value AS n FROM \`${db}\`.s`))[0] as Array<{ n: string }>)[0]!.n
  const tableCount = async () => ((await admin.query('SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [db]))[0] as Array<{ n: number }>)[0]!.n
  return { app, db, sessionId, run, admin, table, sequence, tableCount }
}

for (const user of USERS) {
  t.test(`${user}: the issue's example, /*T! SELECT ' */ SET STATEMENT tx_read_only=0 FOR DELETE …, is refused and deletes nothing`, async (t) => {
    const { run, table } = await setup(t, user)
    const before = await table()
    const res = await run("/*T! SELECT ' */ SET STATEMENT tx_read_only=0 FOR DELETE FROM t WHERE id=2 /* ' */")
    t.equal(res.statusCode, 403)
    t.equal(res.json().code, 'read_only_violation')
    t.strictSame(await table(), before)
  })

  t.test(`${user}: comments the server reads otherwise than a lexer that imitates it hide no write`, async (t) => {
    const { run, table, sequence, tableCount } = await setup(t, user)
    const dir = serverWritableDir(t)
    const file = join(dir, 'written')
    const [rows, next, tables] = [await table(), await sequence(), await tableCount()]
    // The database's own read-only mode stops plain writes on MariaDB; SET STATEMENT lifts it.
    const lifted = 'SET STATEMENT tx_read_only=0 FOR'
    const attempts = [
      `/*!999999 SELECT ' */ ${lifted} DELETE FROM t WHERE id=2 /* ' */`,
      `/*M!999999 SELECT ' */ ${lifted} DELETE FROM t WHERE id=2 /* ' */`,
      `/*!50701 SELECT ' */ ${lifted} UPDATE t SET v = 'x' /* ' */`,
      `/*T! SELECT ' */ ${lifted} INSERT INTO t VALUES (9, 'z') /* ' */`,
      `/*T! SELECT ' */ ${lifted} CREATE TABLE made (a INT) /* ' */`,
      `/*T! SELECT ' */ ${lifted} DROP TABLE t /* ' */`,
      `/*T! SELECT ' */ ${lifted} SELECT NEXTVAL(s) /* ' */`,
      `/*T! SELECT ' */ ${lifted} SELECT NEXT VALUE FOR s /* ' */`,
      `# x\rSELECT '\n${lifted} DELETE FROM t WHERE id=2 -- '`,
      `-- x\rSELECT '\n${lifted} DELETE FROM t WHERE id=2 -- '`,
      `SELECT 1 --\x7f'\n INTO OUTFILE '${file}' -- '`,
      `/*T! SELECT ' */ SELECT 1 INTO OUTFILE '${file}' /* ' */`,
      `SELECT 1e5INTO OUTFILE '${file}'`
    ]
    for (const query of attempts) {
      const res = await run(query)
      t.ok(res.statusCode === 200 || res.statusCode === 400 || res.statusCode === 403, `${JSON.stringify(query)}: ${res.statusCode} ${res.json().code ?? ''}`)
    }
    t.strictSame(await table(), rows, 'no row deleted, changed or added')
    t.equal(await sequence(), next, 'the sequence did not advance')
    t.equal(await tableCount(), tables, 'no table made or dropped')
    t.notOk(existsSync(file), 'no file written')
  })

  t.test(`${user}: a hidden KILL reaches no other connection, a hidden INSTALL SONAME no plugin loader`, async (t) => {
    const { run } = await setup(t, user)
    const victim = await adminConnection(t)
    const [[{ id }]] = await victim.query('SELECT CONNECTION_ID() AS id') as unknown as [[{ id: number }]]
    const sleeping = victim.query('SELECT SLEEP(2) AS slept')
    await new Promise((resolve) => setTimeout(resolve, 200))
    for (const query of [`/*T! SELECT ' */ KILL ${id} /* ' */`, `/*T! SELECT ' */ KILL QUERY ${id} /* ' */`]) {
      t.equal((await run(query)).json().code, 'read_only_violation', query)
    }
    const [[slept]] = await sleeping as unknown as [[{ slept: number }]]
    t.equal(Number(slept.slept), 0, 'the other client\'s statement ran to its end')
    const install = await run("/*T! SELECT ' */ INSTALL SONAME 'sqlgate_no_such_plugin' /* ' */")
    t.equal(install.json().code, 'read_only_violation', 'refused before the server (it would answer errno 1126, cannot open the library)')
  })

  t.test(`${user}: names in backticks are the names the deny-lists hold`, async (t) => {
    const { run, admin } = await setup(t, user)
    const lock = `escape_${randomSessionId()}`
    for (const [query, code] of [
      [`SELECT \`LOAD_FILE\`('/etc/hostname'), \`GET_LOCK\`('${lock}', 0)`, 'read_only_violation'],
      [`SELECT \`get_lock\` /* a comment */ ('${lock}', 0)`, 'read_only_violation'],
      [`SELECT /*!\`GET_LOCK\`*/('${lock}', 0)`, 'read_only_violation'],
      ['SELECT `LAST_INSERT_ID`(42)', 'read_only_violation'],
      ['SELECT `RELEASE_ALL_LOCKS`()', 'read_only_violation'],
      ['SELECT `NEXTVAL`(s)', 'read_only_violation'],
      ['SELECT @@`warning_count`', 'unsupported_statement'],
      ['SELECT @@session.`error_count`', 'unsupported_statement'],
      ['SELECT `FOUND_ROWS`()', 'unsupported_statement'],
      ['SELECT `LAST_INSERT_ID`()', 'unsupported_statement'],
      ['SELECT `WSREP_LAST_WRITTEN_GTID`()', 'unsupported_statement'],
      ["SELECT `wsrep_sync_wait_upto_gtid`('0-1-1', 1)", 'read_only_violation']
    ] as const) {
      t.equal((await run(query)).json().code, code, query)
    }
    const [[held]] = await admin.query('SELECT IS_USED_LOCK(?) AS holder', [lock]) as unknown as [[{ holder: number | null }]]
    t.equal(held.holder, null, 'no lock was taken')
  })

  t.test(`${user}: statements that change a connection's session, however hidden, leave nothing for the next session`, async (t) => {
    const { app, db, run } = await setup(t, user)
    const names = { variables: ['leak'], temporaryTable: 'leak_tmp', preparedStatement: 'leak_stmt', locks: ['leak_lock'] }
    const clean = await connectionState(app, db, names)
    for (const hidden of [
      'SET SESSION session_track_state_change = 0', 'SET @leak = 1', 'SET SESSION max_statement_time = 0',
      'SET SESSION tx_read_only = 0', 'CREATE TEMPORARY TABLE leak_tmp (a INT)', "PREPARE leak_stmt FROM 'SELECT 1'",
      'SELECT LAST_INSERT_ID(42)', "SELECT GET_LOCK('leak_lock', 0)", 'START TRANSACTION', 'SELECT 1 INTO @leak'
    ]) {
      for (const query of [`/*T! SELECT ' */ ${hidden} /* ' */`, `/*!999999 SELECT ' */ ${hidden} /* ' */`, `# \rSELECT '\n${hidden} -- '`]) {
        const res = await run(query)
        t.not(res.statusCode, 200, JSON.stringify(query))
      }
      await run('SELECT 1') // another session's ordinary read in between
      t.strictSame(await connectionState(app, db, names), clean, `after ${hidden}: the next session finds the connection as it was`)
    }
  })
}

t.test('stored functions that leave state on their connection (created as root) leave nothing for the next session', async (t) => {
  const { app, db, run, admin } = await setup(t, 'root')
  await admin.query(`USE \`${db}\``)
  await admin.query(`CREATE FUNCTION f_var_fail () RETURNS INT READS SQL DATA BEGIN SET @leak = 'secret'; RETURN (SELECT id FROM t); END;
    CREATE FUNCTION f_lock () RETURNS INT NO SQL RETURN GET_LOCK('leak_lock', 0);
    CREATE FUNCTION f_guards_off () RETURNS INT NO SQL BEGIN SET SESSION session_track_state_change = 0; SET SESSION tx_read_only = 0; RETURN 1; END;
    CREATE FUNCTION f_var () RETURNS INT NO SQL BEGIN SET @leak = 'kept'; RETURN 1; END;
    CREATE FUNCTION \`ſum\` () RETURNS INT NO SQL BEGIN SET @leak = 'kept'; RETURN 1; END;
    CREATE FUNCTION \`ﬁeld\` () RETURNS INT NO SQL RETURN GET_LOCK('leak_lock', 0)`)
  const names = { variables: ['leak'], temporaryTable: 'leak_tmp', preparedStatement: 'leak_stmt', locks: ['leak_lock'] }
  const clean = await connectionState(app, db, names)
  t.equal(clean.txReadOnly, 1)
  t.equal(clean.trackStateChange, 1)

  const failed = await run('SELECT f_var_fail()')
  t.equal(failed.json().errno, 1242, 'the function set @leak, then failed: Subquery returns more than 1 row')
  t.strictSame(await connectionState(app, db, names), clean, 'after a read that failed: no @leak')

  t.equal((await run('SELECT f_lock() AS locked')).json().rows[0].locked, 1, 'the function took the lock')
  t.strictSame(await connectionState(app, db, names), clean, 'the lock went with its read')
  const [[held]] = await admin.query("SELECT IS_USED_LOCK('leak_lock') AS holder") as unknown as [[{ holder: number | null }]]
  t.equal(held.holder, null, 'nobody holds it')

  t.equal((await run('SELECT f_guards_off() AS off')).statusCode, 200)
  t.strictSame(await connectionState(app, db, names), clean, 'tracking and read-only mode are on again for the next session')

  t.equal((await run('SELECT `f_var`() AS v')).statusCode, 200)
  t.strictSame(await connectionState(app, db, names), clean, 'a quoted call of a stored function is a stored function call')

  // JavaScript upper-cases ſum to SUM and ﬁeld to FIELD; the server folds ASCII letters only. The
  // lock ﬁeld() takes is state that session-state tracking does not report.
  for (const call of ['ſum()', 'ﬁeld()', '`ſum`()']) {
    t.equal((await run(`SELECT ${call} AS v`)).json().rows?.[0]?.v, 1, `${call} ran the stored function`)
    t.strictSame(await connectionState(app, db, names), clean, `${call}: a name that only JavaScript reads as a built-in's is a stored function call`)
  }
})

t.test('READ_ONLY=false: a hidden transaction cannot outlive its request and take the next session\'s write with it', async (t) => {
  const { app, db, run, admin } = await setup(t, 'root', { READ_ONLY: 'false' })
  for (const query of ["/*T! SELECT ' */ START TRANSACTION /* ' */", "/*!999999 SELECT ' */ BEGIN /* ' */", "SELECT 1 --\x7f'\n; START TRANSACTION -- '"]) {
    const res = await run(query)
    t.not(res.statusCode, 200, JSON.stringify(query))
  }
  t.equal((await run('SELECT * FROM t WHERE id = 1 FOR UPDATE')).statusCode, 200, 'a locking read runs as a write')
  const other = await selectedSession(app, db)
  t.equal((await run("UPDATE t SET v = 'new' WHERE id = 1", other)).statusCode, 200)
  const [[row]] = await admin.query(`SELECT v FROM \`${db}\`.t WHERE id = 1`) as unknown as [[{ v: string }]]
  t.equal(row.v, 'new', 'the next session\'s write is committed')
  const state = await connectionState(app, db, { variables: [], temporaryTable: 'x', preparedStatement: 'x', locks: [] })
  t.equal(state.inTransaction, 0, 'no transaction is open on the connection')
})

t.test('a typo is a syntax error naming the word, in both modes', async (t) => {
  for (const readOnly of ['true', 'false']) {
    const { run } = await setup(t, 'root', { READ_ONLY: readOnly })
    for (const [query, word] of [['SELCT * FROM t', 'SELCT'], ['SELEC 1', 'SELEC']]) {
      const res = await run(query!)
      t.equal(res.statusCode, 400, `${query} (READ_ONLY=${readOnly})`)
      t.equal(res.json().code, 'syntax_error')
      t.match(res.json().message, word!)
    }
  }
})

t.test('over MCP the example is refused as over HTTP', async (t) => {
  const { app, db, table } = await setup(t, 'root')
  const before = await table()
  const client = new Client({ name: 'sqlgate-test', version: '1.0.0' })
  await client.connect(new StreamableHTTPClientTransport(new URL(`${await listen(app)}/mcp`)))
  t.teardown(() => client.close())
  await client.callTool({ name: 'select_database', arguments: { database_name: db } })
  const result = await client.callTool({ name: 'run_query', arguments: { query: "/*T! SELECT ' */ SET STATEMENT tx_read_only=0 FOR DELETE FROM t WHERE id=2 /* ' */" } }) as { isError?: boolean, content: Array<{ text: string }> }
  t.equal(result.isError, true)
  t.equal(JSON.parse(result.content[0]!.text).code, 'read_only_violation')
  t.strictSame(await table(), before)
})
