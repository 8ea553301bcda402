import t from 'tap'
import { cookieValues } from '../../../../plugins/app/session/session-cookie.js'
import { build, createDatabase, post, randomSessionId, sidCookie } from '../../../helper.js'

t.test('a browser holding two signed session cookies of different sessions runs in neither', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t, 'CREATE TABLE secrets (v TEXT)')
  const [victim, attacker] = [randomSessionId(), randomSessionId()]
  const victimCookie = sidCookie(await post(app, '/api/database/select', { database_name: db, session_id: victim }))
  // The attacker's own session, signed by this service for them, planted in the victim's browser
  // by a sibling subdomain (Domain=.example.com) under a longer path, so the browser sends it first.
  const attackerCookie = sidCookie(await post(app, '/api/database/select', { database_name: db, session_id: attacker }))

  for (const cookie of [`${attackerCookie}; ${victimCookie}`, `${victimCookie}; ${attackerCookie}`, `${attackerCookie};${victimCookie}; theme=dark`]) {
    const query = await post(app, '/api/query', { query: 'SELECT v FROM secrets' }, { cookie })
    t.strictSame([query.statusCode, query.json().code], [400, 'session_id_conflict'], `${cookie.slice(0, 12)}…: refused`)
    t.match(query.json().message, /two session cookies/)
    t.notOk(query.headers['set-cookie'], 'and no cookie is set')
  }
  const attackerHistory = await app.inject({ url: '/api/query/history', headers: { 'x-session-id': attacker } })
  t.strictSame(attackerHistory.json().queries, [], 'nothing the victim ran reached the attacker\'s session')

  const named = await post(app, '/api/query', { query: 'SELECT COUNT(*) AS n FROM secrets' }, { cookie: `${attackerCookie}; ${victimCookie}`, 'x-session-id': victim })
  t.equal(named.statusCode, 200, 'a session named in the header is that session, whatever the cookies hold')
  t.equal(named.json().session_id, victim)
})

t.test('the browser\'s own session cookie is found among others of the same name', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t)
  const session = randomSessionId()
  const cookie = sidCookie(await post(app, '/api/database/select', { database_name: db, session_id: session }))
  const headers = [
    `sid=another-apps-session; ${cookie}`, // another application's sid, on a path or domain sent first
    `${cookie}; sid=s%3Aforged.sig`,
    `sid=; lang=en; ${cookie}`,
    `${cookie}; ${cookie}` // the same session under two paths
  ]
  for (const header of headers) {
    const context = await app.inject({ url: '/api/database/context', headers: { cookie: header } })
    t.strictSame([context.statusCode, context.json().session_id, context.json().context_available], [200, session, true], header.slice(0, 24))
    t.notOk(context.headers['set-cookie'], 'the cookie already holds the session')
  }

  // Every value of the name, each decoded as the whole header is.
  const values = (header: string) => cookieValues(header, 'sid', app.parseCookie)
  t.strictSame(values('a=1; b=2'), [])
  t.strictSame(values('sid=x'), ['x'])
  t.strictSame(values('xsid=y; sid=x'), ['x'], 'a longer name is another cookie')
  t.strictSame(values('sid=a; sid=b;sid="c" ; sid=d%3Be'), ['a', 'b', '"c"', 'd;e'])
  t.strictSame(values('theme=sid=1'), [], 'the name inside a value is no cookie')
  t.strictSame(values('theme=sid=1; sid=2'), ['2'])
})
