import t, { type Test } from 'tap'
import mysql from 'mysql2/promise'
import { seededRandom } from '../../../fixtures/seeded-random.js'
import { adminConnection, build, createDatabase, post, randomSessionId, selectOnlyUserUrl } from '../../../helper.js'

/**
 * No session reads the statements another session runs. The pool's connections serve every
 * session under one database user, and a user sees its own connections' statements without any
 * privilege: SHOW PROCESSLIST, run by any session, would have shown the others' statements, their
 * values included (plugins/app/query/sql/refusals.ts, otherStatementsReference).
 */
t.test('a session cannot read the statement another session is running, even as a user that may only read', async (t) => {
  const db = await createDatabase(t, 'CREATE TABLE t (id INT)')
  const url = await selectOnlyUserUrl(t, db)
  const app = await build(t, { env: { MYSQL_URL: url } })
  const [victim, attacker] = [randomSessionId(), randomSessionId()]
  for (const session of [victim, attacker]) t.equal((await post(app, '/api/database/select', { database_name: db, session_id: session })).statusCode, 200)

  const secret = `card-${randomSessionId()}`
  const running = post(app, '/api/query', { query: `SELECT SLEEP(2) AS s, '${secret}' AS c`, session_id: victim })
  // The channel is there: the same database user, with no privilege but SELECT, sees it.
  const sameUser = await mysql.createConnection({ uri: url })
  t.teardown(() => sameUser.end())
  let seen = false
  for (let i = 0; i < 50 && !seen; i++) {
    const [rows] = await sameUser.query('SHOW FULL PROCESSLIST') as unknown as [Array<{ Info: string | null }>]
    seen = rows.some((row) => row.Info?.includes(secret) === true)
    if (!seen) await new Promise((resolve) => setTimeout(resolve, 20))
  }
  t.ok(seen, 'the database user sees the victim\'s statement in its process list')

  for (const query of ['SHOW PROCESSLIST', 'SHOW FULL PROCESSLIST', 'SELECT info FROM information_schema.PROCESSLIST', 'SELECT * FROM `INFORMATION_SCHEMA`.`processlist`',
    'SELECT (SELECT GROUP_CONCAT(info) FROM information_schema.processlist) AS x', 'TABLE information_schema.processlist', 'SHOW EXPLAIN FOR 1', 'SHOW ANALYZE FOR 1',
    'SELECT sys.ps_thread_trx_info(1) AS s']) {
    const res = await post(app, '/api/query', { query, session_id: attacker })
    t.strictSame([res.statusCode, res.json().code], [400, 'unsupported_statement'], query)
    t.notOk(res.body.includes(secret), 'and the answer does not hold the secret')
  }
  const history = await app.inject({ url: '/api/query/history', headers: { 'x-session-id': attacker } })
  t.notOk(history.body.includes(secret))
  t.equal((await running).statusCode, 200, 'the victim\'s statement ran undisturbed')
})

/**
 * Two sessions in `db`, the victim's running a statement that holds a secret for `seconds`: the
 * attacker's session, the secret, the victim's answer to come, and whether the statement still
 * runs (as the server's process list shows it to an administrator).
 */
async function victimRunning (t: Test, app: Awaited<ReturnType<typeof build>>, db: string, seconds: number) {
  const [victim, attacker] = [randomSessionId(), randomSessionId()]
  for (const session of [victim, attacker]) t.equal((await post(app, '/api/database/select', { database_name: db, session_id: session })).statusCode, 200)
  const secret = `card-${randomSessionId()}`
  const running = post(app, '/api/query', { query: `SELECT SLEEP(${seconds}) AS s, '${secret}' AS c`, session_id: victim, timeout_ms: 60_000 })
  const admin = await adminConnection(t)
  const visible = async () => {
    const [rows] = await admin.query('SELECT info FROM information_schema.PROCESSLIST') as unknown as [Array<{ info: string | null }>]
    return rows.some((row) => row.info?.includes(secret) === true)
  }
  for (let i = 0; i < 50 && !await visible(); i++) await new Promise((resolve) => setTimeout(resolve, 20))
  t.ok(await visible(), 'the victim\'s statement is running, to be read')
  return { attacker, secret, running, visible, admin }
}

/**
 * SQL that reaches the gateway as a string is all the gateway reads of it: a procedure that runs
 * its argument (the sys schema's execute_prepared_stmt, or one a session would create with PREPARE
 * … FROM or EXECUTE IMMEDIATE) would run what every rule above refuses, with writes allowed.
 */
t.test('with writes allowed, no session runs SQL from a string: the sys schema, dynamic SQL in a stored program, mysql\'s routines', async (t) => {
  const db = await createDatabase(t, 'CREATE TABLE t (id INT)')
  const app = await build(t, { env: { READ_ONLY: 'false' } })
  const { attacker, secret, running, admin } = await victimRunning(t, app, db, 2)

  const read = "'SELECT info FROM information_schema.PROCESSLIST'"
  for (const query of [
    `CALL sys.execute_prepared_stmt(${read})`,
    `CALL \`SYS\` . execute_prepared_stmt(${read})`,
    "CALL sys.execute_prepared_stmt('SELECT LOAD_FILE(''/etc/passwd'') AS f')",
    'SELECT sys.ps_thread_trx_info(1) AS s',
    'SELECT * FROM sys.statement_analysis',
    "CALL mysql.DropGeometryColumn('', 'x', 't', 'id')",
    'CREATE PROCEDURE run_text (s TEXT) BEGIN PREPARE x FROM s; EXECUTE x; DEALLOCATE PREPARE x; END',
    'CREATE PROCEDURE run_text (s TEXT) EXECUTE IMMEDIATE s',
    'CREATE PROCEDURE run_text (s TEXT) BEGIN SET @s = s; PREPARE x FROM @s; EXECUTE x; END',
    "CREATE EVENT run_text ON SCHEDULE AT CURRENT_TIMESTAMP DO EXECUTE IMMEDIATE 'SELECT 1'"
  ]) {
    const res = await post(app, '/api/query', { query, session_id: attacker })
    t.strictSame([res.statusCode, res.json().code], [400, 'unsupported_statement'], query)
    t.notOk(res.body.includes(secret) || res.body.includes('root:'), 'and the answer holds neither the secret nor the file')
  }
  const [routines] = await admin.query('SELECT COUNT(*) AS n FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?', [db]) as unknown as [Array<{ n: number | string }>]
  t.equal(Number(routines[0]!.n), 0, 'no procedure was created')
  t.equal((await post(app, '/api/query', { query: 'SELECT prepare x FROM (SELECT 1 AS prepare) d', session_id: attacker })).statusCode, 200,
    'outside a stored program, a column named prepare is a column')
  t.equal((await running).statusCode, 200, 'the victim\'s statement ran undisturbed')
})

t.test('a session cannot count the rows of another session\'s query through the pooled connection\'s counters', async (t) => {
  // One connection: the attacker's statement runs where the victim's just ran.
  const db = await createDatabase(t, 'CREATE TABLE patients (id INT, diagnosis VARCHAR(20)); INSERT INTO patients SELECT seq, IF(seq % 7 = 0, \'x\', \'y\') FROM seq_1_to_260')
  const app = await build(t, { env: { MYSQL_POOL_SIZE: '1' } })
  const [victim, attacker] = [randomSessionId(), randomSessionId()]
  for (const session of [victim, attacker]) t.equal((await post(app, '/api/database/select', { database_name: db, session_id: session })).statusCode, 200)
  const counters = ["SHOW SESSION STATUS LIKE 'Rows_sent'", "SHOW STATUS WHERE Variable_name = 'Last_query_cost'", "SELECT variable_value FROM information_schema.session_status WHERE variable_name = 'ROWS_SENT'"]
  for (const query of counters) {
    const before = await post(app, '/api/query', { query, session_id: attacker })
    t.equal((await post(app, '/api/query', { query: "SELECT id FROM patients WHERE diagnosis = 'x'", session_id: victim })).json().row_count, 37)
    const after = await post(app, '/api/query', { query, session_id: attacker })
    for (const res of [before, after]) t.strictSame([res.statusCode, res.json().code], [400, 'unsupported_statement'], query)
  }
  t.equal((await post(app, '/api/query', { query: "SHOW GLOBAL STATUS LIKE 'Uptime'", session_id: attacker })).statusCode, 200, 'the server\'s own counters stay readable')
})

const SEED = Number(process.env.FUZZ_SEED ?? 23)
const CASES = Number(process.env.FUZZ_CASES ?? 300)

/** A way to write `word` that the server reads as it: case mixed, in backticks (a name, not a keyword), or in an executable comment. */
function spelt (random: () => number, word: string, keyword = false): string {
  const mixed = [...word].map((c) => (random() < 0.5 ? c.toUpperCase() : c.toLowerCase())).join('')
  const roll = random()
  if (roll < 0.3) return mixed
  if (roll < 0.6 && !keyword) return `\`${mixed}\``
  if (roll < 0.8) return `/*!${mixed}*/`
  return word
}

const DOT = [' . ', '.', '/**/./**/', '\n.\n', '/*!.*/']
const TABLES: Array<[string, string, string]> = [
  ['information_schema', 'processlist', 'info'], ['information_schema', 'processlist', '*'], ['performance_schema', 'events_statements_current', 'sql_text'],
  ['performance_schema', 'threads', 'processlist_info'], ['sys', 'processlist', 'current_statement'], ['sys', 'statement_analysis', 'query'], ['mysql', 'general_log', 'argument']
]

/** A statement that would read what other connections run, spelt at random. */
function generated (random: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
  if (random() < 0.2) {
    const words = [spelt(random, 'SHOW', true), ...(random() < 0.5 ? [spelt(random, 'FULL', true)] : []), spelt(random, 'PROCESSLIST', true)]
    return words.join(pick([' ', ' /* c */ ', '\n']))
  }
  if (random() < 0.15) {
    // Every write of every session, as written (the binary log, where the user may read it), or the connection's earlier statements.
    const what = pick([['BINLOG', 'EVENTS'], ['RELAYLOG', 'EVENTS'], ['PROFILES']])
    return [spelt(random, 'SHOW', true), ...what.map((word) => spelt(random, word, true))].join(pick([' ', ' /* c */ ', '\n']))
  }
  const [schema, table, column] = pick(TABLES)
  const source = `${spelt(random, schema)}${pick(DOT)}${spelt(random, table)}`
  return pick([
    `SELECT ${column} FROM ${source}`,
    `TABLE ${source}`,
    `SELECT (SELECT GROUP_CONCAT(${column === '*' ? 'info' : column}) FROM ${source}) AS x`,
    `WITH p AS (SELECT * FROM ${source}) SELECT * FROM p`,
    `SELECT 1 UNION ALL SELECT ${column === '*' ? 'info' : column} FROM ${source}`,
    `(SELECT * FROM ${source})`
  ])
}

t.test(`generated spellings never read another session's running statement (seed ${SEED}, ${CASES} cases)`, async (t) => {
  const db = await createDatabase(t, 'CREATE TABLE t (id INT)')
  const app = await build(t, { env: { RATE_LIMIT_MAX: '1000000', RATE_LIMIT_ADDRESS_MAX: '1000000' } })
  const { attacker, secret, running, visible } = await victimRunning(t, app, db, Math.min(50, Math.ceil(CASES / 100) + 3))

  const random = seededRandom(SEED)
  const codes: Record<string, number> = {}
  let leaks = 0
  for (let i = 0; i < CASES; i++) {
    const query = generated(random)
    const res = await post(app, '/api/query', { query, session_id: attacker })
    const code = res.statusCode === 200 ? 'ran' : String(res.json().code)
    codes[code] = (codes[code] ?? 0) + 1
    if (res.body.includes(secret) && leaks++ < 5) t.fail(`case ${i} read the victim's statement: ${query}`)
  }
  t.ok(await visible(), 'and still running when the last one was answered')
  t.equal(leaks, 0, `no answer held the victim's statement (${JSON.stringify(codes)})`)
  t.equal(codes.ran ?? 0, 0, 'none of them ran')
  const victimAnswer = await running
  t.equal(victimAnswer.statusCode, 200, `the victim's statement ran the whole time: ${victimAnswer.body.slice(0, 300)}`)
})
