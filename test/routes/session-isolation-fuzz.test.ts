import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { seededRandom } from '../fixtures/seeded-random.js'
import { build, createDatabase, post, randomSessionId, sidCookie, testConfig } from '../helper.js'

/**
 * Many sessions at once, on two instances that share Redis, against the real Redis and MariaDB:
 * generated waves of requests, each wave one request for each of a random set of sessions (by
 * HTTP with the id in the body, a header or the signed cookie of a session the service issued; by
 * MCP under the session's own Mcp-Session-Id; or by an agent's MCP session whose tool calls name
 * the session in `session_id`: the ways one resolver finds a session), all
 * sent together so that they share the instances' event-loop turns (whose session calls go to
 * Redis as one script call) and the pools' connections. After every wave each answer must be its
 * own session's: a query runs in the database that session last selected (or answers 409 when it
 * has none or cleared it), a context read names that database, an export's rows come from it, and
 * a session's history holds its own statements only. FUZZ_SEED and FUZZ_CASES (waves) reproduce or
 * widen a run; a failure names the wave, the session and the request.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 23)
const WAVES = Number(process.env.FUZZ_CASES ?? 150)
const SESSIONS = 24
const DATABASES = 4

type Operation = 'select' | 'query' | 'context' | 'clear' | 'history' | 'export' | 'mcp query' | 'agent select' | 'agent query'
const OPERATIONS: Operation[] = ['select', 'select', 'query', 'query', 'query', 'context', 'clear', 'history', 'export', 'mcp query', 'agent select', 'agent query']
/** What an operation is checked as: MCP's tool calls answer what the HTTP routes answer. */
const CHECKED_AS: Record<Operation, 'select' | 'query' | 'context' | 'clear' | 'history' | 'export'> = {
  select: 'select',
  query: 'query',
  context: 'context',
  clear: 'clear',
  history: 'history',
  export: 'export',
  'mcp query': 'query',
  'agent select': 'select',
  'agent query': 'query'
}
const MCP_HEADERS = { accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-03-26' }

interface Session {
  id: string
  /** A session the service issued with its signed cookie, which its HTTP requests send instead of the id. */
  cookie: string | null
  /** What its statements carry, so the history shows whose they are. */
  tag: string
  /** The database it last selected, null before or after a clear. */
  database: string | null
  /**
   * Its queries and exports, oldest first, with the query id of each that answered 200: the
   * history keeps the newest HISTORY_LIMIT entries, and holds at most one entry for each.
   */
  ran: Array<string | null>
}

for (const strict of [false, true]) {
  t.test(`sessions at once on two instances, ${strict ? 'SESSION_STRICT=true' : 'ids chosen by the clients'}: every answer is its own session's (seed ${SEED}, ${WAVES} waves)`, async (t) => {
    await fuzz(t, strict)
  })
}

async function fuzz (t: Test, strict: boolean): Promise<void> {
  const config = testConfig({ SESSION_STRICT: String(strict), RATE_LIMIT_MAX: '1000000', RATE_LIMIT_ADDRESS_MAX: '1000000', SESSION_MAX_CONCURRENT_QUERIES: '4', EXPORT_CONCURRENCY: '32' })
  const instances = [await build(t, { config }), await build(t, { config })]
  const databases: string[] = []
  for (let i = 0; i < DATABASES; i++) databases.push(await createDatabase(t, 'CREATE TABLE t (owner VARCHAR(64)); INSERT INTO t SELECT DATABASE()'))
  const init = await post(instances[0]!, '/mcp', { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'isolation-fuzz', version: '1' } } }, MCP_HEADERS)
  const agent = init.headers['mcp-session-id'] as string
  const sessions: Session[] = Array.from({ length: SESSIONS }, (_, i) => ({ id: randomSessionId(), cookie: null, tag: `s${i}_${randomSessionId()}`, database: null, ran: [] }))
  // A third of them (all of them in strict mode) were issued by the service on a select without an
  // id; that third goes by its cookie.
  for (const [i, session] of sessions.entries()) {
    if (i % 3 !== 0 && !strict) continue
    const issued = await post(instances[1]!, '/api/database/select', { database_name: databases[0] })
    Object.assign(session, { id: issued.json().session_id, cookie: i % 3 === 0 ? sidCookie(issued) : null, database: databases[0] })
  }

  const random = seededRandom(SEED)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!
  let failures = 0
  let requests = 0
  const answered: Record<string, number> = {}
  for (let wave = 0; wave < WAVES && failures < 5; wave++) {
    const chosen = sessions.filter(() => random() < 0.6)
    const planned = chosen.map((session) => ({ session, operation: pick(OPERATIONS), app: pick(instances), database: pick(databases), byHeader: random() < 0.5 }))
    const answers = await Promise.all(planned.map((plan) => send(plan.app, plan.session, plan.operation, plan.database, plan.byHeader, agent, requests++)))
    planned.forEach((plan, i) => {
      const outcome = `${plan.operation} ${answers[i]!.status}`
      answered[outcome] = (answered[outcome] ?? 0) + 1
      const problem = check(plan.session, CHECKED_AS[plan.operation], plan.database, answers[i]!, config.HISTORY_LIMIT)
      if (problem !== null) {
        failures++
        t.fail(`wave ${wave} of FUZZ_SEED=${SEED}, session ${plan.session.tag}, ${plan.operation}: ${problem}`)
      }
    })
  }
  t.equal(failures, 0, `${requests} requests of ${SESSIONS} sessions in ${WAVES} waves, each answer its own session's`)
  t.comment(Object.entries(answered).sort().map(([outcome, count]) => `${outcome}: ${count}`).join(', '))
  t.ok(OPERATIONS.every((operation) => answered[`${operation} 200`] !== undefined), 'every kind of request answered 200 at times')
}

interface Answer { status: number, body: string }

/** Sends `operation` for `session` to `app`: its id in the body or in X-Session-Id (or its cookie), as its Mcp-Session-Id, or in the agent's tool call. */
async function send (app: FastifyInstance, session: Session, operation: Operation, database: string, byHeader: boolean, agent: string, n: number): Promise<Answer> {
  const headers: Record<string, string> = session.cookie === null ? { 'x-session-id': session.id } : { cookie: session.cookie }
  const withBody = (url: string, body: Record<string, unknown>) => byHeader || session.cookie !== null ? post(app, url, body, headers) : post(app, url, { ...body, session_id: session.id })
  const tool = (mcpSession: string, name: string, args: Record<string, unknown>) =>
    post(app, '/mcp', { jsonrpc: '2.0', id: n, method: 'tools/call', params: { name, arguments: args } }, { ...MCP_HEADERS, 'mcp-session-id': mcpSession }).then(toolAnswer)
  const query = `SELECT owner, DATABASE() AS db, '${session.tag}' AS tag, ${n} AS n FROM t`
  switch (operation) {
    case 'mcp query': return tool(session.id, 'run_query', { query })
    case 'agent select': return tool(agent, 'select_database', { database_name: database, session_id: session.id })
    case 'agent query': return tool(agent, 'run_query', { query, session_id: session.id })
  }
  const res = await (operation === 'select'
    ? withBody('/api/database/select', { database_name: database })
    : operation === 'query'
      ? withBody('/api/query', { query })
      : operation === 'export'
        ? withBody('/api/query/export', { query, format: 'ndjson' })
        : app.inject({ method: operation === 'clear' ? 'DELETE' : 'GET', url: operation === 'history' ? '/api/query/history' : '/api/database/context', headers }))
  return { status: res.statusCode, body: res.body }
}

/** A tool call's result as the HTTP answer it stands for: its structured content, or its error envelope's status. */
function toolAnswer (res: { statusCode: number, body: string }): Answer {
  const result = (JSON.parse(res.body) as { result?: { isError?: boolean, content: Array<{ text: string }>, structuredContent?: unknown } }).result
  if (res.statusCode !== 200 || result === undefined) return { status: res.statusCode, body: res.body }
  if (result.isError === true) return { status: (JSON.parse(result.content[0]!.text) as { statusCode: number }).statusCode, body: result.content[0]!.text }
  return { status: 200, body: JSON.stringify(result.structuredContent) }
}

/** What is wrong with `answer` for `session`'s `operation` (null if nothing); updates the session's model. */
function check (session: Session, operation: typeof CHECKED_AS[Operation], database: string, answer: Answer, historyLimit: number): string | null {
  const expected = session.database
  const said = `${answer.status} ${answer.body.slice(0, 300)}`
  if (operation === 'select') {
    session.database = database
    return answer.status === 200 && json(answer).database_name === database && json(answer).session_id === session.id ? null : `expected ${database}: ${said}`
  }
  if (operation === 'clear') {
    session.database = null
    return answer.status === 200 && json(answer).session_id === session.id && json(answer).cleared === (expected !== null) ? null : `expected cleared ${expected !== null}: ${said}`
  }
  if (operation === 'context') {
    const context = answer.status === 200 ? json(answer).database_context as { database_name: string } | null : undefined
    return answer.status === 200 && json(answer).session_id === session.id && (context?.database_name ?? null) === expected ? null : `expected ${expected}: ${said}`
  }
  if (operation === 'history') {
    if (answer.status !== 200) return said
    const entries = json(answer).queries as Array<{ query: string, query_id: string }>
    const strangers = entries.filter((entry) => !entry.query.includes(session.tag))
    if (strangers.length > 0) return `another session's statement in its history: ${strangers[0]!.query}`
    const kept = new Set(entries.map((entry) => entry.query_id))
    const missing = session.ran.slice(-historyLimit).filter((id) => id !== null && !kept.has(id))
    return missing.length === 0 ? null : `its queries ${missing.join(', ')} are not in its history`
  }
  if (operation === 'query' || operation === 'export') session.ran.push(null)
  if (expected === null) return answer.status === 409 && json(answer).code === 'database_context_missing' ? null : `expected 409: ${said}`
  if (operation === 'export') {
    const rows = answer.body.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>)
    return answer.status === 200 && rows.length === 1 && rows[0]!.owner === expected && rows[0]!.db === expected && rows[0]!.tag === session.tag ? null : `expected a row of ${expected}: ${said}`
  }
  const body = json(answer)
  const row = (body.rows as Array<Record<string, unknown>> | undefined)?.[0]
  if (answer.status !== 200 || body.session_id !== session.id || body.database_name !== expected || row?.owner !== expected || row?.db !== expected || row?.tag !== session.tag) {
    return `expected a row of ${expected}: ${said}`
  }
  session.ran[session.ran.length - 1] = body.query_id as string
  return null
}

function json (answer: Answer): Record<string, unknown> {
  try {
    return JSON.parse(answer.body) as Record<string, unknown>
  } catch {
    return {}
  }
}
