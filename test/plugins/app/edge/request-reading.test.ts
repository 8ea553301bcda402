import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { connect } from 'node:net'
import { MAX_HEADERS, escapedPath, fragment, otherTarget, repeatedHeader } from '../../../../plugins/app/edge/request-reading.js'
import { build, createDatabase, listen, selectedSession } from '../../../helper.js'

/**
 * A request that a reader in front could read otherwise than the service is refused before
 * anything reads it (plugins/app/edge/request-reading.ts): a path with percent-escapes, which the
 * router decodes and a proxy's path rule may not, a target with a fragment, at which the router
 * ends the path, a target naming a host other than Host's, and Host, Content-Type or Authorization named
 * twice, of which Node keeps the first and a proxy may have read the last.
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

/** A listening app and a session with a database selected in it. */
async function listening (t: Test): Promise<{ app: FastifyInstance, base: string, sessionId: string }> {
  const db = await createDatabase(t)
  const app = await build(t)
  const sessionId = await selectedSession(app, db)
  return { app, base: await listen(app), sessionId }
}

/** Nothing ran in `sessionId`: its history is empty. */
async function nothingRan (t: Test, app: FastifyInstance, sessionId: string): Promise<void> {
  const history = await app.inject({ url: '/api/query/history', headers: { 'x-session-id': sessionId } })
  t.strictSame(history.json().queries, [], 'nothing ran, nothing is in the history')
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
  const { app, base, sessionId } = await listening(t)
  const body = JSON.stringify({ query: 'SELECT 1 AS one', session_id: sessionId })

  const twice = await raw(base, ['POST /api/query HTTP/1.1', 'Host: localhost', 'Content-Type: application/json', 'Content-Type: text/plain; charset=utf-16'], body)
  t.equal(twice.status, 400)
  t.equal(twice.json.code, 'invalid_request')
  t.match(twice.json.message, /names the Content-Type header more than once/)
  await nothingRan(t, app, sessionId)

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

t.test('a path with a percent-escape, in any part of it, is refused; the query string may hold them', async (t) => {
  t.ok(escapedPath('/api/query/%65xport'))
  t.ok(escapedPath('/%61pi/database/list?x=1'))
  t.ok(escapedPath('/api/database/context/abc%2Fdefgh'))
  t.notOk(escapedPath('/api/database/schema?table=%6Frders'), 'the query string is no path')
  t.notOk(escapedPath('/api/database/list'))
  t.notOk(escapedPath('/'))

  const { app, base, sessionId } = await listening(t)
  for (const path of ['/api/query/%65xport', '/api/%71uery', '/%61pi/database/context', '/api/database/context/' + sessionId.slice(0, -1) + '%' + sessionId.charCodeAt(sessionId.length - 1).toString(16)]) {
    const res = await raw(base, [`GET ${path} HTTP/1.1`, 'Host: localhost', `X-Session-Id: ${sessionId}`])
    t.strictSame([res.status, res.json.code], [400, 'invalid_request'], path)
    t.match(res.json.message, /path holds a percent-escape/)
  }
  const query = await raw(base, ['POST /api/%71uery HTTP/1.1', 'Host: localhost', 'Content-Type: application/json'], JSON.stringify({ query: 'SELECT 1', session_id: sessionId }))
  t.equal(query.status, 400, 'a query at an escaped path does not run')
  await nothingRan(t, app, sessionId)
  const plain = await raw(base, [`GET /api/database/context/${sessionId} HTTP/1.1`, 'Host: localhost'])
  t.equal(plain.status, 200, 'the same path without escapes')
  t.equal((await app.inject({ url: '/api/database/schema?table=%6Frders', headers: { 'x-session-id': sessionId } })).json().code, 'table_not_found', 'an escape in the query string is read as before')
})

t.test('a request target naming a host (a proxy\'s absolute form) is taken only when it is the Host header\'s', async (t) => {
  t.ok(otherTarget('http://evil.example/api/database/list', 'localhost'))
  t.notOk(otherTarget('http://LOCALHOST:3000/api/database/list', 'localhost:3000'), 'the same host, in any case')
  t.notOk(otherTarget('http://localhost:80/health', 'localhost'), 'the default port is no other host')
  t.ok(otherTarget('*', 'localhost'), 'a target that is no path')
  t.ok(otherTarget('http://user@localhost/api/database/list', 'localhost'), 'a user part, which HTTP forbids in a target')
  t.ok(otherTarget('http://localhost?x/api/database/list', 'localhost'), 'no path right after the host: a reader could take the rest for the query')
  t.ok(otherTarget('http://localhost', 'localhost'), 'no path at all')
  t.ok(otherTarget('http://local\\host/api/database/list', 'localhost'), 'a backslash in the host')
  t.ok(otherTarget('ftp://localhost/api/database/list', 'localhost'), 'another scheme')
  t.notOk(otherTarget('https://localhost/api/database/list?x=/y', 'localhost'), 'https, and a query holding a slash')
  t.notOk(otherTarget('/api/database/list', 'anything'), 'a path names no host')

  const app = await build(t)
  const base = await listen(app)
  for (const [target, host] of [['http://evil.example/api/database/list', 'localhost'], ['http://localhost/api/database/list', 'evil.example'], ['*', 'localhost'],
    ['http://user@localhost/api/database/list', 'localhost'], ['http://localhost?x/api/database/list', 'localhost']]) {
    const res = await raw(base, [`GET ${target} HTTP/1.1`, `Host: ${host}`])
    t.strictSame([res.status, res.json.code], [400, 'invalid_request'], `${target} at Host ${host}`)
  }
  const same = await raw(base, ['GET http://localhost/api/database/list HTTP/1.1', 'Host: localhost'])
  t.equal(same.status, 200, 'the target\'s host is the Host header\'s: served')
})

t.test('a request target with a fragment is refused: the router would end the path at it', async (t) => {
  t.ok(fragment('/api/query/export#x'))
  t.ok(fragment('/api/database/schema?table=orders#x'))
  t.notOk(fragment('/api/database/schema?table=orders'))

  const { app, base, sessionId } = await listening(t)
  for (const target of ['/api/database/list#x', '/api/database/context#/other', '/api/database/schema?table=orders#x', 'http://localhost/api/database/list#x']) {
    const res = await raw(base, [`GET ${target} HTTP/1.1`, 'Host: localhost', `X-Session-Id: ${sessionId}`])
    t.strictSame([res.status, res.json.code], [400, 'invalid_request'], target)
  }
  const pathForm = await raw(base, ['GET /api/database/list#x HTTP/1.1', 'Host: localhost'])
  t.match(pathForm.json, { code: 'invalid_request', message: /holds a '#'/ })
  const query = await raw(base, ['POST /api/query#x HTTP/1.1', 'Host: localhost', 'Content-Type: application/json'], JSON.stringify({ query: 'SELECT 1', session_id: sessionId }))
  t.strictSame([query.status, query.json.code], [400, 'invalid_request'], 'a query at a target with a fragment does not run')
  await nothingRan(t, app, sessionId)
  t.equal((await raw(base, ['GET /api/database/list HTTP/1.1', 'Host: localhost'])).status, 200, 'the same target without it')
})

t.test('a request that is not HTTP/1.1 or 1.0, or an HTTP/1.1 request without Host, is refused in the envelope', async (t) => {
  const app = await build(t)
  const base = await listen(app)
  for (const line of ['GET /api/database/list HTTP/2.0', 'GET /api/database/list HTTP/0.9', 'GET /api/database/list']) {
    const res = await raw(base, [line, 'Host: localhost'])
    t.strictSame([res.status, res.json.code], [400, 'invalid_request'], line)
    t.match(res.json.message, /speaks HTTP\/1\.1/)
  }
  const noHost = await raw(base, ['GET /api/database/list HTTP/1.1'])
  t.strictSame([noHost.status, noHost.json.code], [400, 'invalid_request'], 'HTTP/1.1 without Host')
  t.match(noHost.json.message, /Host header/)
  const oldClient = await raw(base, ['GET /health HTTP/1.0'])
  t.equal(oldClient.status, 200, 'HTTP/1.0, which may leave Host out, is served')
})

t.test('a request with as many headers as the server reads is refused: one after them would have gone unread', async (t) => {
  const app = await build(t)
  const base = await listen(app)
  const short = (count: number): string[] => Array.from({ length: count }, (_, i) => `a${i}: b`)
  const dropped = await raw(base, ['GET /api/database/context HTTP/1.1', 'Host: localhost', ...short(MAX_HEADERS + 40), 'X-Session-Id: abcdefgh12345678'])
  t.strictSame([dropped.status, dropped.json.code], [431, 'header_too_large'], 'the session header after them is not silently dropped')
  // raw() adds Content-Length and Connection: with Host, MAX_HEADERS - 3 more make MAX_HEADERS in all.
  const atLimit = await raw(base, ['GET /health HTTP/1.1', 'Host: localhost', ...short(MAX_HEADERS - 3)])
  t.equal(atLimit.status, 431, `${MAX_HEADERS} headers in all`)
  const under = await raw(base, ['GET /health HTTP/1.1', 'Host: localhost', ...short(MAX_HEADERS - 4)])
  t.equal(under.status, 200, `${MAX_HEADERS - 1} headers in all are read, every one`)
})
