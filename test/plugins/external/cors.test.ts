import t from 'tap'
import { build } from '../../helper.js'

t.test('CORS_ORIGINS: credentialed requests from exactly those origins', async (t) => {
  const app = await build(t, { env: { CORS_ORIGINS: 'https://app.example.com,http://localhost:5173' } })
  const allowed = await app.inject({ url: '/api/database/context', headers: { origin: 'https://app.example.com' } })
  t.equal(allowed.headers['access-control-allow-origin'], 'https://app.example.com')
  t.equal(allowed.headers['access-control-allow-credentials'], 'true')

  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/api/query',
    headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-session-id' }
  })
  t.equal(preflight.statusCode, 204)
  t.equal(preflight.headers['access-control-allow-origin'], 'http://localhost:5173')
  t.match(preflight.headers['access-control-allow-headers'], /x-session-id/)
  const mcp = await app.inject({
    method: 'OPTIONS',
    url: '/mcp',
    headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,mcp-session-id,mcp-protocol-version' }
  })
  t.match(mcp.headers['access-control-allow-headers'], /mcp-session-id, mcp-protocol-version/, 'a browser MCP client\'s headers')
  t.match(allowed.headers['access-control-expose-headers'], /mcp-session-id/, 'and the session header it must read')

  const stranger = await app.inject({ url: '/api/database/context', headers: { origin: 'https://evil.example' } })
  // Without Access-Control-Allow-Origin a browser grants nothing, whatever else is sent.
  t.notOk(stranger.headers['access-control-allow-origin'], 'no grant for another origin')
})

t.test('without CORS_ORIGINS there is no CORS, and a wildcard is refused', async (t) => {
  const app = await build(t)
  const res = await app.inject({ url: '/api/database/context', headers: { origin: 'https://app.example.com' } })
  t.notOk(res.headers['access-control-allow-origin'])
  await t.rejects(build(t, { env: { CORS_ORIGINS: '*' } }), /CORS_ORIGINS/)
})
