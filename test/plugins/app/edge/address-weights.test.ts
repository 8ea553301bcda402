import { request } from 'node:http'
import t from 'tap'
import { build, createDatabase, listen, post, randomSessionId, redisClient, selectedSession } from '../../../helper.js'
import { addressRateKey, addressWeight, BODY_BYTES_PER_COUNT } from '../../../../plugins/app/session/rate-keys.js'

/** POSTs `text` in chunks of 4 kB, with no Content-Length; resolves with the answer's status. */
function sendChunked (base: string, path: string, sessionId: string, text: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-session-id': sessionId, 'transfer-encoding': 'chunked' } }, (res) => {
      res.resume()
      res.on('end', () => { resolve(res.statusCode!) })
    })
    req.on('error', reject)
    for (let at = 0; at < text.length; at += 4096) req.write(text.slice(at, at + 4096))
    req.end()
  })
}

/** A body's bytes as the client sends it (JSON.stringify, as inject and fetch do). */
const bytesOf = (body: unknown) => Buffer.byteLength(JSON.stringify(body))

t.test('a request counts against its address once, and once more for each BODY_BYTES_PER_COUNT of its body', async (t) => {
  const app = await build(t, { env: { RATE_LIMIT_ADDRESS_MAX: '100000', RATE_LIMIT_MAX: '100000' } })
  const base = await listen(app)
  const db = await createDatabase(t)
  const sessionId = await selectedSession(app, db)
  const redis = redisClient(t)
  const key = addressRateKey(app.config.REDIS_KEY_PREFIX, '127.0.0.1', 'requests')
  let before = Number(await redis.get(key))
  const grew = async () => {
    const now = Number(await redis.get(key))
    const by = now - before
    before = now
    return by
  }

  const long = { query: `SELECT LENGTH('${'a'.repeat(50_000)}') AS n`, session_id: sessionId }
  t.equal(addressWeight(bytesOf(long)), 1 + Math.floor(bytesOf(long) / BODY_BYTES_PER_COUNT))
  t.ok(addressWeight(bytesOf(long)) >= 7, 'a 50 kB statement weighs several requests')
  const answered = await post(app, '/api/query', long)
  t.strictSame(answered.json().rows, [{ n: 50_000 }], 'and runs')
  t.equal(await grew(), addressWeight(bytesOf(long)), 'a query: counted by its body in its session script')
  await post(app, '/api/query', { query: 'SELECT 1', session_id: sessionId })
  t.equal(await grew(), 1, 'a short one: once')
  t.equal((await app.inject({ url: '/api/database/context', headers: { 'x-session-id': sessionId } })).statusCode, 200)
  t.equal(await grew(), 1, 'a request without a body: once')

  const exportBody = { query: long.query, format: 'csv' }
  t.equal((await post(app, '/api/query/export/ticket', exportBody, { 'x-session-id': sessionId })).statusCode, 200)
  t.equal(await grew(), addressWeight(bytesOf(exportBody)), 'a route counted before its body is read: by its Content-Length')

  const chunked = await sendChunked(base, '/api/query/export/ticket', sessionId, JSON.stringify(exportBody))
  t.equal(chunked, 200)
  t.equal(await grew(), addressWeight(bytesOf(exportBody)), 'a body in chunks, with no Content-Length: by its bytes once read')
  t.equal(await sendChunked(base, '/api/query/export/ticket', sessionId, '{"query": "SELECT 1", '), 400, 'a chunked body that is not JSON')
  for (let waited = 0; waited < 1000 && Number(await redis.get(key)) === before; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10))
  t.equal(await grew(), 1, 'is counted too, once answered')

  const call = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'run_query', arguments: { query: long.query } } }
  const mcp = await post(app, '/mcp', call, { 'mcp-session-id': sessionId, accept: 'application/json, text/event-stream' })
  t.equal(mcp.statusCode, 200, mcp.body.slice(0, 200))
  t.equal(await grew(), addressWeight(bytesOf(call)), 'an MCP message: by its body too')
})

t.test('a declared Content-Length weighs at most the body limit: one header cannot spend an address\'s budget', async (t) => {
  const app = await build(t, { env: { RATE_LIMIT_ADDRESS_MAX: '300' } })
  const base = await listen(app)
  const sessionId = randomSessionId()
  // Declares 10 GB and sends nothing: refused (413) before any body is read.
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(`${base}/api/query/export/ticket`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-session-id': sessionId, 'content-length': '10000000000' } }, (res) => {
      res.resume()
      res.on('end', () => { resolve(res.statusCode!) })
    })
    req.on('error', reject)
    req.flushHeaders()
  })
  t.equal(status, 413)
  const redis = redisClient(t)
  const key = addressRateKey(app.config.REDIS_KEY_PREFIX, '127.0.0.1', 'requests')
  for (let waited = 0; waited < 1000 && await redis.get(key) === null; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10))
  t.equal(Number(await redis.get(key)), addressWeight(1024 * 1024), 'counted as a body of the limit (129), not of 10 GB')
  t.equal((await app.inject({ url: '/api/database/context', headers: { 'x-session-id': sessionId } })).statusCode, 200, 'the address goes on')
})

t.test('long statements spend an address\'s budget by their weight', async (t) => {
  const app = await build(t, { env: { RATE_LIMIT_ADDRESS_MAX: '20' } })
  const db = await createDatabase(t)
  const sessionId = await selectedSession(app, db) // 1
  const long = { query: `SELECT LENGTH('${'a'.repeat(50_000)}') AS n`, session_id: sessionId }
  const weight = addressWeight(bytesOf(long))
  t.equal(weight, 7, 'the statement weighs 7')
  const codes: number[] = []
  for (let i = 0; i < 3; i++) codes.push((await post(app, '/api/query', long)).statusCode)
  t.strictSame(codes, [200, 200, 429], 'two fit in 20 (1 + 7 + 7), the third does not')
  const refused = await post(app, '/api/query', long)
  t.equal(refused.json().code, 'rate_limited')
  const other = await post(app, '/api/query', long, { 'x-session-id': sessionId })
  t.equal(other.statusCode, 429, 'whatever session it names')
})
