import t from 'tap'
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
