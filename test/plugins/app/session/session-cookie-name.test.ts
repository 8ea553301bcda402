import t from 'tap'
import { build, createDatabase, post, TEST_COOKIE_SECRET } from '../../../helper.js'
import { sessionCookieName } from '../../../../plugins/app/session/session-cookie.js'
import { createHmac } from 'node:crypto'

/** A cookie value signed with the test secret, as @fastify/cookie signs one. */
function signed (value: string): string {
  return `${value}.${createHmac('sha256', TEST_COOKIE_SECRET).update(value).digest('base64').replace(/=+$/, '')}`
}

t.test('over HTTPS the session cookie is __Host-sid: a sibling subdomain cannot plant one', async (t) => {
  t.equal(sessionCookieName(false, '/'), 'sid')
  t.equal(sessionCookieName(true, '/'), '__Host-sid')
  t.equal(sessionCookieName(true, '/sqlgate/'), '__Secure-sid', 'the __Host- prefix needs Path=/')

  const app = await build(t, { env: { NODE_ENV: 'production' } })
  const db = await createDatabase(t)
  const res = await post(app, '/api/database/select', { database_name: db })
  const header = String(res.headers['set-cookie'])
  t.match(header, /^__Host-sid=/)
  t.match(header, /; Secure/)
  t.match(header, /; Path=\//)
  t.notMatch(header, /Domain=/i)

  // An attacker's own session, in a correctly signed cookie of the old name (set by a sibling
  // subdomain for the parent domain): not read, so the victim's queries do not land in it.
  const planted = 'attacker_session_0001'
  const victim = await post(app, '/api/database/select', { database_name: db }, { cookie: `sid=${signed(planted)}` })
  t.not(victim.json().session_id, planted, 'the planted cookie is ignored')
  const development = await build(t)
  const read = await development.inject({ url: '/api/database/context', headers: { cookie: `sid=${signed(planted)}` } })
  t.equal(read.json().session_id, planted, 'the same cookie is correctly signed: plain sid is read where it is the name')
  const own = /^__Host-sid=([^;]+)/.exec(header)![1]!
  const again = await app.inject({ url: '/api/database/context', headers: { cookie: `__Host-sid=${own}` } })
  t.equal(again.json().session_id, res.json().session_id, 'the service\'s own cookie still holds its session')
})

t.test('under COOKIE_PATH over HTTPS the cookie is __Secure-sid', async (t) => {
  const app = await build(t, { env: { NODE_ENV: 'production', COOKIE_PATH: '/sqlgate/' } })
  const res = await app.inject({ url: '/api/database/context' })
  t.match(String(res.headers['set-cookie']), /^__Secure-sid=.*; Path=\/sqlgate\//)
})
