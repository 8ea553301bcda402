import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import t from 'tap'
import helmet from 'helmet'
import { staticHelmetHeaders } from '../../plugins/external/helmet.js'
import { build } from '../helper.js'

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
  t.notMatch(String(docs.headers['content-security-policy']), "frame-ancestors 'none'", 'the /docs pages keep their own policy')
  const api = await app.inject({ url: '/api/database/context' })
  const console = await app.inject({ url: '/' })
  t.equal(api.headers['content-security-policy'], console.headers['content-security-policy'], 'API answers and pages get the same headers')
})
