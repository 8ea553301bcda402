import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mysql from 'mysql2/promise'
import t, { type Test } from 'tap'
import { connectionState } from '../../../fixtures/connection-state.js'
import { seededRandom } from '../../../fixtures/seeded-random.js'
import { generateStatements, type Mode } from '../../../fixtures/statement-generator.js'
import { adminConnection, build, createDatabase, post, randomSuffix, selectedSession, selectOnlyUserUrl, TEST_MYSQL_URL } from '../../../helper.js'

/**
 * A differential fuzz test against the real MariaDB: thousands of generated statements that carry
 * a write or a change of session state in a disguise (test/fixtures/statement-generator.ts) go
 * through the gateway, and after each one the server is asked whether anything happened: the
 * canary table's checksum, tables made or dropped, the sequence, files in a folder the server can
 * write, user locks, another client's connection, and what the next session finds on the one
 * pooled connection (MYSQL_POOL_SIZE=1). Each must have been refused or have changed nothing.
 * FUZZ_SEED and FUZZ_CASES reproduce or widen a run; a failure prints the statement.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 30)
const CASES = Number(process.env.FUZZ_CASES ?? 1500)

interface Run { mode: Mode, user: 'root' | 'select-only', cases: number, seed: number }

async function fuzz (t: Test, run: Run): Promise<void> {
  const db = await createDatabase(t, `CREATE TABLE canary (id INT PRIMARY KEY, v VARCHAR(20));
    INSERT INTO canary VALUES (1, 'a'), (2, 'b'), (3, 'c');
    CREATE TABLE fz_keep (a INT);
    CREATE SEQUENCE fz_seq`)
  const dir = mkdtempSync(join(tmpdir(), 'sqlgate-fuzz-'))
  chmodSync(dir, 0o777)
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const secret = `fz-secret-${randomSuffix()}`
  writeFileSync(join(dir, 'secret'), secret, { mode: 0o644 })

  const url = run.user === 'root' ? TEST_MYSQL_URL : await selectOnlyUserUrl(t, db)
  const app = await build(t, { env: { MYSQL_POOL_SIZE: '1', READ_ONLY: String(run.mode === 'read-only'), MYSQL_URL: url, RATE_LIMIT_MAX: '1000000', RATE_LIMIT_ADDRESS_MAX: '1000000' } })
  const sessionId = await selectedSession(app, db)
  const admin = await adminConnection(t)
  await admin.query('SET SESSION lock_wait_timeout = 2') // a table lock left behind fails the check, not the run
  const victim = await mysql.createConnection({ uri: url })
  t.teardown(() => victim.end().catch(() => {}))
  const [[{ id: victimId }]] = await victim.query('SELECT CONNECTION_ID() AS id') as unknown as [[{ id: number }]]
  const lock = `fz_lock_${randomSuffix()}`

  const snapshot = async (): Promise<string> => {
    const [rows] = await admin.query(`SELECT
      (SELECT CONCAT(COUNT(*), ':', COALESCE(SUM(CRC32(CONCAT_WS(',', id, v))), 0)) FROM \`${db}\`.canary) AS canary,
      (SELECT next_not_cached_value FROM \`${db}\`.fz_seq) AS seq,
      (SELECT GROUP_CONCAT(TABLE_NAME ORDER BY TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?) AS tables,
      IS_USED_LOCK(?) AS lock_holder`, [db, lock])
    return JSON.stringify(rows)
  }
  const names = { variables: ['fz_v'], temporaryTable: 'fz_tmp', preparedStatement: 'fz_stmt', locks: [lock] }
  const [expected, clean] = [await snapshot(), JSON.stringify(await connectionState(app, db, names))]

  const problemAfter = async (status: number, body: string): Promise<string | null> => {
    if (status !== 200 && status !== 400 && status !== 403) return `answered ${status}: ${body.slice(0, 200)}`
    if (body.includes(secret)) return 'answered the content of a file of the database server\'s host'
    if (body.includes('"errno":1126')) return 'reached the plugin loader (errno 1126)'
    const now = await snapshot()
    if (now !== expected) return `changed the database: ${now} (was ${expected})`
    const files = readdirSync(dir).filter((name) => name !== 'secret')
    if (files.length > 0) return `wrote ${files.join(', ')} into the server's folder`
    if (!(await victim.query('SELECT 1').then(() => true, () => false))) return 'killed another client\'s connection'
    const state = JSON.stringify(await connectionState(app, db, names))
    if (state !== clean) return `left state for the next session: ${state} (was ${clean})`
    return null
  }

  const targets = { file: join(dir, 'written'), secret: join(dir, 'secret'), lock, victim: victimId }
  const statements = generateStatements(run.mode, targets, run.cases, seededRandom(run.seed))
  let refused = 0
  for (const [n, { sql }] of statements.entries()) {
    const res = await post(app, '/api/query', { query: sql, session_id: sessionId })
    if (res.statusCode !== 200) refused++
    const problem = await problemAfter(res.statusCode, res.body)
    if (problem !== null) {
      t.fail(`case ${n} of FUZZ_SEED=${run.seed} (${run.mode}, ${run.user}) ${problem}\n  statement: ${JSON.stringify(sql)}`)
      return
    }
  }
  t.pass(`${run.cases} generated statements (${refused} refused, ${run.cases - refused} answered) changed nothing (${run.mode}, ${run.user})`)
}

t.test('READ_ONLY=true, as root: nothing a generated statement carries takes effect', async (t) => {
  await fuzz(t, { mode: 'read-only', user: 'root', cases: CASES, seed: SEED })
})

t.test('READ_ONLY=false, as root: what write mode refuses, and session state, never takes effect', async (t) => {
  await fuzz(t, { mode: 'write', user: 'root', cases: CASES, seed: SEED + 1 })
})

t.test('READ_ONLY=true, as a user that may only read: the same', async (t) => {
  await fuzz(t, { mode: 'read-only', user: 'select-only', cases: Math.ceil(CASES / 2), seed: SEED + 2 })
})
