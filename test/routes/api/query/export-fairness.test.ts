import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { build, createDatabase, selectedSession } from '../../../helper.js'

/** An export of `query` from `remoteAddress`, answered once it ends. */
function exportFrom (app: FastifyInstance, remoteAddress: string, session: string, query: string) {
  return app.inject({ method: 'POST', url: '/api/query/export', remoteAddress, payload: { query, format: 'csv', session_id: session } })
}

/**
 * Exports are never queued (a download that waits behind others for minutes is worse than a fast
 * `503 exports_busy`), so the pool's turn rules cannot share them: a client address holds at most
 * half of the instance's export connections, and the other half stays for other clients however
 * many sessions the first one names.
 */
t.test('one client address naming many sessions holds half the export connections; another client still exports', async (t) => {
  const app = await build(t, { env: { EXPORT_CONCURRENCY: '4' } })
  const db = await createDatabase(t)
  const hogSessions = await Promise.all([0, 1, 2, 3].map(() => selectedSession(app, db)))
  const [other, third] = [await selectedSession(app, db), await selectedSession(app, db)]

  const hog = hogSessions.map((session) => exportFrom(app, '203.0.113.7', session, 'SELECT SLEEP(2) AS slept'))
  for (let i = 0; i < 40 && app.exporter.streaming() < 2; i++) await new Promise((resolve) => setTimeout(resolve, 25))
  await new Promise((resolve) => setTimeout(resolve, 100)) // every one of the client's exports has asked
  t.equal(app.exporter.streaming(), 2, 'the client streams two exports, half of the four')

  const asked = performance.now()
  const others = await Promise.all([exportFrom(app, '198.51.100.9', other, 'SELECT 1 AS one'), exportFrom(app, '192.0.2.44', third, 'SELECT 2 AS two')])
  const took = performance.now() - asked
  t.strictSame(others.map((res) => res.statusCode), [200, 200], 'two other clients export beside it')
  t.equal(others[0]!.body, 'one\r\n1\r\n')
  t.ok(took < 1500, `at once (${took.toFixed(0)} ms), not after the client's exports`)

  const answers = await Promise.all(hog)
  t.strictSame(answers.map((res) => res.statusCode).sort(), [200, 200, 503, 503], 'the client\'s other two exports are refused at once')
  const refused = answers.find((res) => res.statusCode === 503)!.json()
  t.equal(refused.code, 'exports_busy')
  t.match(refused.message, /client address/, `the answer says why: ${refused.message}`)
})

t.test('one client alone keeps half the export connections, and one per session', async (t) => {
  const app = await build(t, { env: { EXPORT_CONCURRENCY: '2' } })
  const db = await createDatabase(t)
  const [a, b] = [await selectedSession(app, db), await selectedSession(app, db)]
  const first = exportFrom(app, '203.0.113.8', a, 'SELECT SLEEP(1) AS slept')
  for (let i = 0; i < 40 && app.exporter.streaming() < 1; i++) await new Promise((resolve) => setTimeout(resolve, 25))
  const again = await exportFrom(app, '203.0.113.8', a, 'SELECT 1')
  t.equal(again.statusCode, 503)
  t.match(again.json().message, /session/, 'the session streams one export at a time')
  const second = await exportFrom(app, '203.0.113.8', b, 'SELECT 1')
  t.equal(second.statusCode, 503, 'a client holds at most half of EXPORT_CONCURRENCY (one of two)')
  t.equal((await first).statusCode, 200)
  const after = await exportFrom(app, '203.0.113.8', b, 'SELECT 1 AS one')
  t.equal(after.statusCode, 200, 'the client exports again once its first has ended')
})
