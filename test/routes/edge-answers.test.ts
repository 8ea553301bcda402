import t from 'tap'
import { build } from '../helper.js'

/** Answers that come before any route's own code, each in the error envelope with the usual headers. */
t.test('an over-long URL parameter answers 414 in the envelope, with the headers of data and a request line', async (t) => {
  const logs: Array<Record<string, unknown>> = []
  const app = await build(t, { logs })
  const res = await app.inject({ url: `/api/database/context/${'a'.repeat(300)}` })
  t.equal(res.statusCode, 414)
  t.match(res.json(), { statusCode: 414, error: 'URI Too Long', code: 'uri_too_long' })
  t.equal(res.headers['x-content-type-options'], 'nosniff')
  t.match(String(res.headers['content-security-policy']), "default-src 'none'")
  const line = logs.find((entry) => entry.msg === 'request' && entry.status === 414)
  t.ok(line, 'a request line')
  t.notMatch(JSON.stringify(line), 'aaaaaaaaaaaaaaaaaaaa', 'which does not hold the long parameter (it may be a session id)')
})

t.test('GET and DELETE /mcp answer 405 whatever their headers', async (t) => {
  const app = await build(t)
  for (const headers of [{}, { 'mcp-session-id': 'not valid!' }, { 'mcp-session-id': 'session_0123456789abcdef', accept: 'text/event-stream' }]) {
    for (const method of ['GET', 'DELETE'] as const) {
      const res = await app.inject({ method, url: '/mcp', headers })
      t.equal(res.statusCode, 405, `${method} with ${JSON.stringify(headers)}`)
      t.equal(res.json().code, 'method_not_allowed')
    }
  }
})

t.test('a CORS preflight without Origin answers in the envelope', async (t) => {
  const app = await build(t, { env: { CORS_ORIGINS: 'https://app.example.com' } })
  for (const headers of [{}, { origin: 'https://app.example.com' }, { 'access-control-request-method': 'POST' }]) {
    const res = await app.inject({ method: 'OPTIONS', url: '/api/query', headers })
    t.equal(res.statusCode, 400, JSON.stringify(headers))
    t.match(res.json(), { statusCode: 400, code: 'invalid_preflight' })
  }
  const ok = await app.inject({ method: 'OPTIONS', url: '/api/query', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' } })
  t.equal(ok.statusCode, 204, 'a whole preflight is answered as before')
})
