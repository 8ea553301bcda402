import t from 'tap'
import { build, createDatabase, post, randomSessionId } from '../helper.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

t.test('a session used constantly still ends at SESSION_MAX_AGE_SECONDS', async (t) => {
  const app = await build(t, { env: { SESSION_TTL_SECONDS: '2', SESSION_MAX_AGE_SECONDS: '2' } })
  const db = await createDatabase(t)
  const headers = { 'x-session-id': randomSessionId() }
  await post(app, '/api/database/select', { database_name: db }, headers)
  const started = Date.now()
  let alive = true
  while (Date.now() - started < 1500) {
    alive &&= (await app.inject({ url: '/api/database/context', headers })).json().context_available
    await sleep(250)
  }
  t.ok(alive, 'in use before its end')
  await sleep(2200 - (Date.now() - started))
  t.equal((await app.inject({ url: '/api/database/context', headers })).json().context_available, false, 'gone after its absolute lifetime')
  t.equal((await post(app, '/api/query', { query: 'SELECT 1' }, headers)).json().code, 'database_context_missing')
})

t.test('an idle session ends at SESSION_TTL_SECONDS', async (t) => {
  const app = await build(t, { env: { SESSION_TTL_SECONDS: '1' } })
  const db = await createDatabase(t)
  const headers = { 'x-session-id': randomSessionId() }
  await post(app, '/api/database/select', { database_name: db }, headers)
  await sleep(1300)
  t.equal((await app.inject({ url: '/api/database/context', headers })).json().context_available, false)
})
