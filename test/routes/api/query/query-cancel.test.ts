import { request } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { adminConnection, build, createDatabase, listen, runningStatements, selectedSession } from '../../../helper.js'

/**
 * A client that goes away before its answer (a closed tab, an HTTP client's own timeout) has its
 * read stopped on the database server; a write runs on. Over real HTTP: inject has no connection
 * to close.
 */
/**
 * POSTs `body` on a connection of its own (node:http, no agent) and destroys that connection after
 * `leaveAfterMs`, as a closed tab does. (fetch keeps connections alive and opens new ones after an
 * abort, which the server then waits for when it closes.)
 */
function postAndLeave (url: string, headers: Record<string, string>, body: unknown, leaveAfterMs: number): Promise<void> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', ...headers } })
    req.on('error', () => {})
    req.on('close', () => resolve())
    req.end(JSON.stringify(body))
    setTimeout(() => req.destroy(), leaveAfterMs)
  })
}

async function setup (t: Test, env: Record<string, string> = {}) {
  const logs: Array<Record<string, unknown>> = []
  const app = await build(t, { env, logs })
  const base = await listen(app)
  const db = await createDatabase(t, 'CREATE TABLE w (v INT)')
  const sessionId = await selectedSession(app, db)
  const admin = await adminConnection(t)
  const running = async (marker: string): Promise<boolean> => (await runningStatements(admin, marker)).length > 0
  /** Sends `query` and closes the connection after `leaveAfterMs`, without reading an answer. */
  const leave = (query: string, leaveAfterMs: number, session = sessionId) =>
    postAndLeave(`${base}/api/query`, { 'x-session-id': session }, { query }, leaveAfterMs)
  const query = async (query: string, session = sessionId) => (await fetch(`${base}/api/query`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-session-id': session }, body: JSON.stringify({ query })
  })).json() as Promise<Record<string, any>>
  const history = async (session = sessionId) => (await (await fetch(`${base}/api/query/history`, { headers: { 'x-session-id': session } })).json() as { queries: Array<Record<string, unknown>> }).queries
  const until = async (check: () => Promise<boolean>, ms: number): Promise<boolean> => {
    for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) if (await check()) return true
    return false
  }
  return { app, base, db, sessionId, running, leave, query, history, until, logs }
}

t.test('a read whose client goes away is stopped on the database server, and the history says so', async (t) => {
  const { running, leave, query, history, until, logs } = await setup(t)
  const started = Date.now()
  await leave("SELECT SLEEP(10) AS s, 'gone-read' AS m", 300)
  t.ok(await until(async () => !(await running('gone-read')), 2000), 'the statement no longer runs')
  t.ok(Date.now() - started < 3000, `stopped after ${Date.now() - started} ms, not at its 10 s`)
  t.ok(await until(async () => (await history())[0]?.error_code === 'client_closed_request', 2000), 'recorded as client_closed_request')
  t.strictSame((await query('SELECT 1 AS one')).rows, [{ one: 1 }], 'the session and the pool serve the next query')
  const line = logs.find((entry) => entry.msg === 'request' && entry.status === 499)
  t.match(line, { level: 30, method: 'POST', route: '/api/query', status: 499, ms: Number, session: /^[0-9a-f]{12}$/ }, 'its request line says 499')
  t.notOk(logs.some((entry) => Number(entry.level) >= 50), 'nothing logged as an error')
})

t.test('a write whose client goes away runs on: its outcome must not depend on the connection', async (t) => {
  const { running, leave, query, until } = await setup(t, { READ_ONLY: 'false' })
  await leave("INSERT INTO w SELECT 1 FROM DUAL WHERE SLEEP(1) = 0 AND 'gone-write' <> ''", 300)
  t.ok(await running('gone-write'), 'still running after its client left')
  t.ok(await until(async () => (await query('SELECT COUNT(*) AS n FROM w')).rows?.[0]?.n === '1', 3000), 'and it committed')
})

t.test('a query whose client left while it waited for a connection never runs', async (t) => {
  const { db, app, running, leave, query, history, until } = await setup(t, { MYSQL_POOL_SIZE: '1' })
  const other = await selectedSession(app, db)
  const busy = query("SELECT SLEEP(1) AS s, 'holds-the-pool' AS m", other)
  t.ok(await until(() => running('holds-the-pool'), 2000), 'the one connection is busy')
  await leave("SELECT SLEEP(5) AS s, 'never-ran' AS m", 200)
  await busy
  t.ok(await until(async () => (await history())[0]?.error_code === 'client_closed_request', 2000), 'recorded as client_closed_request')
  t.notOk(await running('never-ran'), 'it was not sent')
})

t.test('over MCP too: a run_query read whose client goes away is stopped', async (t) => {
  const { base, db, running, until } = await setup(t)
  const url = `${base}/mcp`
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' }
  const initialize = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'cancel-test', version: '1.0.0' } } }) })
  const mcpSession = initialize.headers.get('mcp-session-id')!
  const call = (id: number, name: string, args: unknown) => fetch(url, {
    method: 'POST', headers: { ...headers, 'mcp-session-id': mcpSession }, body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } })
  })
  t.equal((await call(1, 'select_database', { database_name: db })).status, 200)
  const leaving = postAndLeave(url, { ...headers, 'mcp-session-id': mcpSession },
    { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'run_query', arguments: { query: "SELECT SLEEP(10) AS s, 'gone-mcp' AS m" } } }, 500)
  t.ok(await until(() => running('gone-mcp'), 2000), 'running')
  await leaving
  t.ok(await until(async () => !(await running('gone-mcp')), 2000), 'stopped once its client left')
})
