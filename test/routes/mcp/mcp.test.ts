import t, { type Test } from 'tap'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { adminConnection, build, createDatabase, listen, post, randomSessionId, testConfig, throwawayRedis } from '../../helper.js'
import { sessionKey } from '../../../plugins/app/session/session-keys.js'

const mcpUrl = async (app: FastifyInstance) => new URL(`${await listen(app)}/mcp`)

async function connect (t: Test, url: URL, options: { sessionId?: string, headers?: Record<string, string> } = {}) {
  const client = new Client({ name: 'sqlgate-test', version: '1.0.0' })
  const transport = new StreamableHTTPClientTransport(url, { sessionId: options.sessionId, requestInit: { headers: options.headers ?? {} } })
  await client.connect(transport)
  t.teardown(() => client.close())
  return { client, transport }
}

/** JSON-RPC over plain fetch, for what the SDK's client would never send. */
function rawSender (url: URL) {
  return (body: unknown, sessionId?: string) => fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-03-26', ...(sessionId === undefined ? {} : { 'mcp-session-id': sessionId }) },
    body: typeof body === 'string' ? body : JSON.stringify(body)
  })
}
async function rawInitialize (t: Test, send: ReturnType<typeof rawSender>): Promise<string> {
  const initialize = await send({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'raw-test', version: '1.0.0' } } })
  t.equal(initialize.status, 200)
  return initialize.headers.get('mcp-session-id')!
}
const toolCall = (id: number, name: string, args: unknown = {}) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } })

type ToolResult = { isError?: boolean, structuredContent?: Record<string, any>, content: Array<{ type: string, text?: string }> }
const call = async (client: Client, name: string, args: Record<string, unknown> = {}) => await client.callTool({ name, arguments: args }) as ToolResult
const errorOf = (result: ToolResult) => JSON.parse(result.content[0]!.text!) as { code: string, message: string }

t.test('MCP: tools listed with input schemas and annotations', async (t) => {
  const app = await build(t)
  const { client } = await connect(t, await mcpUrl(app))
  const { tools } = await client.listTools()
  t.strictSame(tools.map((tool) => tool.name).sort(), ['describe_schema', 'list_databases', 'query_history', 'run_query', 'select_database'])
  const runQuery = tools.find((tool) => tool.name === 'run_query')!
  t.equal(runQuery.annotations?.readOnlyHint, true, 'read-only by default')
  t.strictSame(runQuery.inputSchema.required, ['query'])
  t.ok(runQuery.inputSchema.properties?.params, 'params are in the schema')
  t.equal(tools.find((tool) => tool.name === 'list_databases')!.annotations?.readOnlyHint, true)
})

t.test('MCP: select then query inside one MCP session; a write is refused and nothing changes', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t, "CREATE TABLE items (id BIGINT PRIMARY KEY, name VARCHAR(20)); INSERT INTO items VALUES (9007199254740993, 'one')")
  const { client, transport } = await connect(t, await mcpUrl(app))
  t.match(transport.sessionId, /^session_\d+_/, 'the MCP session is a sqlgate session')

  const listed = await call(client, 'list_databases')
  t.ok(listed.structuredContent?.databases.some((d: { name: string }) => d.name === db))
  const shouted = await call(client, 'select_database', { database_name: db.toUpperCase() })
  t.match(errorOf(shouted), { code: 'database_not_found', similar_databases: [db] }, 'a name in another case names the database meant')
  const selected = await call(client, 'select_database', { database_name: db })
  t.equal(selected.structuredContent?.session_id, transport.sessionId)
  t.equal(selected.structuredContent?.total_tables, 1)

  const rows = await call(client, 'run_query', { query: 'SELECT id, name FROM items WHERE name = ?', params: ['one'] })
  t.notOk(rows.isError)
  t.strictSame(rows.structuredContent?.rows, [{ id: '9007199254740993', name: 'one' }], 'exact values, as over HTTP')
  t.equal(JSON.parse(rows.content[0]!.text!).row_count, 1, 'the text content carries the same answer')

  const mismatched = await call(client, 'run_query', { query: 'SELECT name FROM items WHERE name = ?', params: ['one', 'two'] })
  t.equal(mismatched.isError, true)
  t.equal(errorOf(mismatched).code, 'param_count_mismatch', 'params checked as over HTTP')
  const unknown = await call(client, 'drop_everything')
  t.equal(unknown.isError, true)
  t.equal(errorOf(unknown).code, 'unknown_tool')

  const refused = await call(client, 'run_query', { query: 'DELETE FROM items' })
  t.equal(refused.isError, true)
  t.equal(errorOf(refused).code, 'read_only_violation')
  const admin = await adminConnection(t)
  const [count] = await admin.query(`SELECT COUNT(*) AS n FROM \`${db}\`.items`) as unknown as [Array<{ n: number }>]
  t.equal(Number(count[0]!.n), 1, 'the table is unchanged')

  const schema = await call(client, 'describe_schema', { table: 'items' })
  t.strictSame(schema.structuredContent?.tables.map((table: { name: string }) => table.name), ['items'])
  t.strictSame(schema.structuredContent?.tables[0].columns.map((c: { name: string, key: string }) => [c.name, c.key]), [['id', 'PRI'], ['name', '']])
  t.strictSame(schema.structuredContent?.tables[0].foreign_keys, [], 'and its foreign keys, as over HTTP')
  const misspelt = await call(client, 'describe_schema', { table: 'Items' })
  t.equal(misspelt.isError, true, 'a table that does not exist is an error, not an empty schema')
  t.match(errorOf(misspelt), { code: 'table_not_found', similar_tables: ['items'] })

  const history = await call(client, 'query_history')
  t.strictSame(history.structuredContent?.queries.map((q: { query: string, error_code: string | null }) => [q.query, q.error_code]),
    [['DELETE FROM items', 'read_only_violation'], ['SELECT name FROM items WHERE name = ?', 'param_count_mismatch'], ['SELECT id, name FROM items WHERE name = ?', null]])
  const newest = await call(client, 'query_history', { limit: 1 })
  t.strictSame(newest.structuredContent?.queries.map((q: { query: string }) => q.query), ['DELETE FROM items'], 'only the newest limit')
  t.equal(errorOf(await call(client, 'query_history', { limit: 0 })).code, 'validation_error')
  const misspeltQuery = await call(client, 'run_query', { query: 'SELECT id FROM Items' })
  t.match(errorOf(misspeltQuery), { code: 'sql_error', errno: 1146, similar_tables: ['items'], message: /did you mean 'items'\?$/ }, 'a query of a table spelt in another case names the one meant')
  const misspeltColumn = await call(client, 'run_query', { query: 'SELECT nam FROM items' })
  t.match(errorOf(misspeltColumn), { code: 'sql_error', errno: 1054, similar_columns: ['items.name'] }, 'and of a column, the column meant')

  const json = await call(client, 'run_query', { query: 'SELECT JSON_OBJECT(\'n\', id, \'s\', name) AS doc FROM items' })
  t.strictSame(json.structuredContent?.rows, [{ doc: { n: 9007199254740992, s: 'one' } }], 'a JSON value is the parsed value in structured content')
  t.match(json.content[0]!.text, /"rows":\[\{"doc":\{"n": 9007199254740993, "s": "one"\}\}\]/, 'and the text has every digit, as over HTTP')

  const proto = await call(client, 'run_query', { query: 'SELECT name AS `__proto__` FROM items' })
  t.notOk(proto.isError, 'a column named __proto__ (mysql2 refuses the name) answers like any other')
  t.equal(JSON.stringify(proto.structuredContent?.rows), '[{"__proto__":"one"}]')
  t.match(proto.content[0]!.text!, '"rows":[{"__proto__":"one"}]')

  const bad = await call(client, 'run_query', { query: '' })
  t.equal(errorOf(bad).code, 'validation_error', 'arguments are validated by the same schema')
  t.match(errorOf(await call(client, 'run_query', { query: 'SELECT 1', params: [2 ** 53] })).message,
    'arguments/params/0 Expected number to be less or equal to 9007199254740991', 'an inexact integer: the bound, not "Expected union value"')
  t.equal(errorOf(await call(client, 'run_query', { query: 'SELECT 1', row_format: 'rows' })).message,
    "arguments/row_format Expected 'object' or 'array'")
  t.equal(errorOf(await call(client, 'run_query', { query: 'SELECT 1', session_id: 'bad id' })).code, 'invalid_session_id')
})

t.test('MCP: two MCP sessions are isolated; an agent can join a browser session by session_id', async (t) => {
  const app = await build(t)
  const url = await mcpUrl(app)
  const [dbA, dbB] = [await createDatabase(t, "CREATE TABLE t (v VARCHAR(5)); INSERT INTO t VALUES ('A')"), await createDatabase(t, "CREATE TABLE t (v VARCHAR(5)); INSERT INTO t VALUES ('B')")]
  const one = await connect(t, url)
  const two = await connect(t, url)
  t.not(one.transport.sessionId, two.transport.sessionId)
  await call(one.client, 'select_database', { database_name: dbA })
  await call(two.client, 'select_database', { database_name: dbB })
  t.strictSame((await call(one.client, 'run_query', { query: 'SELECT v FROM t' })).structuredContent?.rows, [{ v: 'A' }])
  t.strictSame((await call(two.client, 'run_query', { query: 'SELECT v FROM t' })).structuredContent?.rows, [{ v: 'B' }])

  const browser = randomSessionId()
  await post(app, '/api/database/select', { database_name: dbB, session_id: browser })
  const joined = await call(one.client, 'run_query', { query: 'SELECT v FROM t', session_id: browser })
  t.strictSame(joined.structuredContent?.rows, [{ v: 'B' }], 'the agent works in the browser user\'s database')
  const seen = await app.inject({ url: '/api/query/history', headers: { 'x-session-id': browser } })
  t.equal(seen.json().queries[0].query, 'SELECT v FROM t', 'and the browser user sees the agent\'s query in its history')
  t.strictSame((await call(one.client, 'run_query', { query: 'SELECT v FROM t' })).structuredContent?.rows, [{ v: 'A' }], 'its own session is untouched')
})

t.test('MCP: a session continues on another instance (nothing of it is in process memory)', async (t) => {
  const config = testConfig()
  const [first, second] = [await build(t, { config }), await build(t, { config })]
  const db = await createDatabase(t, 'CREATE TABLE t (v INT); INSERT INTO t VALUES (7)')
  const { client, transport } = await connect(t, await mcpUrl(first))
  await call(client, 'select_database', { database_name: db })
  await first.close() // the instance that served it is gone
  const resumed = await connect(t, await mcpUrl(second), { sessionId: transport.sessionId })
  t.strictSame((await call(resumed.client, 'run_query', { query: 'SELECT v FROM t' })).structuredContent?.rows, [{ v: 7 }])
})

t.test('MCP: API keys apply', async (t) => {
  const key = 'mcp-key-0123456789abcdef'
  const app = await build(t, { env: { API_KEYS: key } })
  const url = await mcpUrl(app)
  await t.rejects(connect(t, url), 'no key: the client cannot even initialize')
  const { client } = await connect(t, url, { headers: { authorization: `Bearer ${key}` } })
  t.ok((await client.listTools()).tools.length > 0)
})

t.test('MCP with SESSION_STRICT: initialize creates the session; an unknown one is refused', async (t) => {
  const app = await build(t, { env: { SESSION_STRICT: 'true' } })
  const url = await mcpUrl(app)
  const { client, transport } = await connect(t, url)
  t.ok((await client.listTools()).tools.length > 0, 'an issued MCP session works')
  t.equal(await app.redis.exists(sessionKey(app.config.REDIS_KEY_PREFIX, transport.sessionId!, 'born')), 1, 'created in Redis on initialize')
  const stranger = new Client({ name: 'stranger', version: '1.0.0' })
  await stranger.connect(new StreamableHTTPClientTransport(url, { sessionId: randomSessionId() }))
  await t.rejects(stranger.listTools(), 'a made-up MCP session is refused')
  await stranger.close()
})

t.test('MCP: a JSON-RPC batch is refused whole, and each request is one unit of the rate limit', async (t) => {
  const app = await build(t, { env: { RATE_LIMIT_MAX: '4' } })
  const db = await createDatabase(t, 'CREATE TABLE t (v INT)')
  const send = rawSender(await mcpUrl(app))
  const sessionId = await rawInitialize(t, send)

  const batch = await send([toolCall(1, 'select_database', { database_name: db }), ...Array.from({ length: 20 }, (_, i) => toolCall(i + 2, 'list_databases'))], sessionId)
  t.equal(batch.status, 400)
  const refusal = await batch.json() as { code: string, message: string }
  t.equal(refusal.code, 'mcp_batch_not_supported')
  t.match(refusal.message, /one JSON-RPC message per request/)
  t.equal(await app.redis.exists(sessionKey(app.config.REDIS_KEY_PREFIX, sessionId, 'context')), 0, 'no message of the batch ran: no database was selected')
  t.equal((await send([], sessionId)).status, 400, 'an empty batch too')

  // initialize was the first of the session's 4 requests; the refused batches were not counted.
  const statuses: number[] = []
  for (let id = 100; id < 104; id++) statuses.push((await send(toolCall(id, 'list_databases'), sessionId)).status)
  t.strictSame(statuses, [200, 200, 200, 429], 'one tool call per request, counted per MCP session')
})

t.test('MCP: arguments nested 100,000 deep are a validation error, not an internal one', async (t) => {
  const app = await build(t)
  const send = rawSender(await mcpUrl(app))
  const sessionId = await rawInitialize(t, send)
  const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`
  for (const [args, message] of [[`{"query": "SELECT 1", "params": ${deep}}`, 'arguments/params/0 Expected string or number or boolean or null'], [`{"query": "SELECT 1", "deep": ${deep}}`, 'arguments/deep Unexpected property']]) {
    const res = await send(`{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "run_query", "arguments": ${args}}}`, sessionId)
    const answer = await res.json() as { result?: ToolResult, error?: unknown }
    t.equal(answer.error, undefined, 'no JSON-RPC error')
    t.equal(answer.result?.isError, true)
    t.match(errorOf(answer.result!), { code: 'validation_error', message })
  }
})

t.test('MCP: a missing argument names the unknown ones sent in its place', async (t) => {
  const app = await build(t)
  const send = rawSender(await mcpUrl(app))
  const sessionId = await rawInitialize(t, send)
  const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`
  const cases: Array<[string, string]> = [
    ['{"sql": "SELECT 1"}', 'arguments/query Expected required property, arguments/sql Unexpected property'],
    [`{"sql": "SELECT 1", "params": ${deep}}`, 'arguments/query Expected required property, arguments/sql Unexpected property'],
    [`{${Array.from({ length: 8 }, (_, i) => `"f${i}": ${i}`).join(', ')}}`,
      ['arguments/query Expected required property', ...[0, 1, 2, 3, 4].map((i) => `arguments/f${i} Unexpected property`)].join(', ')],
    ['{"max_rows": 5}', 'arguments/query Expected required property']
  ]
  for (const [args, message] of cases) {
    const res = await send(`{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "run_query", "arguments": ${args}}}`, sessionId)
    const answer = await res.json() as { result?: ToolResult }
    t.equal(answer.result?.isError, true)
    t.equal(errorOf(answer.result!).message, message, args.slice(0, 60))
  }
})

t.test('MCP: an initialize that does not match the schema says so, rather than asking for a session it would have created', async (t) => {
  const app = await build(t)
  const send = rawSender(await mcpUrl(app))
  for (const params of [{}, { protocolVersion: '2025-03-26', capabilities: {} }, { protocolVersion: 2025, capabilities: {}, clientInfo: { name: 'x', version: '1' } }]) {
    const res = await send({ jsonrpc: '2.0', id: 0, method: 'initialize', params })
    t.equal(res.status, 400, JSON.stringify(params))
    t.match(await res.json(), { code: 'validation_error', message: /initialize request does not match MCP's schema/ }, JSON.stringify(params))
    t.equal(res.headers.get('mcp-session-id'), null, 'no session was made')
  }
  t.equal((await send(toolCall(1, 'list_databases'))).status, 400, 'another message without a session is still mcp_session_required')
  t.equal((await (await send(toolCall(1, 'list_databases'))).json() as { code: string }).code, 'mcp_session_required')
})

t.test('MCP answers carry the data headers, the rate-limit headers and CORS, as API answers do', async (t) => {
  const origin = 'https://agents.example.com'
  const app = await build(t, { env: { CORS_ORIGINS: origin } })
  const url = await mcpUrl(app)
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', origin },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'headers-test', version: '1.0.0' } } })
  })
  t.equal(res.status, 200)
  const api = await app.inject({ url: '/api/database/list' })
  for (const name of ['cache-control', 'content-security-policy', 'x-content-type-options', 'x-frame-options', 'cross-origin-resource-policy']) {
    t.equal(res.headers.get(name), api.headers[name], `${name} as on /api answers`)
  }
  t.equal(res.headers.get('x-ratelimit-limit'), String(app.config.RATE_LIMIT_MAX))
  t.equal(res.headers.get('x-ratelimit-remaining'), String(app.config.RATE_LIMIT_MAX - 1))
  t.equal(res.headers.get('access-control-allow-origin'), origin, 'a browser agent can read it')
  t.match(res.headers.get('mcp-session-id'), /^session_/)
})

t.test('MCP: run_query\'s whole answer stays within QUERY_MAX_RESULT_BYTES on the wire, however its text escapes', async (t) => {
  const budget = 256 * 1024
  const app = await build(t, { env: { QUERY_MAX_RESULT_BYTES: String(budget) } })
  const db = await createDatabase(t)
  const send = rawSender(await mcpUrl(app))
  const sessionId = await rawInitialize(t, send)
  t.equal((await send(toolCall(1, 'select_database', { database_name: db }), sessionId)).status, 200)
  // Control characters (six bytes of JSON, seven escaped again), quotes and backslashes (two, four
  // escaped again), plain text: the rows appear as escaped text and as structuredContent.
  for (const [id, value] of [[2, 'CHAR(1 USING utf8mb4)'], [3, "'\"'"], [4, "'\\\\'"], [5, "'a'"]] as const) {
    const res = await send(toolCall(id, 'run_query', { query: `SELECT REPEAT(${value}, 1000000) AS v` }), sessionId)
    const body = await res.text()
    t.equal(res.status, 200)
    t.ok(Buffer.byteLength(body) <= budget + 1024, `${value}: ${Buffer.byteLength(body)} bytes on the wire, budget ${budget}`)
    const result = (JSON.parse(body) as { result: ToolResult }).result
    t.match(result.structuredContent, { truncated: true, truncated_values: 1, truncated_columns: ['v'] }, `${value}: cut and said so`)
    t.ok((result.structuredContent!.rows[0].v as string).length > 1000, `${value}: still a useful part of the value`)
  }
})

t.test('MCP: a request is counted with its client address in one script call of its turn, nothing else counting it', async (t) => {
  const throwaway = await throwawayRedis(t)
  const app = await build(t, { env: { REDIS_URL: throwaway.url } })
  const send = rawSender(await mcpUrl(app))
  const sessionId = await rawInitialize(t, send)
  const redis = new Redis(throwaway.url)
  t.teardown(() => redis.disconnect())
  const monitor = await redis.monitor()
  const counting: string[][] = []
  // Commands a client sent (those a script runs are reported from 'lua').
  monitor.on('monitor', (_time: string, args: string[], source: string) => { if (source !== 'lua' && args.some((arg) => String(arg).includes('ratelimit'))) counting.push(args.map(String)) })
  t.teardown(() => monitor.disconnect())

  const res = await send(toolCall(1, 'list_databases'), sessionId)
  t.equal(res.status, 200)
  t.equal(res.headers.get('x-ratelimit-remaining'), String(app.config.RATE_LIMIT_MAX - 2), 'the second request of the session')
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(counting.length, 1, `one command counted it (${counting.map((args) => args[0]).join(', ')})`)
  const [command] = counting as [string[]]
  t.match(command[0]!.toLowerCase(), /^eval/)
  t.ok(command.some((arg) => arg.endsWith(`ratelimit:session:{${sessionId}}`)), "the session's count")
  t.ok(command.some((arg) => arg.includes('ratelimit:addr:')), "and the client address's")
})
