import t from 'tap'
import { build, listen, liveHeapBytes, randomSessionId } from '../../helper.js'

// Its own file, so that nothing else of this process has loaded the MCP SDK before.
t.test('the MCP SDK is loaded by the first /mcp request, not at start-up, and that request is served', async (t) => {
  const app = await build(t)
  const base = await listen(app)
  // The HTTP API, warmed up: its own first-use allocations are not counted below.
  for (let i = 0; i < 3; i++) await fetch(`${base}/api/database/context`, { headers: { 'x-session-id': randomSessionId() } })
  const before = liveHeapBytes()

  const initialize = await fetch(`${base}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'lazy-test', version: '1.0.0' } } })
  })
  t.equal(initialize.status, 200, 'the first MCP request is answered')
  t.match(initialize.headers.get('mcp-session-id'), /^session_\d+_/, 'with its session')
  t.equal((await initialize.json() as { result?: { serverInfo?: { name?: string } } }).result?.serverInfo?.name, 'sqlgate')
  const grown = (liveHeapBytes() - before) / 1024 / 1024
  t.ok(grown > 3, `serving it loaded the SDK then: the live heap grew by ${grown.toFixed(1)} MB`)

  const list = await fetch(`${base}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': initialize.headers.get('mcp-session-id')! },
    body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' })
  })
  t.equal(list.status, 200)
  t.ok((await list.json() as { result: { tools: unknown[] } }).result.tools.length > 0, 'later requests use the loaded SDK')
})
