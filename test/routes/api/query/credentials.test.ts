import t, { type Test } from 'tap'
import mysql from 'mysql2/promise'
import { seededRandom } from '../../../fixtures/seeded-random.js'
import { adminConnection, build, createDatabase, post, selectedSession, selectOnlyUserUrl, TEST_MYSQL_URL } from '../../../helper.js'

/**
 * No answer carries a credential the database server keeps. MariaDB shows a user its own password
 * hash without any privilege (SHOW GRANTS, SHOW CREATE USER), and the gateway's one database user
 * is every session's: without plugins/app/query/sql/credentials.ts, any client of a read-only
 * gateway would read the hash of its database password. Statements are generated in the disguises the
 * server reads (case, comments and executable comments between words, quoted names, spaces around
 * the point), each checked to show the hash when run on the server directly, then sent through the
 * gateway: refused, and no answer holds the hash.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 57)
const CASES = Number(process.env.FUZZ_CASES ?? 120)

/**
 * A statement as parts: `#` marks a name, which may be quoted, `=` one whose case the server keeps
 * (a schema's or table's, on a server with lower_case_table_names=0, as here); the other parts are
 * keywords and punctuation. The gateway refuses those names in any case (credentials.test.ts in
 * test/plugins), as a server that folds table names' case reads them.
 */
type Form = readonly string[]

/** What shows the user its own hash: run as that user. */
const OWN_FORMS: readonly Form[] = [
  ['SHOW', 'GRANTS'], ['SHOW', 'GRANTS', 'FOR', 'CURRENT_USER'], ['SHOW', 'GRANTS', 'FOR', 'CURRENT_USER', '(', ')'],
  ['SHOW', 'CREATE', 'USER', 'CURRENT_USER'], ['SHOW', 'CREATE', 'USER', 'CURRENT_USER', '(', ')']
]

/** What shows every account's hash to a user who may read the mysql schema (root, say). */
const TABLE_FORMS: readonly Form[] = [
  ['SELECT', '#authentication_string', 'FROM', '=mysql', '.', '=user'], ['SELECT', '*', 'FROM', '=mysql', '.', '=global_priv'],
  ['SELECT', '(', 'SELECT', 'GROUP_CONCAT(', '#authentication_string', ')', 'FROM', '=mysql', '.', '=user', ')'],
  ['WITH', '#u', 'AS', '(', 'SELECT', '*', 'FROM', '=mysql', '.', '=user', ')', 'SELECT', '*', 'FROM', '#u'],
  ['SELECT', '1', 'UNION', 'SELECT', '#password', 'FROM', '=mysql', '.', '=user']
]

/** `form` spelt as the server reads it: mixed case, names quoted or not, parts apart by whitespace, comments or nothing, some in executable comments. */
function spelt (random: () => number, form: Form): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
  const parts = form.map((part) => {
    const name = part.startsWith('#') || part.startsWith('=')
    let text = name ? part.slice(1) : part
    if (/^[A-Za-z_]+$/.test(text) && !part.startsWith('=')) text = [...text].map((c) => (random() < 0.5 ? c.toLowerCase() : c.toUpperCase())).join('')
    if (name && random() < 0.4) text = `\`${text}\``
    if (/^[A-Za-z_`]+$/.test(text) && random() < 0.2) text = pick(['/*!', '/*M!', '/*!100000 ', '/*M!100301 '])! + text + ' */'
    return text
  })
  return parts.reduce((text, part) => {
    // Words need something between them; punctuation may touch.
    const glued = /[\w`]$/.test(text) && /^[\w`]/.test(part) ? [' ', '\n', '/* c */', '\t'] : ['', ' ', '/**/', '\n']
    return text + pick(glued) + part
  })
}

/** The hash as it appears in an answer's JSON, in either case. */
function holds (body: string, hash: string): boolean {
  const bare = hash.replace(/^\*/, '')
  return body.includes(bare) || body.toLowerCase().includes(bare.toLowerCase())
}

async function runsOnServer (t: Test, url: string, sql: string, hash: string): Promise<void> {
  const direct = await mysql.createConnection({ uri: url })
  try {
    const [rows] = await direct.query(sql)
    if (!holds(JSON.stringify(rows), hash)) t.fail(`run directly, ${sql} shows the hash`, { rows })
  } finally {
    await direct.end()
  }
}

/** A user that may only read `db`, its password hash as the server keeps it, and the gateway as that user. */
async function selectOnlyUser (t: Test, env: Record<string, string> = {}) {
  const db = await createDatabase(t, 'CREATE TABLE t (id INT)')
  const url = await selectOnlyUserUrl(t, db)
  const admin = await adminConnection(t)
  const [[row]] = await admin.query('SELECT authentication_string AS hash FROM mysql.user WHERE user = ?', [new URL(url).username]) as unknown as [[{ hash: string }]]
  const app = await build(t, { env: { MYSQL_URL: url, RATE_LIMIT_MAX: '1000000', RATE_LIMIT_ADDRESS_MAX: '1000000', ...env } })
  return { db, url, hash: row.hash, app, session: await selectedSession(app, db) }
}

t.test('a session cannot read the password hash of the gateway\'s database user, however the statement is spelt', async (t) => {
  const { url, hash, app, session } = await selectOnlyUser(t)
  t.match(hash, /^\*[0-9A-F]{40}$/, 'the user has a mysql_native_password hash')
  const random = seededRandom(SEED)
  let refused = 0
  for (let i = 0; i < CASES; i++) {
    const sql = spelt(random, OWN_FORMS[i % OWN_FORMS.length]!)
    await runsOnServer(t, url, sql, hash)
    const res = await post(app, '/api/query', { query: sql, session_id: session })
    if (res.statusCode === 400 && res.json().code === 'unsupported_statement' && !holds(res.body, hash)) refused++
    else t.fail(sql, { got: res.json() })
  }
  t.equal(refused, CASES, `all ${CASES} refused, none answered with the hash`)
  const history = await app.inject({ url: '/api/query/history', headers: { 'x-session-id': session } })
  t.notOk(holds(history.body, hash), 'nor does the history')
  const privileges = await post(app, '/api/query', { query: 'SELECT privilege_type FROM information_schema.SCHEMA_PRIVILEGES', session_id: session })
  t.strictSame(privileges.json().rows, [{ privilege_type: 'SELECT' }, { privilege_type: 'SHOW VIEW' }], 'the privileges the refusal points at are there to read')
})

t.test('a gateway whose user may read the mysql schema does not show its password tables, in either mode', async (t) => {
  const { hash } = await selectOnlyUser(t)
  const db = await createDatabase(t, 'CREATE TABLE t (id INT)')
  const random = seededRandom(SEED + 1)
  for (const readOnly of ['true', 'false']) {
    const app = await build(t, { env: { READ_ONLY: readOnly, RATE_LIMIT_MAX: '1000000', RATE_LIMIT_ADDRESS_MAX: '1000000' } })
    const session = await selectedSession(app, db)
    for (let i = 0; i < CASES / 2; i++) {
      const sql = spelt(random, TABLE_FORMS[i % TABLE_FORMS.length]!)
      await runsOnServer(t, TEST_MYSQL_URL, sql, hash)
      const res = await post(app, '/api/query', { query: sql, session_id: session })
      if (res.statusCode !== 400 || res.json().code !== 'unsupported_statement' || holds(res.body, hash)) t.fail(`${sql} (READ_ONLY=${readOnly})`, { got: res.json() })
    }
  }
})

t.test('with writes allowed, no view or stored program keeps them for a later read', async (t) => {
  const db = await createDatabase(t, 'CREATE TABLE t (id INT)')
  const app = await build(t, { env: { READ_ONLY: 'false' } })
  const session = await selectedSession(app, db)
  for (const sql of ['CREATE VIEW v AS SELECT user, authentication_string FROM mysql.user', 'CREATE PROCEDURE p() SHOW GRANTS',
    'CREATE PROCEDURE p() BEGIN DO 1; SHOW CREATE USER CURRENT_USER; END', 'CREATE FUNCTION f() RETURNS TEXT RETURN (SELECT MAX(authentication_string) FROM mysql.user)']) {
    const res = await post(app, '/api/query', { query: sql, session_id: session })
    t.strictSame([res.statusCode, res.json().code], [400, 'unsupported_statement'], sql)
  }
  const admin = await adminConnection(t)
  const [objects] = await admin.query('SELECT table_name AS n FROM information_schema.VIEWS WHERE table_schema = ? UNION SELECT routine_name FROM information_schema.ROUTINES WHERE routine_schema = ?', [db, db]) as unknown as [unknown[]]
  t.strictSame(objects, [], 'nothing was created')
})
