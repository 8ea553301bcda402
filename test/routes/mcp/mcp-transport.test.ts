import t, { type Test } from 'tap'
import { build, createDatabase, listen } from '../../helper.js'

/**
 * The Streamable HTTP side of /mcp, as MCP's transport rules ask, with plain fetch: what the SDK's
 * own client would never send, and many clients at once on the one server the endpoint keeps.
 */
const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }

async function endpoint (t: Test) {
  const app = await build(t)
  const url = `${await listen(app)}/mcp`
  const send = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(url, { method: 'POST', headers: { ...HEADERS, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) })
  /** A new MCP session. */
  const initialize = async (): Promise<string> => {
    const res = await send({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'transport-test', version: '1.0.0' } } })
    t.equal(res.status, 200)
    t.match(await res.json(), { id: 0, result: { protocolVersion: '2025-06-18', serverInfo: { name: 'sqlgate' } } })
    return res.headers.get('mcp-session-id')!
  }
  return { app, send, initialize, sessionId: await initialize() }
}

t.test('MCP transport: notifications are accepted with 202; what MCP\'s transport refuses is a JSON-RPC error', async (t) => {
  const { send, sessionId } = await endpoint(t)
  const session = { 'mcp-session-id': sessionId }

  const initialized = await send({ jsonrpc: '2.0', method: 'notifications/initialized' }, session)
  t.equal(initialized.status, 202, 'a notification needs no answer')
  t.equal(await initialized.text(), '')

  const notAcceptable = await send({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, { ...session, accept: 'application/json' })
  t.equal(notAcceptable.status, 406, 'a client must accept JSON and event streams')
  t.match(await notAcceptable.json(), { jsonrpc: '2.0', id: null, error: { code: -32000, message: /Not Acceptable/ } })

  const notRpc = await send({ hello: 'world' }, session)
  t.equal(notRpc.status, 400, 'a body that is no JSON-RPC message')
  t.match(await notRpc.json(), { id: null, error: { code: -32700, message: 'Parse error: Invalid JSON-RPC message' } })

  const version = await send({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, { ...session, 'mcp-protocol-version': '1999-01-01' })
  t.equal(version.status, 400, 'a protocol version the server does not speak')
  t.match(await version.json(), { error: { code: -32000, message: /Unsupported protocol version: 1999-01-01/ } })
  const supported = await send({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, { ...session, 'mcp-protocol-version': '2025-06-18' })
  t.equal(supported.status, 200, 'a version it speaks')
  const negotiating = await send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '1999-01-01', capabilities: {}, clientInfo: { name: 't', version: '1' } } }, { 'mcp-protocol-version': '1999-01-01' })
  t.equal(negotiating.status, 200, 'an initialize is answered whatever version its header names: it negotiates the version')
  t.match(await negotiating.json(), { result: { protocolVersion: /^\d{4}-\d{2}-\d{2}$/ } })

  const unknown = await send({ jsonrpc: '2.0', id: 'a', method: 'no/such/method' }, session)
  t.equal(unknown.status, 200)
  t.match(await unknown.json(), { jsonrpc: '2.0', id: 'a', error: { code: -32601 } }, 'an unknown method is the JSON-RPC error, under the client\'s id')
})

t.test('MCP transport: params the method does not take are -32602, Invalid params, naming each problem; not an internal error', async (t) => {
  const { send, sessionId } = await endpoint(t)
  const cases: Array<[unknown, RegExp]> = [
    [{ method: 'tools/call' }, /^Invalid params for tools\/call: params: .*expected object/],
    [{ method: 'tools/call', params: { arguments: {} } }, /^Invalid params for tools\/call: params\.name: .*expected string, received undefined$/],
    [{ method: 'tools/call', params: { name: 5, arguments: 'x' } }, /^Invalid params for tools\/call: params\.name: .*expected string, received number; params\.arguments: .*expected record/],
    [{ method: 'tools/list', params: { cursor: 5 } }, /^Invalid params for tools\/list: params\.cursor: .*expected string, received number$/]
  ]
  for (const [id, [request, message]] of cases.entries()) {
    const res = await send({ jsonrpc: '2.0', id: `c${id}`, ...request as object }, { 'mcp-session-id': sessionId })
    t.equal(res.status, 200)
    t.match(await res.json(), { jsonrpc: '2.0', id: `c${id}`, error: { code: -32602, message } }, JSON.stringify(request))
  }
  const good = await send({ jsonrpc: '2.0', id: 'ok', method: 'tools/call', params: { name: 'run_query', arguments: {} } }, { 'mcp-session-id': sessionId })
  t.match(await good.json(), { id: 'ok', result: { isError: true, content: [{ text: /validation_error/ }] } }, 'arguments a tool does not take stay a tool error, as MCP asks')
})

t.test('MCP transport: many clients sending the same ids at once each get their own answers', async (t) => {
  const { send, initialize } = await endpoint(t)
  const databases = await Promise.all([1, 2, 3].map((n) => createDatabase(t, `CREATE TABLE t (v INT); INSERT INTO t VALUES (${n})`)))
  // Ten MCP sessions over three databases; then 30 calls at once (three a session, within its
  // concurrency limit), every one with id 1.
  const sessions = await Promise.all(Array.from({ length: 10 }, (_, i) => databases[i % 3]!).map(async (database) => {
    const sessionId = await initialize()
    const selected = await send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'select_database', arguments: { database_name: database } } }, { 'mcp-session-id': sessionId })
    t.equal(selected.status, 200)
    return sessionId
  }))
  const calls = Array.from({ length: 30 }, (_, i) => i % 10)
  const answers = await Promise.all(calls.map(async (which) => {
    const res = await send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'run_query', arguments: { query: 'SELECT v, SLEEP(0.01) AS s FROM t' } } }, { 'mcp-session-id': sessions[which]! })
    return await res.json() as { id: number, result: { structuredContent: { rows: Array<{ v: number }> } } }
  }))
  for (const [i, answer] of answers.entries()) {
    t.equal(answer.id, 1, `call ${i}: the client's own id`)
    t.equal(answer.result.structuredContent.rows[0]!.v, (calls[i]! % 3) + 1, `call ${i}: its own session's database`)
  }
})
