import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { AnswerLane } from '../../../plugins/app/query/answer-lane.js'
import { queryReplyJson, queryReplyPieces } from '../../../plugins/app/query/query-json.js'
import { LongText } from '../../../plugins/app/query/long-values.js'
import { JsonText } from '../../../plugins/app/query/values.js'
import type { QueryReply } from '../../../schemas/query.js'
import { toolAnswerJson } from '../../../routes/mcp/tool-answer.js'
import { schemaReplyPieces, type SchemaReply } from '../../../plugins/app/database/schema-json.js'
import { seededRandom } from '../../fixtures/seeded-random.js'
import { build, createDatabase, post } from '../../helper.js'

/** A run_query answer whose rows hold `values`. */
function replyOf (values: unknown[]): QueryReply {
  const columns = [{ name: 'v', type: 'TEXT', nullable: true }]
  return { success: true, query_id: 'q', session_id: 's', database_name: 'd', columns, rows: values.map((v) => ({ v })), row_count: values.length, truncated: false, execution_time_ms: 1 } as QueryReply
}

/** What the JSON-RPC answer must be: the query's answer J as the text (a JSON string) and as the structured content. */
function expected (reply: QueryReply, id: string | number): string {
  const json = queryReplyJson(reply)
  return `{"result":{"content":[{"type":"text","text":${JSON.stringify(json)}}],"structuredContent":${json}},"jsonrpc":"2.0","id":${JSON.stringify(id)}}`
}

const SEED = Number(process.env.FUZZ_SEED ?? 23)
const PIECES = ['a', '"', '\\', '\u0001', '\n', 'é', '€', '😀', '\u2028', 'x'.repeat(100)]

t.test(`a run_query answer written in the lane is the JSON-RPC answer written at once, byte for byte (seed ${SEED})`, async (t) => {
  const random = seededRandom(SEED)
  const text = (length: number): string => {
    let out = ''
    while (out.length < length) out += PIECES[Math.floor(random() * PIECES.length)]
    return out
  }
  const lane = new AnswerLane()
  const cases: Array<[string, QueryReply]> = [
    ['small', replyOf(['a"b\\c', null, 'é'])],
    ['rows past a piece', replyOf(Array.from({ length: 400 }, () => text(600)))],
    ['a string longer than a piece', replyOf([text(300_000), text(10)])],
    ['quotes only, whose escape takes all the room', replyOf(['"'.repeat(300_000)])],
    ['a long text cut from its bytes', replyOf([new LongText(Buffer.from(text(200_000)), 150_000), 'after'])],
    ['a JSON value with every digit', { ...replyOf([]), columns: [{ name: 'v', type: 'JSON', nullable: true }], rows: Array.from({ length: 3000 }, () => ({ v: new JsonText('{"n": 12345678901234567890, "s": "a\\"b"}', null) })), row_count: 3000 } as QueryReply]
  ]
  for (const [name, reply] of cases) {
    for (const id of [7, 'x"y', 'é😀'.repeat(200)]) {
      const written = await toolAnswerJson(queryReplyPieces(reply), id, undefined, '', lane)
      const bytes = typeof written === 'string' ? Buffer.from(written) : written
      const want = Buffer.from(expected(reply, id))
      t.ok(bytes.equals(want), `${name}, id ${typeof id === 'number' ? id : `of ${id.length} characters`}: ${bytes.length} bytes, as written at once (${want.length})`)
    }
  }
  t.equal(typeof toolAnswerJson(queryReplyPieces(cases[0]![1]), 1, undefined, '', lane), 'string', 'a small answer is written at once')

  // describe_schema's: a thousand tables of twenty columns.
  const schema: SchemaReply = {
    success: true,
    session_id: 's',
    database_name: 'd"b',
    tables: Array.from({ length: 1000 }, (_, i) => ({
      name: `t${i}`,
      type: 'BASE TABLE',
      comment: i % 7 === 0 ? 'the "t"' : '',
      columns: Array.from({ length: 20 }, (_, j) => ({ name: `c${j}"`, type: 'int(11)', nullable: true, key: '', default: j % 2 === 0 ? null : '0', comment: j % 3 === 0 ? 'the "c"' : '' })),
      foreign_keys: i === 0 ? [] : [{ name: `fk${i}`, columns: ['c1"'], references: { database: 'd"b', table: `t${i - 1}`, columns: ['c0"'] } }]
    })),
    total_tables: 1000
  }
  const json = JSON.stringify(schema)
  const written = await toolAnswerJson(schemaReplyPieces(schema), 9, undefined, '', lane)
  t.equal(typeof written === 'string' ? written : written.toString(), `{"result":{"content":[{"type":"text","text":${JSON.stringify(json)}}],"structuredContent":${json}},"jsonrpc":"2.0","id":9}`,
    `a schema of ${json.length} characters, likewise`)
})

const LARGE = "SELECT REPEAT('a\"b', 900) AS v FROM seq_1_to_1000"
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

/** An MCP session of `remoteAddress` working in `db`. */
async function mcpSession (app: FastifyInstance, remoteAddress: string, db: string): Promise<(id: number, query: string) => Promise<number>> {
  const headers = { accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-03-26' }
  const init = await app.inject({ method: 'POST', url: '/mcp', remoteAddress, headers, payload: { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'lane', version: '1' } } } })
  const session = init.headers['mcp-session-id'] as string
  const call = async (id: number, name: string, args: unknown) => await app.inject({ method: 'POST', url: '/mcp', remoteAddress, headers: { ...headers, 'mcp-session-id': session }, payload: { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } } })
  await call(1, 'select_database', { database_name: db })
  return async (id, query) => {
    const res = await call(id, 'run_query', { query, max_rows: 1000 })
    if (res.statusCode !== 200 || res.body.includes('"isError":true')) throw new Error(res.body.slice(0, 300))
    return res.body.length
  }
}

/**
 * An MCP client's large answers are written in the answer lane, in its turns, as POST /api/query's
 * are. Written at once, each held every other request: while one client kept forty 7 MB MCP
 * answers coming, a bystander's SELECT 1 here took 700 to 750 ms at the median; in the lane, 27.
 */
t.test('a bystander\'s query is answered between an MCP client\'s large answers, not after each', async (t) => {
  const app = await build(t, { env: { RATE_LIMIT_MAX: '100000', RATE_LIMIT_ADDRESS_MAX: '100000', SESSION_MAX_CONCURRENT_QUERIES: '16' } })
  const db = await createDatabase(t)
  const agents = await Promise.all([0, 1, 2, 3].map(() => mcpSession(app, '203.0.113.7', db)))
  const bystander = (await post(app, '/api/database/select', { database_name: db }, {})).json().session_id as string
  const point = async (): Promise<number> => {
    const asked = performance.now()
    const res = await app.inject({ method: 'POST', url: '/api/query', remoteAddress: '198.51.100.9', payload: { query: 'SELECT 1 AS one', session_id: bystander } })
    if (res.statusCode !== 200) throw new Error(res.body)
    return performance.now() - asked
  }
  t.ok(await agents[0]!(2, LARGE) > 6_000_000, 'each MCP answer is megabytes')
  const alone: number[] = []
  for (let i = 0; i < 10; i++) alone.push(await point())

  const flood = { on: true }
  let answered = 0
  const flooding = agents.flatMap((agent, a) => Array.from({ length: 10 }, async (_, k) => {
    for (let id = 100 + 10 * a + k; flood.on; id += 1000) {
      await agent(id, LARGE)
      answered++
    }
  }))
  await new Promise((resolve) => setTimeout(resolve, 500))
  const beside: number[] = []
  for (let i = 0; i < 30; i++) beside.push(await point())
  flood.on = false
  await Promise.all(flooding)
  t.ok(answered >= 20, `the client had ${answered} large MCP answers written meanwhile`)
  const bound = 4 * median(alone) + 150
  t.ok(median(beside) < bound, `the bystander's SELECT 1 took ${Math.round(median(beside))} ms at the median beside them (alone ${median(alone).toFixed(1)} ms; bound ${Math.round(bound)})`)
})
