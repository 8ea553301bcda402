import t from 'tap'
import { build, createDatabase, post, randomSessionId, sidCookie, testConfig } from '../../../helper.js'

t.test('order: body over header over cookie; a body and a header naming two sessions are refused', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t)
  const [a, b, c] = [randomSessionId(), randomSessionId(), randomSessionId()]
  const cookieRes = await post(app, '/api/database/select', { database_name: db, session_id: c })
  const cookie = sidCookie(cookieRes)

  const both = await post(app, '/api/database/select', { database_name: db, session_id: a }, { 'x-session-id': b, cookie })
  t.strictSame([both.statusCode, both.json().code], [400, 'session_id_conflict'], 'the body and the header name two sessions: neither is used')
  for (const id of [a, b]) {
    const context = await app.inject({ url: '/api/database/context', headers: { 'x-session-id': id } })
    t.equal(context.json().context_available, false, 'no session got the database')
  }
  const malformed = await post(app, '/api/query', { query: 'SELECT 1', session_id: a }, { 'x-session-id': 'x' })
  t.equal(malformed.json().code, 'session_id_conflict', 'a header that is no id at all conflicts too')

  const same = await post(app, '/api/database/select', { database_name: db, session_id: a }, { 'x-session-id': a, cookie })
  t.equal(same.json().session_id, a, 'the same id in both is that session')
  const all = await post(app, '/api/database/select', { database_name: db, session_id: a }, { cookie })
  t.equal(all.json().session_id, a, 'the body wins over the cookie')

  const headerAndCookie = await app.inject({ method: 'GET', url: '/api/database/context', headers: { 'x-session-id': b, cookie } })
  t.equal(headerAndCookie.json().session_id, b, 'then the header')

  const cookieOnly = await app.inject({ method: 'GET', url: '/api/database/context', headers: { cookie } })
  t.equal(cookieOnly.json().session_id, c, 'then the cookie')
  t.equal(cookieOnly.json().context_available, true)
})

t.test('the X-Session-Id header alone resolves the session for select, context and query', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t, 'CREATE TABLE t (v INT); INSERT INTO t VALUES (7)')
  const headers = { 'x-session-id': randomSessionId() }
  t.equal((await post(app, '/api/database/select', { database_name: db }, headers)).json().session_id, headers['x-session-id'])
  const context = await app.inject({ url: '/api/database/context', headers })
  t.equal(context.json().database_context.database_name, db)
  const query = await post(app, '/api/query', { query: 'SELECT v FROM t' }, headers)
  t.strictSame(query.json().rows, [{ v: 7 }])
})

t.test('a session id in the query string is refused, not ignored: ignored, it meant a new session with no database', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t, 'CREATE TABLE t (v INT)')
  const id = randomSessionId()
  await post(app, '/api/database/select', { database_name: db, session_id: id })
  const requests: Array<[string, 'GET' | 'POST', string, Record<string, unknown> | undefined, Record<string, string>]> = [
    ['context', 'GET', `/api/database/context?session_id=${id}`, undefined, {}],
    ['history', 'GET', `/api/query/history?session_id=${id}`, undefined, {}],
    ['schema', 'GET', `/api/database/schema?session_id=${id}`, undefined, {}],
    ['query', 'POST', `/api/query?session_id=${id}`, { query: 'SELECT v FROM t' }, {}],
    ['select', 'POST', `/api/database/select?session_id=${id}`, { database_name: db }, {}],
    ['context, with the header too', 'GET', `/api/database/context?session_id=${id}`, undefined, { 'x-session-id': id }]
  ]
  for (const [name, method, url, payload, headers] of requests) {
    const res = await app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) })
    t.equal(res.statusCode, 400, name)
    t.match(res.json(), { code: 'validation_error', message: /querystring\/session_id is not read.*X-Session-Id/, details: [{ field: 'querystring/session_id' }] }, name)
    t.notOk(res.headers['set-cookie'], `${name}: no new session's cookie`)
  }
  const other = await app.inject({ url: '/api/database/context?_=1796099067123', headers: { 'x-session-id': id } })
  t.equal(other.json().context_available, true, 'other query parameters (a cache buster) are left alone')
})

t.test('session_id: null in the body counts as absent', async (t) => {
  const app = await build(t)
  const id = randomSessionId()
  const res = await app.inject({ url: '/api/database/context', headers: { 'x-session-id': id } })
  t.equal(res.json().session_id, id)
  const query = await post(app, '/api/query', { query: 'SELECT 1', session_id: null }, { 'x-session-id': id })
  t.equal(query.json().code, 'database_context_missing')
  t.match(query.json().message, id, 'null in the body fell through to the header')
})

const hostile: Array<[string, unknown]> = [
  ['too short', 'abc'],
  ['empty', ''],
  ['too long', 'a'.repeat(129)],
  ['spaces', 'session 1234'],
  ['Redis hash tag breakout', 'abc}{other'],
  ['key separator and glob', 'sess:ion*1234'],
  ['path traversal', '../../etc/passwd'],
  ['SQL', "x' OR '1'='1"],
  ['newline (log injection)', 'session_1234\nlevel=fatal'],
  ['unicode lookalike', 'sessiоn_1234'], // Cyrillic о
  ['a number', 12345678],
  ['an object', { id: 'session_12345' }],
  ['an array', ['session_12345']]
]

t.test('malformed ids are refused with invalid_session_id, never replaced', async (t) => {
  const app = await build(t)
  for (const [label, value] of hostile) {
    const res = await post(app, '/api/query', { query: 'SELECT 1', session_id: value })
    t.equal(res.statusCode, 400, `body: ${label}`)
    t.equal(res.json().code, 'invalid_session_id', `body: ${label}`)
    t.notOk(res.headers['set-cookie'], `no cookie for a refused id (${label})`)
  }
  for (const [label, value] of hostile) {
    if (typeof value !== 'string' || /[\n]/.test(value)) continue
    const res = await app.inject({ url: '/api/database/context', headers: { 'x-session-id': value } })
    t.equal(res.json().code, 'invalid_session_id', `header: ${label}`)
  }
  const viaUrl = await app.inject({ url: '/api/database/context/abc.def!ghi' })
  t.equal(viaUrl.json().code, 'invalid_session_id', 'URL parameter')
  const escaped = await app.inject({ url: '/api/database/context/' + encodeURIComponent('abc}{def') })
  t.equal(escaped.json().code, 'invalid_request', 'URL parameter with escapes: no path of the service has them (plugins/app/edge/request-reading.ts)')
  const exact = await app.inject({ url: '/api/database/context', headers: { 'x-session-id': 'a'.repeat(128) } })
  t.equal(exact.statusCode, 200, '128 characters is still allowed')
  const eight = await app.inject({ url: '/api/database/context', headers: { 'x-session-id': 'A-b_C-d1' } })
  t.equal(eight.statusCode, 200, '8 characters is allowed')
})

t.test('a forged or tampered cookie is ignored as if absent', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t)
  const victim = randomSessionId()
  const selected = await post(app, '/api/database/select', { database_name: db, session_id: victim })
  const genuine = sidCookie(selected)

  const unsigned = await app.inject({ url: '/api/database/context', headers: { cookie: `sid=${victim}` } })
  t.not(unsigned.json().session_id, victim, 'an unsigned cookie does not select the session')
  t.equal(unsigned.json().context_available, false)

  const tampered = genuine.replace(/\.(.)/, (_m, ch: string) => `.${ch === 'A' ? 'B' : 'A'}`)
  const res = await app.inject({ url: '/api/database/context', headers: { cookie: tampered } })
  t.not(res.json().session_id, victim, 'a bad signature does not select the session')
  t.match(res.json().session_id, /^session_/, 'a fresh session instead')

  const longest = `sid=${'a'.repeat(128)}.${'b'.repeat(43)}`
  const huge = `sid=${'a'.repeat(8000)}.${genuine.split('.').pop()}`
  for (const cookie of [longest, huge]) {
    const answer = await app.inject({ url: '/api/database/context', headers: { cookie } })
    t.equal(answer.statusCode, 200, `a ${cookie.length}-character forged cookie is ignored, not an error`)
    t.match(answer.json().session_id, /^session_/)
  }
  t.equal((await app.inject({ url: '/api/database/context', headers: { cookie: genuine } })).json().session_id, victim,
    'the genuine cookie still selects its session')
  const longId = `x${randomSessionId()}`.padEnd(128, 'y')
  const longSelected = await post(app, '/api/database/select', { database_name: db, session_id: longId })
  t.equal((await app.inject({ url: '/api/database/context', headers: { cookie: sidCookie(longSelected) } })).json().session_id, longId,
    'the cookie of the longest valid id is not too long')

  const otherSecret = await build(t, { env: { COOKIE_SECRET: 'another-secret-another-secret-another-secret' } })
  const foreign = await otherSecret.inject({ url: '/api/database/context', headers: { cookie: genuine } })
  t.not(foreign.json().session_id, victim, 'a cookie signed with another secret is ignored')
})

t.test('the sid cookie: set when it does not hold the session, with the right attributes', async (t) => {
  const app = await build(t, { env: { SESSION_TTL_SECONDS: '3600', SESSION_MAX_AGE_SECONDS: '86400' } })
  const db = await createDatabase(t)
  const first = await post(app, '/api/database/select', { database_name: db })
  const cookie = first.cookies.find((c) => c.name === 'sid')
  t.ok(cookie, 'a new session gets a cookie')
  t.equal(cookie?.httpOnly, true)
  t.equal(cookie?.sameSite, 'Lax')
  t.equal(cookie?.path, '/')
  t.equal(cookie?.maxAge, 86400, 'as long as the session may live: use does not refresh a cookie (SESSION_TTL_SECONDS is refreshed in Redis only)')
  t.notOk(cookie?.secure, 'not Secure when COOKIE_SECURE=false')
  t.not(cookie?.value, first.json().session_id, 'the cookie is signed, not the bare id')

  const again = await post(app, '/api/query', { query: 'SELECT 1' }, { cookie: sidCookie(first) })
  t.notOk(again.headers['set-cookie'], 'no Set-Cookie when the cookie already holds the session')

  const other = randomSessionId()
  const switched = await post(app, '/api/database/select', { database_name: db, session_id: other }, { cookie: sidCookie(first) })
  t.equal(switched.json().session_id, other)
  t.ok(switched.headers['set-cookie'], 'the cookie follows a session named in the body')

  const byHeader = await Promise.all([1, 2].map(() => app.inject({ url: '/api/database/context', headers: { 'x-session-id': other } })))
  t.equal(byHeader[0]?.headers['set-cookie'], switched.headers['set-cookie'], 'the same session gets the same cookie every time')
  t.equal(byHeader[1]?.headers['set-cookie'], switched.headers['set-cookie'])
  const back = await app.inject({ url: '/api/database/context', headers: { cookie: sidCookie(switched) } })
  t.equal(back.json().session_id, other, 'and that cookie selects the session')

  const looked = await app.inject({ url: `/api/database/context/${randomSessionId()}` })
  t.notOk(looked.headers['set-cookie'], 'looking a session up by URL does not hand it to the browser')

  const secure = await build(t, { env: { COOKIE_SECURE: 'true' } })
  const secureRes = await secure.inject({ url: '/api/database/context' })
  t.equal(secureRes.cookies.find((c) => c.name === '__Host-sid')?.secure, true, 'Secure, and named __Host-sid, when COOKIE_SECURE=true')
})

t.test('generated ids: seed shape, unique, at least 128 random bits', async (t) => {
  const app = await build(t)
  const ids = new Set<string>()
  for (let i = 0; i < 50; i++) {
    const res = await app.inject({ url: '/api/database/context' })
    const id: string = res.json().session_id
    const match = /^session_(\d{13})_([A-Za-z0-9_-]+)$/.exec(id)
    t.ok(match, `seed shape: ${id}`)
    t.ok(match![2]!.length * 6 >= 128, 'random part carries at least 128 bits')
    t.ok(Math.abs(Number(match![1]) - Date.now()) < 60_000, 'the time part is now')
    ids.add(id)
  }
  t.equal(ids.size, 50, 'all different')
})

t.test('COOKIE_SECRETS_ACCEPTED: a rotated secret keeps browser sessions, and the answer signs the cookie anew', async (t) => {
  const [oldSecret, newSecret] = ['o'.repeat(40), 'n'.repeat(40)]
  const shared = testConfig({ COOKIE_SECRET: oldSecret })
  const before = await build(t, { config: shared })
  const db = await createDatabase(t)
  const selected = await post(before, '/api/database/select', { database_name: db })
  const sessionId = selected.json().session_id
  const oldCookie = sidCookie(selected)

  // Phase 1: the new secret is accepted, the old one still signs: nothing changes for browsers.
  const accepting = await build(t, { config: { ...shared, COOKIE_SECRETS_ACCEPTED: [newSecret] } })
  const phase1 = await accepting.inject({ url: '/api/database/context', headers: { cookie: oldCookie } })
  t.equal(phase1.json().session_id, sessionId)
  t.notOk(phase1.headers['set-cookie'], 'a cookie signed with the signing secret is left as it is')

  // Phase 2: the new secret signs, the old one is accepted: the session goes on, its cookie re-signed.
  const rotated = await build(t, { config: { ...shared, COOKIE_SECRET: newSecret, COOKIE_SECRETS_ACCEPTED: [oldSecret] } })
  const phase2 = await rotated.inject({ url: '/api/database/context', headers: { cookie: oldCookie } })
  t.equal(phase2.json().session_id, sessionId, 'the old cookie still names the session')
  t.equal(phase2.json().database_context.database_name, db)
  const newCookie = sidCookie(phase2)
  t.not(newCookie, oldCookie, 'signed anew')
  const again = await rotated.inject({ url: '/api/database/context', headers: { cookie: newCookie } })
  t.equal(again.json().session_id, sessionId)
  t.notOk(again.headers['set-cookie'], 'and then left as it is')
  const phase1Reads = await accepting.inject({ url: '/api/database/context', headers: { cookie: newCookie } })
  t.equal(phase1Reads.json().session_id, sessionId, 'an instance still in phase 1 accepts the new signature')

  // Phase 3: the old secret is dropped; a cookie only it signed is no cookie (a new session).
  const done = await build(t, { config: { ...shared, COOKIE_SECRET: newSecret } })
  t.equal((await done.inject({ url: '/api/database/context', headers: { cookie: newCookie } })).json().session_id, sessionId)
  t.not((await done.inject({ url: '/api/database/context', headers: { cookie: oldCookie } })).json().session_id, sessionId)
})
