import t from 'tap'
import mysql from 'mysql2/promise'
import { setupStatement } from '../../../../plugins/app/database/connection-state.js'
import { sessionSetup } from '../../../../plugins/app/database/dialect.js'
import { build, createDatabase, download, listen, post, selectedSession, TEST_MYSQL_URL } from '../../../helper.js'

/**
 * An unseeded RAND() draws from a generator that belongs to the connection, not to the session:
 * its whole state is two numbers (`rand_seed1`, `rand_seed2`), readable as variables and from two
 * of its values, and it goes on from draw to draw. Left so, one session on a pooled connection
 * would read the state and know every value another session's RAND() draws next (the winner of an
 * `ORDER BY RAND() LIMIT 1`), or read back the value it drew last. A statement that draws from it
 * has its connection reset before it (when another session's statement ran there since the last
 * reset) and after it, and every set-up seeds the generator from the system's CSPRNG
 * (plugins/app/database/dialect.ts, setupStatement).
 */

const MAX = 0x3fffffff
/** The next value of MariaDB's and MySQL's generator (my_rnd) from its state. */
const next = (seed1: number, seed2: number) => ((seed1 * 3 + seed2) % MAX) / MAX
/** The value after `a` and `b`, two draws in a row of the same generator. */
function third (a: number, b: number): number {
  const [s1, s1b] = [Math.round(a * MAX), Math.round(b * MAX)]
  const s2 = (((s1b - 3 * s1) % MAX) + MAX) % MAX
  const s2b = (s1b + s2 + 33) % MAX
  return next(s1b, s2b)
}

const ROUNDS = 12

t.test('the channel: on one connection the generator\'s state, or two of its values, tell its next value', async (t) => {
  const direct = await mysql.createConnection({ uri: TEST_MYSQL_URL })
  t.teardown(() => direct.end())
  const [[state]] = await direct.query('SELECT @@rand_seed1 AS a, @@rand_seed2 AS b') as unknown as [[{ a: string, b: string }]]
  const [[drawn]] = await direct.query('SELECT RAND() AS r') as unknown as [[{ r: number }]]
  t.equal(drawn.r, next(Number(state.a), Number(state.b)), 'from the variables')
  const [[pair]] = await direct.query('SELECT RAND() AS a, RAND() AS b') as unknown as [[{ a: number, b: number }]]
  const [[after]] = await direct.query('SELECT RAND() AS r') as unknown as [[{ r: number }]]
  t.equal(after.r, third(pair.a, pair.b), 'from two values')
  const [[last]] = await direct.query('SELECT @@rand_seed1 AS a') as unknown as [[{ a: string }]]
  t.equal(Number(last.a) / MAX, after.r, 'and the state is the last value drawn')
})

t.test('one pooled connection: no session predicts another\'s RAND(), nor reads back what it drew', async (t) => {
  const db = await createDatabase(t, 'CREATE TABLE t (id INT)')
  const app = await build(t, { env: { MYSQL_POOL_SIZE: '1', RATE_LIMIT_MAX: '1000000', RATE_LIMIT_ADDRESS_MAX: '1000000' } })
  const [attacker, victim] = [await selectedSession(app, db), await selectedSession(app, db)]
  const run = async (session: string, query: string) => {
    const res = await post(app, '/api/query', { query, session_id: session })
    t.equal(res.statusCode, 200, query)
    return res.json().rows[0] as Record<string, string | number>
  }
  let foretold = 0
  let readBack = 0
  for (let i = 0; i < ROUNDS; i++) {
    const state = await run(attacker, 'SELECT @@rand_seed1 AS a, @@rand_seed2 AS b')
    if ((await run(victim, 'SELECT RAND() AS r')).r === next(Number(state.a), Number(state.b))) foretold++
    const pair = await run(attacker, 'SELECT RAND() AS a, RAND() AS b')
    if ((await run(victim, 'SELECT id, RAND() AS r FROM (SELECT 1 AS id) AS x ORDER BY RAND()')).r === third(Number(pair.a), Number(pair.b))) foretold++
    const drawn = await run(victim, 'SELECT RAND() AS r')
    const left = await run(attacker, 'SELECT @@rand_seed1 AS a')
    if (Number(left.a) / MAX === drawn.r) readBack++
  }
  t.equal(foretold, 0, 'the attacker foretold none of the victim\'s values')
  t.equal(readBack, 0, 'nor read back any it drew')
})

t.test('exports, on their own connections, are held to the same: one export connection, two sessions', async (t) => {
  const db = await createDatabase(t, 'CREATE TABLE t (id INT)')
  const app = await build(t, { env: { EXPORT_CONCURRENCY: '1', RATE_LIMIT_MAX: '1000000', RATE_LIMIT_ADDRESS_MAX: '1000000' } })
  const base = await listen(app)
  const [attacker, victim] = [await selectedSession(app, db), await selectedSession(app, db)]
  const exported = async (session: string, query: string) => {
    const res = await download(base, '/api/query/export', { query, session_id: session, format: 'ndjson' })
    t.equal(res.status, 200, query)
    return JSON.parse(res.body.toString('utf8').split('\n')[0]!) as Record<string, string | number>
  }
  let foretold = 0
  let readBack = 0
  for (let i = 0; i < ROUNDS / 2; i++) {
    const state = await exported(attacker, 'SELECT @@rand_seed1 AS a, @@rand_seed2 AS b')
    const drawn = await exported(victim, 'SELECT RAND() AS r')
    if (drawn.r === next(Number(state.a), Number(state.b))) foretold++
    if (Number((await exported(attacker, 'SELECT @@rand_seed1 AS a')).a) / MAX === drawn.r) readBack++
  }
  t.equal(foretold, 0, 'the attacker foretold none of the victim\'s values')
  t.equal(readBack, 0, 'nor read back any it drew')
})

t.test('each set-up seeds the generator with values of its own, which the connection then holds', async (t) => {
  const setup = sessionSetup('mariadb', '', true)
  const first = setupStatement(setup)
  t.match(first.sql, /, rand_seed1 = \?, rand_seed2 = \?$/)
  const seeds = new Set(Array.from({ length: 50 }, () => setupStatement(setup).values.slice(1).join(',')))
  t.equal(seeds.size, 50, 'fresh seeds each time')
  const direct = await mysql.createConnection({ uri: TEST_MYSQL_URL })
  t.teardown(() => direct.end())
  await direct.query(first.sql, first.values)
  const [[state]] = await direct.query('SELECT @@rand_seed1 AS a, @@rand_seed2 AS b') as unknown as [[{ a: string, b: string }]]
  t.strictSame([Number(state.a), Number(state.b)], first.values.slice(1), 'the server took them')
})

t.test('with writes allowed, a view does not draw from the connection\'s generator unseen', async (t) => {
  const db = await createDatabase(t, 'CREATE TABLE t (id INT)')
  const app = await build(t, { env: { READ_ONLY: 'false' } })
  const session = await selectedSession(app, db)
  for (const query of ['CREATE VIEW v AS SELECT RAND() AS r', 'CREATE VIEW v AS SELECT id FROM t ORDER BY rand ( )', 'ALTER VIEW v AS SELECT `RAND`() AS r']) {
    const res = await post(app, '/api/query', { query, session_id: session })
    t.strictSame([res.statusCode, res.json().code], [400, 'unsupported_statement'], query)
  }
  const seeded = await post(app, '/api/query', { query: 'CREATE VIEW v AS SELECT RAND(7) AS r', session_id: session })
  t.equal(seeded.statusCode, 200, 'RAND(n) has a generator of its own')
})
