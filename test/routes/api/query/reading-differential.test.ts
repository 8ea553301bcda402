import type { Connection as CoreConnection } from 'mysql2'
import type { Connection, ResultSetHeader, RowDataPacket } from 'mysql2/promise'
import t, { type Test } from 'tap'
import { generateExpressions, insertShape, NAMED_TABLE, selectShape, WRITTEN_TABLE, type Shape } from '../../../fixtures/expression-generator.js'
import { seededRandom } from '../../../fixtures/seeded-random.js'
import { build, createDatabase, gatewayLikeConnection, post, selectedSession } from '../../../helper.js'

/**
 * A differential test against the real MariaDB: generated statements spelled in every way a
 * reading can differ (test/fixtures/expression-generator.ts) run twice, once as the client wrote
 * them on a connection of their own, set up as the gateway sets its connections up, and once
 * through the gateway, which sends the statement rebuilt from its own reading. Where the server
 * runs the client's text, the gateway must give the same bytes (a SELECT's answer; the value an
 * INSERT stored), or refuse the statement itself (nothing sent); where the server refuses it, the
 * gateway must not run it either, and a refusal by the server is the same error both ways. FUZZ_SEED and FUZZ_CASES reproduce or widen a run; a failure
 * prints the statement.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 41)
const CASES = Number(process.env.FUZZ_CASES ?? 2000)

/** A side's outcome: the bytes (hex) it gave, or the error it answered. */
type Outcome = { value: unknown } | { error: string }

interface Sides {
  /** The client's text on the direct connection (with its params, prepared). */
  server: (sql: string, params: string[]) => Promise<Outcome>
  /** The gateway's outcome from its answer. */
  gateway: (answer: { statusCode: number, body: Record<string, any> }) => Promise<Outcome>
}

/**
 * Runs the generated statements of `shape` both ways in `mode`; `ranOnBoth` is the least share of
 * them both sides must have run (in write mode strict SQL refuses many as truncating values).
 */
async function compare (t: Test, mode: 'read-only' | 'write', shape: Shape, ranOnBoth: number, sides: (direct: Connection, core: CoreConnection) => Sides, placeholders = false): Promise<void> {
  const db = await createDatabase(t, `${NAMED_TABLE}; ${WRITTEN_TABLE}`)
  const readOnly = mode === 'read-only'
  const app = await build(t, { env: { READ_ONLY: String(readOnly), RATE_LIMIT_MAX: '1000000', RATE_LIMIT_ADDRESS_MAX: '1000000' } })
  const sessionId = await selectedSession(app, db)
  const core = await gatewayLikeConnection(t, app, db, { maxPreparedStatements: 64 })
  const direct = core.promise()
  const { server, gateway } = sides(direct, core)

  const failures: string[] = []
  const counts = { same: 0, unreadByGateway: 0, refusedByGateway: 0, refusedByBoth: 0 }
  const errors: Record<string, number> = {}
  for (const [n, { sql, params }] of generateExpressions(CASES, seededRandom(SEED), shape, placeholders).entries()) {
    const expected = await server(sql, params)
    const res = await post(app, '/api/query', { query: sql, session_id: sessionId, ...(placeholders ? { params } : {}) })
    const answer = res.json()
    const where = `case ${n} of FUZZ_SEED=${SEED} (${mode}): ${JSON.stringify(sql)}${placeholders ? ` with ${JSON.stringify(params)}` : ''}`
    if (res.statusCode !== 200 && answer.code === 'syntax_error' && String(answer.message).includes('Nothing was sent')) {
      if ('error' in expected) counts.refusedByBoth++
      else counts.unreadByGateway++
      continue
    }
    const got = await gateway({ statusCode: res.statusCode, body: answer })
    if ('error' in expected && 'error' in got) {
      // The same server error, or placeholder count, for the same reading; the gateway's own
      // refusals have codes, not errnos.
      if (expected.error !== got.error && byServer(got.error)) failures.push(`${where} the server: ${expected.error}, the gateway: ${got.error}`)
      else counts.refusedByBoth++
      tally(errors, expected.error.replace(/:[\s\S]*$/, ''))
    } else if ('value' in expected && 'value' in got && expected.value === got.value) {
      counts.same++
    } else if ('value' in expected && 'error' in got && !byServer(got.error)) {
      // The gateway's own refusal of what it would not run (a hint that would lift its limits):
      // nothing was sent, which is never a different answer.
      counts.refusedByGateway++
      tally(errors, `gateway ${got.error}`)
    } else failures.push(`${where} the server: ${JSON.stringify(expected)}, the gateway: ${JSON.stringify(got)}`)
  }
  t.strictSame(failures.slice(0, 10), [], `no statement read otherwise (${failures.length} differences)`)
  t.ok(counts.same > CASES * ranOnBoth, `many statements ran on both and gave the same bytes (${JSON.stringify(counts)}; the refusals ${JSON.stringify(errors)})`)
}

/**
 * A server's refusal: its errno, and for a syntax error its message too, which quotes the statement
 * from where the reading failed (through the gateway, in the client's text: plugins/app/query/sql/error-text.ts).
 * Not its line: the server counts lines unevenly, the gateway names the line the quote begins on.
 */
const refusal = (errno: unknown, message: unknown): string =>
  errno === 1064 ? `errno 1064: ${String(message).replace(/ at line \d+$/, '')}` : `errno ${String(errno)}`
const failed = (err: unknown): Outcome => ({ error: refusal((err as { errno?: number }).errno, (err as { sqlMessage?: string }).sqlMessage) })

/** Whether a refusal came from the server (its errno, or its count of placeholders), not from the gateway itself. */
const byServer = (error: string): boolean => /^(errno|placeholders)/.test(error)

const tally = (counts: Record<string, number>, key: string): void => { counts[key] = (counts[key] ?? 0) + 1 }

/** A SELECT's outcome through the gateway: the bytes of its one value, or its refusal. */
const selectedBytes: Sides['gateway'] = async ({ statusCode, body }) => statusCode === 200 ? { value: body.rows[0]?.h } : gatewayError(body)

/**
 * A refusal as the server's errno when the server refused it, as the count of placeholders the
 * server found in the gateway's text when they did not match `params`, else the gateway's code.
 */
const gatewayError = (body: Record<string, any>): Outcome => ({
  error: body.errno !== undefined ? refusal(body.errno, body.message) : body.code === 'param_count_mismatch' ? `placeholders ${body.placeholders}` : String(body.code)
})

/** The bytes (hex) of the value in WRITTEN_TABLE's row `id`. */
async function stored (connection: Connection, id: unknown): Promise<Outcome> {
  const [rows] = await connection.query<RowDataPacket[]>({ sql: 'SELECT HEX(v) FROM w WHERE id = ?', values: [id], rowsAsArray: true })
  return rows.length === 0 ? { error: `no row ${String(id)}` } : { value: rows[0]![0] }
}

t.test(`SELECTs: the gateway answers what the server answers for the client's own text (seed ${SEED}, ${CASES} statements)`, async (t) => {
  await compare(t, 'read-only', selectShape, 0.4, (direct) => ({
    server: (sql) => direct.query<RowDataPacket[]>({ sql, rowsAsArray: true }).then(([rows]) => ({ value: rows[0]?.[0] }), failed),
    gateway: selectedBytes
  }))
})

t.test(`INSERTs: the gateway stores what the server stores for the client's own text (seed ${SEED}, ${CASES} statements)`, async (t) => {
  await compare(t, 'write', insertShape, 0.15, (direct) => ({
    // The client's INSERT in a transaction rolled back, so the gateway's rows are the only ones kept.
    server: async (sql) => {
      await direct.query('START TRANSACTION')
      try {
        const [header] = await direct.query<ResultSetHeader>(sql)
        return await stored(direct, header.insertId)
      } catch (err) {
        return failed(err)
      } finally {
        await direct.query('ROLLBACK')
      }
    },
    gateway: async ({ statusCode, body }) => statusCode === 200 ? await stored(direct, body.insert_id) : gatewayError(body)
  }))
})

t.test(`SELECTs with params: bound to the same placeholders as the server binds them (seed ${SEED}, ${CASES} statements)`, async (t) => {
  await compare(t, 'read-only', selectShape, 0.4, (direct, core) => ({
    // As the gateway sends it: without params as a query; with them prepared, and run only with as
    // many values as the server counts placeholders (a `?` the generator put in what turned out to
    // be a comment is none).
    server: async (sql, params) => {
      try {
        if (params.length > 0) {
          const placeholders = await new Promise<number>((resolve, reject) => {
            core.prepare(sql, (err, statement) => {
              if (err !== null) reject(err)
              else resolve((statement as unknown as { parameters?: unknown[] }).parameters?.length ?? 0)
            })
          })
          if (placeholders !== params.length) return { error: `placeholders ${placeholders}` }
        }
        const [rows] = params.length > 0
          ? await direct.execute<RowDataPacket[]>({ sql, rowsAsArray: true }, params)
          : await direct.query<RowDataPacket[]>({ sql, rowsAsArray: true })
        return { value: rows[0]?.[0] }
      } catch (err) {
        return failed(err)
      }
    },
    gateway: selectedBytes
  }), true)
})
