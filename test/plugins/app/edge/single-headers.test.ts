import t from 'tap'
import { connect } from 'node:net'
import { repeatedHeader } from '../../../../plugins/app/edge/single-headers.js'
import { build, createDatabase, listen, selectedSession } from '../../../helper.js'

/**
 * A request that names Host, Content-Type or Authorization twice is refused before anything reads
 * it (plugins/app/edge/single-headers.ts): Node keeps the first of them, a proxy in front may
 * have read the last, and the two would act on different requests.
 */

/** Sends `head` (its lines, without the blank line) and `body` as written, over a socket of its own: the status and the JSON answer. */
async function raw (base: string, head: string[], body = ''): Promise<{ status: number, json: Record<string, unknown> }> {
  const { hostname, port } = new URL(base)
  const socket = connect(Number(port), hostname)
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  socket.write([...head, `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close', '', body].join('\r\n'))
  await new Promise((resolve) => socket.on('close', resolve))
  const text = Buffer.concat(chunks).toString('utf8')
  return { status: Number(text.split(' ')[1]), json: JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) }
}

t.test('the header named twice, in any case, among the raw headers', async (t) => {
  t.equal(repeatedHeader(['Host', 'a', 'Accept', '*/*', 'host', 'b']), 'Host')
  t.equal(repeatedHeader(['content-type', 'application/json', 'CONTENT-TYPE', 'text/plain']), 'Content-Type')
  t.equal(repeatedHeader(['Authorization', 'Bearer a', 'Authorization', 'Bearer b']), 'Authorization')
  t.equal(repeatedHeader(['Host', 'a', 'Content-Type', 'application/json', 'Authorization', 'Bearer a']), null, 'each once')
  t.equal(repeatedHeader(['Accept', 'a', 'Accept', 'b', 'X-Session-Id', 'a', 'X-Session-Id', 'b', 'Cookie', 'a=1', 'Cookie', 'b=2']), null, 'headers Node joins into a list are theirs to check')
  t.equal(repeatedHeader([]), null)
})

t.test('a query whose Content-Type is named twice does not run', async (t) => {
  const db = await createDatabase(t)
  const app = await build(t)
  const sessionId = await selectedSession(app, db)
  const base = await listen(app)
  const body = JSON.stringify({ query: 'SELECT 1 AS one', session_id: sessionId })

  const twice = await raw(base, ['POST /api/query HTTP/1.1', 'Host: localhost', 'Content-Type: application/json', 'Content-Type: text/plain; charset=utf-16'], body)
  t.equal(twice.status, 400)
  t.equal(twice.json.code, 'invalid_request')
  t.match(twice.json.message, /names the Content-Type header more than once/)
  const history = await app.inject({ url: '/api/query/history', headers: { 'x-session-id': sessionId } })
  t.strictSame(history.json().queries, [], 'nothing ran, nothing is in the history')

  const once = await raw(base, ['POST /api/query HTTP/1.1', 'Host: localhost', 'Content-Type: application/json'], body)
  t.strictSame([once.status, once.json.rows], [200, [{ one: 1 }]], 'named once, the same request runs')
  const otherTwice = await raw(base, ['POST /api/query HTTP/1.1', 'Host: localhost', 'Content-Type: application/json', 'Accept: application/json', 'Accept: */*'], body)
  t.equal(otherTwice.status, 200, 'any other header may come twice')
})

t.test('a request whose Host is named twice is refused before the host check reads either', async (t) => {
  const app = await build(t)
  const base = await listen(app)
  for (const hosts of [['localhost', 'evil.example'], ['evil.example', 'localhost'], ['localhost', 'localhost']]) {
    const res = await raw(base, ['GET /api/database/context HTTP/1.1', ...hosts.map((host) => `Host: ${host}`)])
    t.strictSame([res.status, res.json.code], [400, 'invalid_request'], hosts.join(' then '))
  }
  t.equal((await raw(base, ['GET /health HTTP/1.1', 'Host: localhost'])).status, 200)
})

t.test('with API_KEYS, an Authorization named twice is refused, whichever of them holds the key', async (t) => {
  const app = await build(t, { env: { API_KEYS: 'key-one-0123456789abcdef' } })
  const base = await listen(app)
  for (const keys of [['key-one-0123456789abcdef', 'wrong'], ['wrong', 'key-one-0123456789abcdef']]) {
    const res = await raw(base, ['GET /api/database/list HTTP/1.1', 'Host: localhost', ...keys.map((key) => `Authorization: Bearer ${key}`)])
    t.strictSame([res.status, res.json.code], [400, 'invalid_request'], keys.join(' then '))
  }
  const once = await app.inject({ url: '/api/database/list', headers: { authorization: 'Bearer key-one-0123456789abcdef' } })
  t.equal(once.statusCode, 200, 'the key named once is read as before')
})
