import { connect } from 'node:net'
import t from 'tap'
import { build, createDatabase, listen, selectedSession } from '../../../helper.js'

/** Writes `chunks` to the server one after another, `gapMs` apart; resolves with all it answered once it closes. */
function rawExchange (base: string, chunks: string[], gapMs = 0): Promise<{ text: string, closedAfterMs: number }> {
  const { hostname, port } = new URL(base)
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const socket = connect(Number(port), hostname)
    let text = ''
    socket.setEncoding('utf8')
    socket.on('data', (data: string) => { text += data })
    socket.on('error', reject)
    socket.on('close', () => resolve({ text, closedAfterMs: Date.now() - started }))
    const send = (i: number): void => {
      if (i >= chunks.length || socket.destroyed) return
      socket.write(chunks[i]!)
      setTimeout(() => send(i + 1), gapMs).unref()
    }
    send(0)
  })
}

function envelope (text: string): { status: number, headers: string, body: Record<string, unknown> } {
  const [head, body] = text.split('\r\n\r\n') as [string, string]
  return { status: Number(head.split(' ')[1]), headers: head.toLowerCase(), body: JSON.parse(body) as Record<string, unknown> }
}

t.test('a request whose body trickles in is cut at REQUEST_TIMEOUT_MS: 408 request_timeout, connection closed', async (t) => {
  const app = await build(t, { env: { REQUEST_TIMEOUT_MS: '1000' } })
  const base = await listen(app)
  // 100 bytes announced, one a second: it would take 100 s, holding the connection (Fastify sets no limit by default).
  const head = 'POST /api/query HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n'
  const { text, closedAfterMs } = await rawExchange(base, [head, ...Array.from({ length: 100 }, () => ' ')], 1000)
  const answer = envelope(text)
  t.equal(answer.status, 408)
  t.strictSame(answer.body, { statusCode: 408, error: 'Request Timeout', code: 'request_timeout', message: answer.body.message })
  t.match(answer.headers, 'content-type: application/json; charset=utf-8')
  t.match(answer.headers, 'connection: close')
  t.ok(closedAfterMs < 4000, `closed after ${closedAfterMs} ms`)
})

t.test('oversized headers and malformed HTTP answer the error envelope too', async (t) => {
  const app = await build(t)
  const base = await listen(app)
  const big = envelope((await rawExchange(base, [`GET /health HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`])).text)
  t.equal(big.status, 431)
  t.match(big.body, { statusCode: 431, error: 'Request Header Fields Too Large', code: 'header_too_large' })
  const bad = envelope((await rawExchange(base, ['GET /health HTTP/1.1\r\nHost: localhost\r\nNot a header\r\n\r\n'])).text)
  t.equal(bad.status, 400)
  t.match(bad.body, { statusCode: 400, error: 'Bad Request', code: 'bad_request', message: 'The request is not valid HTTP/1.1.' })

  const fine = await fetch(`${base}/health`)
  t.equal(fine.status, 200, 'the server serves the next client')
})

t.test('a request that arrives in time is not cut, however long its answer takes', async (t) => {
  const app = await build(t, {
    env: { REQUEST_TIMEOUT_MS: '1000' },
    beforeReady: (fastify) => fastify.get('/slow', async () => {
      await new Promise((resolve) => setTimeout(resolve, 2500))
      return { ok: true }
    })
  })
  const base = await listen(app)
  const res = await fetch(`${base}/slow`)
  t.strictSame(await res.json(), { ok: true }, 'the timeout is for receiving the request, not for answering it')
})

/** The status lines of the answers in `text`, in order. */
function statusLines (text: string): string[] {
  return text.match(/HTTP\/1\.1 \d{3} [^\r]*/g) ?? []
}

t.test('a malformed request pipelined after others is answered after their answers, not in their place', async (t) => {
  const app = await build(t, {
    beforeReady: (fastify) => fastify.get('/slow', async () => {
      await new Promise((resolve) => setTimeout(resolve, 300))
      return { ok: true }
    })
  })
  const base = await listen(app)
  const slow = 'GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n'

  const inHead = await rawExchange(base, [slow + slow + 'NOT A REQUEST LINE\r\n\r\n'])
  t.strictSame(statusLines(inHead.text), ['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK', 'HTTP/1.1 400 Bad Request'],
    'both answers owed, then the error, then the connection closes')
  t.equal(inHead.text.split('{"ok":true}').length, 3, 'each answer whole')
  t.match(inHead.text.slice(inHead.text.lastIndexOf('HTTP/1.1 ')), /"code":"bad_request"/)

  // The error is in the second request's body (a chunk size that is no number): Node has handed that request over already.
  const inBody = await rawExchange(base, [slow + 'POST /api/query HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n'])
  t.strictSame(statusLines(inBody.text), ['HTTP/1.1 200 OK', 'HTTP/1.1 400 Bad Request'], 'the answer owed before it, then the error')

  const alone = await rawExchange(base, ['NOT A REQUEST LINE\r\n\r\n'])
  t.strictSame(statusLines(alone.text), ['HTTP/1.1 400 Bad Request'], 'with nothing owed, answered at once')
  const after = await rawExchange(base, [slow.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n') + 'GET /slow HTTP/1.1\r\n'])
  t.strictSame(statusLines(after.text), ['HTTP/1.1 200 OK'], 'after an answer that closes the connection, nothing more is written')
})

t.test('a query pipelined before a malformed request runs and is answered as it ran', async (t) => {
  const db = await createDatabase(t)
  const app = await build(t)
  const sessionId = await selectedSession(app, db)
  const base = await listen(app)
  const body = JSON.stringify({ query: 'SELECT SLEEP(0.3) AS slept', session_id: sessionId })
  const query = `POST /api/query HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  const { text } = await rawExchange(base, [query + 'NOT A REQUEST LINE\r\n\r\n'])
  t.strictSame(statusLines(text), ['HTTP/1.1 200 OK', 'HTTP/1.1 400 Bad Request'])
  t.match(text, /"rows":\[\{"slept":0\}\]/, 'the query\'s own answer')
  const history = await app.inject({ url: '/api/query/history', headers: { 'x-session-id': sessionId } })
  t.match(history.json().queries, [{ status: 'ok', row_count: 1 }], 'it ran to its end: its client was still there')
})

t.test('an Expect other than 100-continue is 417 expectation_failed in the envelope; 100-continue is met', async (t) => {
  const app = await build(t)
  const base = await listen(app)
  const failed = envelope((await rawExchange(base, ['GET /health HTTP/1.1\r\nHost: localhost\r\nExpect: something-else\r\n\r\n'])).text)
  t.equal(failed.status, 417)
  t.match(failed.body, { statusCode: 417, error: 'Expectation Failed', code: 'expectation_failed' })
  t.match(failed.headers, 'cache-control: no-store')
  t.match(failed.headers, 'connection: close')

  const continued = await rawExchange(base, ['GET /health HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n'])
  t.match(continued.text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK/)
})
