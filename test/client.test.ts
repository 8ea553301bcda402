import { readFile } from 'node:fs/promises'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import t from 'tap'
import SwaggerParser from '@apidevtools/swagger-parser'
import createClient from 'openapi-fetch'
import type { paths } from '../client/sqlgate-api.js'
import { CLIENT_TYPES_PATH, generateClientTypes } from '../client/openapi-types.js'
import { build, createDatabase, listen, randomSessionId } from './helper.js'

t.test('GET /openapi.json is a valid OpenAPI 3.1 document', async (t) => {
  const app = await build(t)
  const doc = (await app.inject({ url: '/openapi.json' })).json()
  await t.resolves(SwaggerParser.validate(structuredClone(doc)), 'swagger-parser validates it')
  t.equal(doc.openapi, '3.1.0')
})

t.test('the committed client types match the service\'s document', async (t) => {
  const app = await build(t)
  const fresh = await generateClientTypes(app.swagger())
  const committed = await readFile(CLIENT_TYPES_PATH, 'utf8')
  t.ok(fresh === committed, 'client/sqlgate-api.d.ts is up to date (run `npm run client:generate` after changing a schema)')
})

t.test('a typed client generated from the document runs both seed scenarios', async (t) => {
  const app = await build(t)
  const baseUrl = await listen(app)
  const client = createClient<paths>({ baseUrl })
  const db = await createDatabase(t, 'CREATE TABLE orders (id BIGINT PRIMARY KEY, total DECIMAL(10,2)); INSERT INTO orders VALUES (9007199254740993, 19.90)')

  // Scenario 1: the frontend names its session.
  const sessionId = randomSessionId()
  const selected = await client.POST('/api/database/select', { body: { database_name: db, session_id: sessionId } })
  t.equal(selected.data?.session_id, sessionId)
  const queried = await client.POST('/api/query', { body: { query: 'SELECT id, total FROM orders', session_id: sessionId } })
  t.strictSame(queried.data?.rows, [{ id: '9007199254740993', total: '19.90' }])
  t.equal(queried.data?.truncated, false)

  // Scenario 2: no session id; the answer issues one, found again by body, header or cookie.
  const issued = await client.POST('/api/database/select', { body: { database_name: db } })
  const newId = issued.data?.session_id
  t.match(newId, /^session_\d+_/)
  const setCookie = issued.response.headers.get('set-cookie') ?? ''
  t.match(setCookie, /^sid=/, 'the answer sets the sid cookie')
  const byBody = await client.POST('/api/query', { body: { query: 'SELECT COUNT(*) AS n FROM orders', session_id: newId } })
  t.strictSame(byBody.data?.rows, [{ n: '1' }])
  const byHeader = await client.GET('/api/database/context', { params: { header: { 'x-session-id': newId } } })
  t.equal(byHeader.data?.database_context?.database_name, db)
  const byCookie = await client.POST('/api/query', { body: { query: 'SELECT 1 AS one' }, headers: { cookie: setCookie.split(';')[0]! } })
  t.equal(byCookie.data?.session_id, newId, 'the cookie alone finds the session')

  // DELETE needs no body (the document says the body is optional).
  const cleared = await client.DELETE('/api/database/context', { params: { header: { 'x-session-id': newId } } })
  t.equal(cleared.data?.cleared, true)

  // Errors arrive typed, in the envelope.
  const refused = await client.POST('/api/query', { body: { query: 'DELETE FROM orders', session_id: sessionId } })
  t.equal(refused.response.status, 403)
  t.equal(refused.error?.code, 'read_only_violation')
  const missing = await client.POST('/api/query', { body: { query: 'SELECT 1', session_id: randomSessionId() } })
  t.equal(missing.error?.recovery_action, 'select_database')

  // An export, as docs/openapi.md shows it: the file as a stream, written where it belongs.
  const exported = await client.POST('/api/query/export', { body: { query: 'SELECT id, total FROM orders', format: 'csv', session_id: sessionId }, parseAs: 'stream' })
  t.equal(exported.response.status, 200)
  t.match(exported.response.headers.get('content-disposition'), /^attachment; filename="[\w.-]+\.csv"$/)
  const chunks: Buffer[] = []
  await pipeline(Readable.fromWeb(exported.data as never), new Writable({ write (chunk: Buffer, _encoding, done) { chunks.push(chunk); done() } }))
  t.equal(Buffer.concat(chunks).toString('utf8'), 'id,total\r\n9007199254740993,19.90\r\n')
})
