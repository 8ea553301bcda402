import mysql, { type RowDataPacket } from 'mysql2/promise'
import t from 'tap'
import { sessionSetup } from '../../../../plugins/app/database/dialect.js'
import { poolOptions } from '../../../../plugins/app/database/pool-options.js'
import { generateExpressions, NAMED_TABLE } from '../../../fixtures/expression-generator.js'
import { seededRandom } from '../../../fixtures/seeded-random.js'
import { build, createDatabase, post, selectedSession, testConfig, TEST_MYSQL_URL } from '../../../helper.js'

/**
 * A differential test against the real MariaDB: generated SELECTs spelled in every way a reading
 * can differ (test/fixtures/expression-generator.ts) run twice, once as the client wrote them on a
 * connection of their own, set up as the gateway sets its connections up, and once through the
 * gateway, which sends the statement rebuilt from its own reading. Where the server runs the
 * client's text, the gateway must answer the same bytes, or refuse to read the statement (nothing
 * sent); where the server refuses it, the gateway must not answer it either. FUZZ_SEED and
 * FUZZ_CASES reproduce or widen a run; a failure prints the statement.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 41)
const CASES = Number(process.env.FUZZ_CASES ?? 2000)

t.test(`the gateway answers what the server answers for the client's own text (seed ${SEED}, ${CASES} statements)`, async (t) => {
  const db = await createDatabase(t, NAMED_TABLE)
  const app = await build(t, { env: { RATE_LIMIT_MAX: '1000000', RATE_LIMIT_ADDRESS_MAX: '1000000' } })
  const sessionId = await selectedSession(app, db)

  // The pool's character set and collation: a plain literal takes the connection's collation.
  const direct = await mysql.createConnection({ uri: TEST_MYSQL_URL, database: db, charset: poolOptions(testConfig()).charset })
  t.teardown(() => direct.end().catch(() => {}))
  const [modes] = await direct.query<Array<{ mode: string } & RowDataPacket>>('SELECT @@SESSION.sql_mode AS mode')
  const setup = sessionSetup('mariadb', modes[0]!.mode, true)
  await direct.query(setup.init, setup.values)

  const failures: string[] = []
  const counts = { same: 0, unreadByGateway: 0, refusedByBoth: 0 }
  for (const [n, sql] of generateExpressions(CASES, seededRandom(SEED)).entries()) {
    const server = await direct.query<RowDataPacket[]>({ sql, rowsAsArray: true }).then(([rows]) => ({ value: rows[0]?.[0] as unknown }), (err: { errno?: number }) => ({ errno: err.errno }))
    const res = await post(app, '/api/query', { query: sql, session_id: sessionId })
    const answer = res.json()
    const where = `case ${n} of FUZZ_SEED=${SEED}: ${JSON.stringify(sql)}`
    if ('errno' in server) {
      if (res.statusCode === 200) failures.push(`${where} the server refuses it (errno ${server.errno}), the gateway answered ${JSON.stringify(answer.rows)}`)
      else counts.refusedByBoth++
    } else if (res.statusCode === 200) {
      if (answer.rows[0]?.h === server.value) counts.same++
      else failures.push(`${where} the server answers ${JSON.stringify(server.value)}, the gateway ${JSON.stringify(answer.rows[0]?.h)}`)
    } else if (answer.code === 'syntax_error' && String(answer.message).includes('Nothing was sent')) {
      counts.unreadByGateway++
    } else {
      failures.push(`${where} the server answers ${JSON.stringify(server.value)}, the gateway ${res.statusCode} ${answer.code}: ${String(answer.message).slice(0, 200)}`)
    }
  }
  t.strictSame(failures.slice(0, 10), [], `no statement read otherwise (${failures.length} differences)`)
  t.ok(counts.same > CASES / 2, `most statements ran on both and answered the same bytes (${JSON.stringify(counts)})`)
})
