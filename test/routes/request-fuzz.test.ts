import t from 'tap'
import { seededRandom } from '../fixtures/seeded-random.js'
import { generateRequest } from '../fixtures/request-generator.js'
import { adminConnection, build, createDatabase, post, randomSessionId, selectedSession, sidCookie } from '../helper.js'

/**
 * Generated requests to every route (test/fixtures/request-generator.ts), against the real Redis
 * and MariaDB: none may answer 5xx, every error must carry a stable `code` (MCP's protocol errors
 * their JSON-RPC `error.code`), and none may touch a session it was not given or write in
 * read-only mode. FUZZ_SEED and FUZZ_CASES reproduce or widen a run; a failure prints the request.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 11)
const CASES = Number(process.env.FUZZ_CASES ?? 4000)

t.test(`generated requests to every route: no 5xx, a stable code for every error, no other session touched (seed ${SEED}, ${CASES} cases)`, async (t) => {
  const db = await createDatabase(t, "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO t VALUES (1, 'a')")
  const other = await createDatabase(t, 'CREATE TABLE o (id INT)')
  const app = await build(t, { env: { RATE_LIMIT_MAX: '1000000', RATE_LIMIT_ADDRESS_MAX: '1000000' } })
  const sessionId = await selectedSession(app, db)
  // A bystander the generator never names: its database and history must stay as they are.
  const bystander = randomSessionId()
  t.equal((await post(app, '/api/database/select', { database_name: other, session_id: bystander })).statusCode, 200)
  t.equal((await post(app, '/api/query', { query: 'SELECT COUNT(*) AS n FROM o', session_id: bystander })).statusCode, 200)
  const bystanderState = async () => {
    const [context, history] = await Promise.all([
      app.inject({ url: '/api/database/context', headers: { 'x-session-id': bystander } }),
      app.inject({ url: '/api/query/history', headers: { 'x-session-id': bystander } })
    ])
    return { database: context.json().database_context?.database_name, history: history.json().queries.map((q: { query_id: string }) => q.query_id) }
  }
  const before = await bystanderState()
  // The client's own signed cookie, alone and beside the bystander's planted in its browser (by a
  // sibling subdomain, say), in either order: a request may run in its own session, or in none.
  const cookieOf = async (id: string) => sidCookie(await app.inject({ url: '/api/database/context', headers: { 'x-session-id': id } }))
  const [own, planted] = [await cookieOf(sessionId), await cookieOf(bystander)]
  const cookies = [own, `${own}; ${planted}`, `${planted}; ${own}`, `${planted}; theme=dark; ${own}`]

  const random = seededRandom(SEED)
  const statuses: Record<number, number> = {}
  let failures = 0
  for (let i = 0; i < CASES; i++) {
    const req = generateRequest(random, sessionId, db, cookies)
    const res = await app.inject({ method: req.method, url: req.url, headers: req.headers, ...(req.body === null ? {} : { payload: req.body }) })
    statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1
    let code: unknown
    try {
      const answer = res.json()
      code = res.statusCode < 400 ? 'none' : answer.code ?? (typeof answer.error?.code === 'number' ? 'json-rpc' : undefined)
    } catch {}
    if (res.statusCode >= 500 || typeof code !== 'string') {
      if (failures++ < 10) t.fail(`case ${i}: ${res.statusCode} ${res.body.slice(0, 200)}`, { request: JSON.stringify(req).slice(0, 2000) })
    }
  }
  t.equal(failures, 0, `no 5xx and no error without a code (${JSON.stringify(statuses)})`)
  t.ok((statuses[200] ?? 0) > CASES / 20, 'a share of the requests were valid and ran')
  t.strictSame(await bystanderState(), before, 'the bystander session kept its database and its history')
  const admin = await adminConnection(t)
  const [rows] = await admin.query(`SELECT id, v FROM \`${db}\`.t`)
  t.strictSame(rows, [{ id: 1, v: 'a' }], 'nothing was written (READ_ONLY=true)')
})
