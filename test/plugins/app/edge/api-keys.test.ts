import t from 'tap'
import SwaggerParser from '@apidevtools/swagger-parser'
import { build, createDatabase, post, randomSessionId } from '../../../helper.js'

const KEY = 'key-0123456789abcdef'

t.test('API_KEYS: every /api route needs a Bearer key; health, readiness and docs stay open', async (t) => {
  const app = await build(t, { env: { API_KEYS: `other-key-0000000000,${KEY}` } })
  const db = await createDatabase(t)
  for (const authorization of [undefined, 'Bearer wrong-key-000000000', `Basic ${KEY}`, `Bearer ${KEY}x`, `bearer${KEY}`]) {
    const res = await app.inject({ url: '/api/database/list', headers: authorization === undefined ? {} : { authorization } })
    t.equal(res.statusCode, 401, `refused: ${authorization}`)
    t.strictSame(res.json(), { statusCode: 401, error: 'Unauthorized', code: 'unauthorized', message: 'A valid API key is required: Authorization: Bearer <key>.' })
  }
  const sessionId = randomSessionId()
  const authorization = `Bearer ${KEY}`
  t.equal((await post(app, '/api/database/select', { database_name: db, session_id: sessionId }, { authorization })).statusCode, 200)
  t.equal((await post(app, '/api/query', { query: 'SELECT 1', session_id: sessionId }, { authorization })).statusCode, 200)
  t.equal((await post(app, '/api/query', { query: 'SELECT 1', session_id: sessionId })).statusCode, 401)
  for (const url of ['/health', '/ready', '/openapi.json', '/docs/', '/']) {
    t.equal((await app.inject({ url })).statusCode, 200, `${url} stays open`)
  }
  const doc = (await app.inject({ url: '/openapi.json' })).json()
  t.strictSame(doc.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer', description: doc.components.securitySchemes.bearerAuth.description })
  t.strictSame(doc.paths['/api/query'].post.security, [{ bearerAuth: [] }], 'the document says which routes need it')
  t.ok(doc.paths['/api/query'].post.responses['401'])
  t.notOk(doc.paths['/health'].get.security)
  await t.resolves(SwaggerParser.validate(doc))
})

t.test('API keys shorter than 16 characters are refused at start-up', async (t) => {
  await t.rejects(build(t, { env: { API_KEYS: 'short' } }), /API_KEYS/)
})
