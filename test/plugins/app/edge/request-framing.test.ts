import t from 'tap'
import { connect } from 'node:net'
import { announcesBody } from '../../../../plugins/app/edge/request-reading.js'
import { build, createDatabase, listen, selectedSession } from '../../../helper.js'

/**
 * How a request's bytes are framed (plugins/app/edge/request-reading.ts): a body the service would
 * not read, and trailer fields after a chunked body, are refused, as a reader in front may read
 * either as part of the request; a request asking to switch protocols closes its connection.
 */

/** Sends `request` as written over a socket of its own; the status and the JSON answer ({} for none), once the server closes it. */
async function raw (base: string, request: string): Promise<{ status: number, json: Record<string, any> }> {
  const { hostname, port } = new URL(base)
  const socket = connect(Number(port), hostname)
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  socket.write(request)
  await new Promise((resolve) => socket.on('close', resolve))
  const text = Buffer.concat(chunks).toString('utf8')
  const body = text.slice(text.indexOf('\r\n\r\n') + 4)
  return { status: Number(text.split(' ')[1]), json: body === '' ? {} : JSON.parse(body) }
}

const chunked = (body: string, trailers: string[]) =>
  `${body.length.toString(16)}\r\n${body}\r\n0\r\n${trailers.map((line) => `${line}\r\n`).join('')}\r\n`

t.test('which headers announce a body', async (t) => {
  t.equal(announcesBody({}), false)
  t.equal(announcesBody({ 'content-length': '0' }), false)
  t.equal(announcesBody({ 'content-length': '2' }), true)
  t.equal(announcesBody({ 'transfer-encoding': 'chunked' }), true)
})

t.test('a GET or HEAD with a body is refused; without one, or with an empty one, it is served', async (t) => {
  const db = await createDatabase(t)
  const app = await build(t)
  const sessionId = await selectedSession(app, db)
  const base = await listen(app)
  const body = JSON.stringify({ session_id: sessionId })
  for (const method of ['GET', 'HEAD']) {
    const withBody = await raw(base, `${method} /api/database/context HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`)
    if (method === 'GET') {
      t.strictSame([withBody.status, withBody.json.code], [400, 'invalid_request'], 'GET with a Content-Length')
      t.match(withBody.json.message, /GET or HEAD request carries no body/)
    } else t.equal(withBody.status, 400, 'HEAD with a Content-Length')
  }
  const chunkedGet = await raw(base, `GET /api/database/context HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunked(body, [])}`)
  t.strictSame([chunkedGet.status, chunkedGet.json.code], [400, 'invalid_request'], 'GET with a chunked body')

  const empty = await raw(base, `GET /api/database/context HTTP/1.1\r\nHost: localhost\r\nX-Session-Id: ${sessionId}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`)
  t.strictSame([empty.status, empty.json.session_id, empty.json.context_available], [200, sessionId, true], 'Content-Length: 0 announces no body')
})

t.test('trailer fields after a chunked body are refused, and nothing runs', async (t) => {
  const db = await createDatabase(t)
  const app = await build(t)
  const [sessionId, other] = [await selectedSession(app, db), await selectedSession(app, db)]
  const base = await listen(app)
  const body = JSON.stringify({ query: 'SELECT 1 AS one', session_id: sessionId })
  const head = 'POST /api/query HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n'

  const withTrailer = await raw(base, head + chunked(body, [`X-Session-Id: ${other}`]))
  t.strictSame([withTrailer.status, withTrailer.json.code], [400, 'invalid_request'])
  t.match(withTrailer.json.message, /trailer fields/)
  for (const id of [sessionId, other]) {
    const history = await app.inject({ url: '/api/query/history', headers: { 'x-session-id': id } })
    t.strictSame(history.json().queries, [], 'nothing ran in either session')
  }
  const mcp = await raw(base, head.replace('/api/query', '/mcp') + chunked('{"jsonrpc":"2.0","id":1,"method":"ping"}', ['X-Trace: 1']))
  t.strictSame([mcp.status, mcp.json.code], [400, 'invalid_request'], 'on /mcp too')

  const without = await raw(base, head + chunked(body, []))
  t.strictSame([without.status, without.json.rows], [200, [{ one: 1 }]], 'the same chunked body without trailers runs')
})

t.test('a request asking to switch protocols is served, and its connection closes', async (t) => {
  const db = await createDatabase(t)
  const app = await build(t)
  const sessionId = await selectedSession(app, db)
  const { hostname, port } = new URL(await listen(app))
  // Node reads nothing more of what arrives with such a request: the /health pipelined behind it
  // would have gone unanswered on a connection left open, and the next answer taken for its.
  const answers = async (target: string) => {
    const socket = connect(Number(port), hostname)
    let text = ''
    socket.on('data', (chunk: Buffer) => { text += chunk.toString('latin1') })
    socket.write(`GET ${target} HTTP/1.1\r\nHost: localhost\r\nX-Session-Id: ${sessionId}\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n` +
      'GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n')
    const closed = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 3000)
      socket.on('close', () => { clearTimeout(timer); resolve(true) })
    })
    socket.destroy()
    return { closed, statuses: [...text.matchAll(/^HTTP\/1\.1 (\d+)/gm)].map((m) => Number(m[1])), close: /\r\nconnection: close\r\n/i.test(text) }
  }
  t.strictSame(await answers('/api/database/context'), { closed: true, statuses: [200], close: true }, 'a route: served as HTTP/1.1, Connection: close')
  t.strictSame(await answers('/api/database/context/%ZZ'), { closed: true, statuses: [400], close: true }, 'a URL the router refuses before any hook')
  t.strictSame(await answers('/api/database/contex'), { closed: true, statuses: [404], close: true }, 'no route')
})
