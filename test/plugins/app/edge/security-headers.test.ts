import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import t from 'tap'
import helmet from 'helmet'
import { API_HEADERS, PAGE_HEADERS, staticHelmetHeaders } from '../../../../plugins/app/edge/security-headers.js'
import { build } from '../../../helper.js'

t.test('security headers, and a content security policy for the console', async (t) => {
  const app = await build(t)
  const page = await app.inject({ url: '/' })
  t.equal(page.statusCode, 200)
  const csp = String(page.headers['content-security-policy'])
  for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "object-src 'none'"]) {
    t.match(csp, directive)
  }
  t.notMatch(csp, 'unsafe-inline', 'no inline script or style allowed')
  t.equal(page.headers['x-content-type-options'], 'nosniff')
  t.equal(page.headers['x-frame-options'], 'SAMEORIGIN')
  t.equal(page.headers['referrer-policy'], 'no-referrer')
  t.ok(page.headers['strict-transport-security'])
  const api = await app.inject({ url: '/api/database/context' })
  t.equal(api.headers['x-content-type-options'], 'nosniff', 'on API answers too')
})

t.test('the headers computed once are exactly what helmet writes on a real response', async (t) => {
  const options = { contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'self'"] } }, referrerPolicy: { policy: 'no-referrer' as const } }
  const response = new ServerResponse(new IncomingMessage(new Socket()))
  response.setHeader('x-powered-by', 'something')
  await new Promise<void>((resolve, reject) => { helmet(options)(response.req, response, (err?: unknown) => err === undefined ? resolve() : reject(err)) })
  const written = Object.fromEntries(Object.entries(response.getHeaders()).map(([name, value]) => [name, String(value)]))
  t.strictSame(staticHelmetHeaders(options), written)

  const app = await build(t)
  const docs = await app.inject({ url: '/docs/' })
  t.equal(docs.statusCode, 200)
  t.match(String(docs.headers['content-security-policy']), "img-src 'self' data: validator.swagger.io", "the /docs pages keep @fastify/swagger-ui's policy")
  t.match(String(docs.headers['content-security-policy']), "frame-ancestors 'none'", 'not framed, as no page is')
  const page = await app.inject({ url: '/' })
  for (const [name, value] of Object.entries(PAGE_HEADERS)) {
    if (name !== 'content-security-policy') t.equal(page.headers[name], value, `the console page has ${name}`)
  }
  // The page's policy, with a nonce of its own for the editor's styles: a new one each time.
  const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(String(page.headers['content-security-policy']))?.[1]
  t.equal(page.headers['content-security-policy'], PAGE_HEADERS['content-security-policy']!.replace("style-src 'self'", `style-src 'self' 'nonce-${nonce}'`), 'the console page has the page policy, styles also by nonce')
  t.match(page.body, `<meta name="csp-nonce" content="${nonce}">`, 'the page knows its nonce')
  t.notMatch(String((await app.inject({ url: '/' })).headers['content-security-policy']), nonce, 'another answer, another nonce')
  t.notMatch(page.body, /<script(?![^>]*\bsrc=)/, 'no inline script')
})

t.test('API answers get the headers of data, not of a page', async (t) => {
  const app = await build(t)
  const answers = {
    'an answer': await app.inject({ url: '/api/database/context' }),
    'a refusal': await app.inject({ url: '/api/database/context', headers: { 'x-session-id': 'no good!' } }),
    'a POST': await app.inject({ method: 'POST', url: '/api/query', payload: { query: 'SELECT 1' } }),
    'the route spelled with an escape': await app.inject({ url: '/%61pi/database/context' })
  }
  for (const [what, res] of Object.entries(answers)) {
    t.equal(res.headers['x-content-type-options'], 'nosniff', `${what}: nosniff`)
    t.equal(res.headers['content-security-policy'], "default-src 'none';frame-ancestors 'none'", `${what}: nothing may load or frame it`)
    t.equal(res.headers['cross-origin-resource-policy'], 'same-site', `${what}: other sites cannot load it`)
    t.equal(res.headers['x-frame-options'], 'DENY', `${what}: no framing in old browsers either`)
    t.ok(res.headers['strict-transport-security'], `${what}: HSTS`)
    t.equal(res.headers['cache-control'], 'no-store', `${what}: never cached (query results, session ids)`)
    for (const pageOnly of ['referrer-policy', 'cross-origin-opener-policy', 'origin-agent-cluster', 'x-dns-prefetch-control', 'x-download-options', 'x-permitted-cross-domain-policies', 'x-xss-protection']) {
      t.notOk(pageOnly in res.headers, `${what}: no ${pageOnly} (a page's header)`)
    }
  }
  t.strictSame(Object.keys(API_HEADERS).sort(), ['cache-control', 'content-security-policy', 'cross-origin-resource-policy', 'strict-transport-security', 'x-content-type-options', 'x-frame-options'])
  const missing = await app.inject({ url: '/nowhere' })
  t.equal(missing.statusCode, 404)
  t.equal(missing.headers['content-security-policy'], PAGE_HEADERS['content-security-policy'], 'an answer no route matched gets the page headers')
  const health = await app.inject({ url: '/health' })
  t.equal(health.headers['x-content-type-options'], 'nosniff', 'routes outside /api/ keep the page headers')
})

t.test('answers that end before the handler get the API headers too', async (t) => {
  const key = 'k-0123456789abcdef0123456789'
  const app = await build(t, { env: { API_KEYS: key, RATE_LIMIT_MAX: '1' } })
  const missingKey = await app.inject({ url: '/api/database/context' })
  t.equal(missingKey.statusCode, 401)
  t.equal(missingKey.headers['cache-control'], 'no-store', 'a missing API key: no-store')
  t.equal(missingKey.headers['content-security-policy'], API_HEADERS['content-security-policy'], 'a missing API key: the API policy')
  const headers = { authorization: `Bearer ${key}`, 'x-session-id': 'headers_limit_1' }
  await app.inject({ url: '/api/database/list', headers })
  const limited = await app.inject({ url: '/api/database/list', headers })
  t.equal(limited.statusCode, 429)
  t.equal(limited.headers['cache-control'], 'no-store', 'over the rate limit: no-store')
})
