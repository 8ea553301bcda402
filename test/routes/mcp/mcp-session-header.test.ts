import t from 'tap'
import { build, createDatabase, listen, randomSessionId } from '../../helper.js'

const INITIALIZE = { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'header-test', version: '1.0.0' } } }
const runQuery = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'run_query', arguments: { query: 'SELECT 1 AS one' } } }

t.test('MCP: an X-Session-Id header names the session the request runs in, or is refused', async (t) => {
  const app = await build(t)
  const url = `${await listen(app)}/mcp`
  const db = await createDatabase(t)
  const send = (body: unknown, headers: Record<string, string>) => fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18', ...headers },
    body: JSON.stringify(body)
  })
  const other = randomSessionId()
  const select = await fetch(`${url.replace(/\/mcp$/, '')}/api/database/select`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ database_name: db, session_id: other }) })
  t.equal(select.status, 200)
  const sessionsBefore = (await app.redis.keys(`${app.config.REDIS_KEY_PREFIX}session:*:born`)).length

  const initialize = await send(INITIALIZE, { 'x-session-id': other })
  t.strictSame([initialize.status, (await initialize.json()).code], [400, 'session_id_conflict'], 'initialize starts a new session, which X-Session-Id does not name')
  t.equal((await app.redis.keys(`${app.config.REDIS_KEY_PREFIX}session:*:born`)).length, sessionsBefore, 'and none was started')

  const started = await send(INITIALIZE, {})
  const mcpSession = started.headers.get('mcp-session-id')!
  const conflict = await send(runQuery, { 'mcp-session-id': mcpSession, 'x-session-id': other })
  const answer = await conflict.json()
  t.strictSame([conflict.status, answer.code], [400, 'session_id_conflict'], 'a tool call whose X-Session-Id names another session')
  t.match(answer.message, /Mcp-Session-Id header names the session/)
  const history = await app.inject({ url: '/api/query/history', headers: { 'x-session-id': other } })
  t.strictSame(history.json().queries, [], 'nothing ran in the session the header named')

  const selectInMcp = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'select_database', arguments: { database_name: db } } }
  t.equal((await send(selectInMcp, { 'mcp-session-id': mcpSession })).status, 200)
  const same = await send(runQuery, { 'mcp-session-id': mcpSession, 'x-session-id': mcpSession })
  t.equal(same.status, 200, 'the same id in both headers is that session')
  t.equal((await same.json()).result.structuredContent.rows[0].one, 1)
})
