import t from 'tap'
import { build, createDatabase, post, randomSessionId, sidCookie } from '../helper.js'
import { hashSessionId } from '../../lib/session-id.js'

t.test('SESSION_STRICT: only issued ids are accepted; an unknown one is replaced, never adopted', async (t) => {
  const logs: Array<Record<string, unknown>> = []
  const app = await build(t, { env: { SESSION_STRICT: 'true' }, logs })
  const db = await createDatabase(t)

  const chosen = randomSessionId()
  const fixation = await post(app, '/api/database/select', { database_name: db, session_id: chosen })
  t.equal(fixation.statusCode, 200)
  const issued = fixation.json().session_id
  t.not(issued, chosen, 'the client\'s own id is not adopted')
  t.match(issued, /^session_\d+_/, 'a newly issued id comes back instead')
  t.ok(fixation.headers['set-cookie'], 'and its cookie')
  const warning = logs.find((line) => String(line.msg).includes('unknown session id replaced'))
  t.equal(warning?.session, hashSessionId(chosen), 'logged, hashed')
  t.notMatch(JSON.stringify(logs), chosen, 'the raw id is not logged')

  const byHeader = await app.inject({ url: '/api/database/context', headers: { 'x-session-id': issued } })
  t.equal(byHeader.json().session_id, issued, 'an issued id is accepted')
  t.equal(byHeader.json().database_context.database_name, db)
  const byCookie = await post(app, '/api/query', { query: 'SELECT 1 AS one' }, { cookie: sidCookie(fixation) })
  t.strictSame(byCookie.json().rows, [{ one: 1 }])

  const unknownHeader = await app.inject({ url: '/api/database/context', headers: { 'x-session-id': randomSessionId() } })
  t.not(unknownHeader.json().session_id, issued)
  t.equal(unknownHeader.json().context_available, false)
  t.equal((await app.inject({ url: '/api/database/context', headers: { 'x-session-id': 'bad id' } })).json().code, 'invalid_session_id', 'malformed ids are still 400')
})

t.test('without SESSION_STRICT the frontend may choose its ids (the seed\'s scenario 1)', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t)
  const chosen = randomSessionId()
  t.equal((await post(app, '/api/database/select', { database_name: db, session_id: chosen })).json().session_id, chosen)
})
