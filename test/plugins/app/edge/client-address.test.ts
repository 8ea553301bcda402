import t from 'tap'
import { connect } from 'node:net'
import { build, createDatabase, listen, selectedSession } from '../../../helper.js'

/**
 * The client's address is read once, as the request arrives (plugins/app/edge/client-address.ts):
 * a client that sends its request and resets the connection at once gets no 500 where its address
 * is counted later, nor an error line in the log.
 */

/** Sends `request` and resets the connection right after, without reading any answer. */
async function sendAndReset (base: string, request: string): Promise<void> {
  const { hostname, port } = new URL(base)
  const socket = connect(Number(port), hostname)
  await new Promise((resolve) => socket.once('connect', resolve))
  socket.on('error', () => {})
  socket.write(request, () => socket.resetAndDestroy())
  await new Promise((resolve) => socket.once('close', resolve))
}

t.test('requests whose clients reset their connections at once answer no 500 and log no error', async (t) => {
  const db = await createDatabase(t)
  const logs: Array<Record<string, unknown>> = []
  const app = await build(t, { logs })
  const sessionId = await selectedSession(app, db)
  const base = await listen(app)
  const body = JSON.stringify({ query: 'SELECT 1', session_id: sessionId })
  const requests = [
    `POST /api/query HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    'GET /api/database/context HTTP/1.1\r\nHost: localhost\r\n\r\n',
    'GET /api/database/list HTTP/1.1\r\nHost: localhost\r\n\r\n'
  ]
  for (let i = 0; i < 20; i++) await Promise.all(requests.map((request) => sendAndReset(base, request)))
  await new Promise((resolve) => setTimeout(resolve, 300))

  const lines = logs.filter((line) => line.msg === 'request')
  t.ok(lines.length > 0, `${lines.length - 1} of the 60 requests arrived before their resets`)
  t.strictSame(lines.filter((line) => line.status === 500), [], 'none answered 500')
  const ids = lines.map((line) => line.reqId)
  t.equal(new Set(ids).size, ids.length, 'one line per request')
  t.strictSame(logs.filter((line) => Number(line.level) >= 50), [], 'no error logged')
  const after = await app.inject({ method: 'POST', url: '/api/query', payload: JSON.parse(body) as Record<string, unknown> })
  t.equal(after.statusCode, 200, 'the session serves its next request')
})
