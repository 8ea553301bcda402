import t from 'tap'
import { build, createDatabase, post, selectedSession } from '../../../helper.js'

/**
 * One client cannot take the pool from everyone else (plugins/app/database/fair-share.ts): with the default pool of
 * 10, five sessions that each keep four long statements running hold at most 2 connections each
 * (and one of the reserve), so a new session's query still finds one. SLEEP(3) stands in for the
 * SLEEP(5) of docs/security.md, to keep the test short; the bound on the newcomer's wait is generous.
 */
t.test('while 5 sessions each keep 4 SELECT SLEEP(3) running, a new session\'s SELECT 1 answers at once, and every sleeper finishes', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t)
  const sleepers = await Promise.all([0, 1, 2, 3, 4].map(() => selectedSession(app, db)))
  const newcomer = await selectedSession(app, db)
  const started = Date.now()
  const sleeping = sleepers.flatMap((session) => [0, 1, 2, 3].map(() =>
    post(app, '/api/query', { query: 'SELECT SLEEP(3) AS slept', session_id: session })))
  await new Promise((resolve) => setTimeout(resolve, 500)) // every sleeper runs or waits its turn
  t.same(app.mysql.shareStats(), { inUse: 9, waiting: 11, owners: 5 }, 'the sleepers hold the 8 shared connections and one of the reserve; 11 statements wait')

  const asked = Date.now()
  const res = await post(app, '/api/query', { query: 'SELECT 1 AS one', session_id: newcomer })
  const waited = Date.now() - asked
  t.equal(res.statusCode, 200)
  t.ok(waited < 1000, `the new session's SELECT 1 answered in ${waited} ms`)

  const answers = await Promise.all(sleeping)
  t.strictSame(answers.map((answer) => answer.statusCode), new Array(20).fill(200), 'every sleeper finished')
  t.ok(Date.now() - started < 20_000, `all 20 in ${Date.now() - started} ms`)
})
