import t, { type Test } from 'tap'
import { request, type IncomingMessage } from 'node:http'
import { adminConnection, build, createDatabase, download, listen, randomSuffix, runningStatements, selectedSession } from '../../../helper.js'

async function exporting (t: Test, env: Record<string, string> = {}) {
  const app = await build(t, { env })
  const base = await listen(app)
  const db = await createDatabase(t)
  const sessionId = await selectedSession(app, db)
  const history = async () => (await app.inject({ url: '/api/query/history', headers: { 'x-session-id': sessionId } })).json().queries
  return { app, base, sessionId, history }
}

/** An export whose response is opened and then not read: the response, paused. */
function openExport (base: string, body: unknown): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/api/query/export`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      res.pause()
      resolve(res)
    })
    req.on('error', reject)
    req.end(JSON.stringify(body))
  })
}

async function waitFor (check: () => Promise<boolean>, ms: number): Promise<boolean> {
  for (const until = Date.now() + ms; Date.now() < until;) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return check()
}

t.test('a timeout after the first byte ends the response without its final chunk; the history says why', async (t) => {
  const { base, sessionId, history } = await exporting(t)
  const marker = `timeout_${randomSuffix()}`
  const res = await download(base, '/api/query/export', { query: `SELECT seq, REPEAT('x', 200), SLEEP(IF(seq % 1000 = 0, 0.05, 0)) AS ${marker} FROM seq_1_to_100000`, session_id: sessionId, format: 'csv', timeout_ms: 500 })
  t.equal(res.status, 200, 'the export had begun')
  t.equal(res.complete, false, 'no final chunk: the client cannot take the file for whole')
  t.ok(res.body.length > 0, `${res.body.length} bytes came before the cut`)
  t.notOk(res.trailers['x-export-row-count'], 'no trailers')
  t.ok(await waitFor(async () => (await history())[0]?.status === 'error', 2000))
  t.match((await history())[0], { status: 'error', error_code: 'query_timeout', format: 'csv' })
  const admin = await adminConnection(t)
  t.ok(await waitFor(async () => (await runningStatements(admin, marker)).length === 0, 3000), 'the statement is no longer running')
})

t.test('the database connection dies mid-export: the response is cut short, and the history says so', async (t) => {
  const { base, sessionId, history } = await exporting(t)
  const marker = `killed_${randomSuffix()}`
  const admin = await adminConnection(t)
  const downloading = download(base, '/api/query/export', { query: `SELECT seq, REPEAT('x', 200), SLEEP(IF(seq % 1000 = 0, 0.05, 0)) AS ${marker} FROM seq_1_to_100000`, session_id: sessionId, format: 'ndjson' })
  t.ok(await waitFor(async () => (await runningStatements(admin, marker)).length === 1, 3000), 'the export is running')
  await new Promise((resolve) => setTimeout(resolve, 200))
  const [id] = await runningStatements(admin, marker)
  await admin.query(`KILL CONNECTION ${Number(id)}`)
  const res = await downloading
  t.equal(res.status, 200)
  t.equal(res.complete, false, 'no final chunk')
  const text = res.body.toString('utf8')
  t.ok(text.split('\n').length > 2, 'rows had come')
  t.notMatch(text, /_sqlgate_export/)
  t.ok(await waitFor(async () => (await history())[0]?.status === 'error', 2000))
  t.match((await history())[0], { status: 'error', format: 'ndjson' })
  t.ok((await history())[0].row_count > 0, 'with the rows sent before it')
})

t.test('a reader that stops reading for REQUEST_TIMEOUT_MS is dropped and its statement stopped', async (t) => {
  const { app, base, sessionId, history } = await exporting(t, { REQUEST_TIMEOUT_MS: '1000' })
  const marker = `stalled_${randomSuffix()}`
  const admin = await adminConnection(t)
  const res = await openExport(base, { query: `SELECT seq, REPEAT('x', 100) AS ${marker} FROM seq_1_to_10000000`, session_id: sessionId, format: 'csv' })
  t.equal(res.statusCode, 200)
  t.ok(await waitFor(async () => (await history())[0]?.error_code === 'reader_stalled', 6000), 'the history says the reader stalled')
  t.ok(await waitFor(async () => (await runningStatements(admin, marker)).length === 0, 3000), 'its statement was stopped on the server')
  t.equal(app.exporter.streaming(), 0, 'its export connection is back')
  // Reading again, the client finds the file cut short: what the kernel held, and no final chunk.
  let bytes = 0
  res.on('data', (chunk: Buffer) => { bytes += chunk.length })
  const complete = await new Promise<boolean>((resolve) => {
    res.on('end', () => resolve(res.complete))
    res.on('aborted', () => resolve(false))
    res.on('error', () => resolve(false))
    res.resume()
  })
  t.equal(complete, false, 'no final chunk')
  t.ok(bytes < 64 * 1024 * 1024, `${(bytes / 1048576).toFixed(1)} MB of the 1,000,000 rows' 110 MB had been sent`)
})

t.test('a client that goes away mid-export: the statement stops and the history says client_closed_request', async (t) => {
  const { app, base, sessionId, history } = await exporting(t)
  const marker = `gone_${randomSuffix()}`
  const admin = await adminConnection(t)
  const res = await openExport(base, { query: `SELECT seq, SLEEP(0.001) AS ${marker} FROM seq_1_to_100000`, session_id: sessionId, format: 'json' })
  res.resume()
  await new Promise((resolve) => setTimeout(resolve, 300))
  res.destroy()
  t.ok(await waitFor(async () => (await runningStatements(admin, marker)).length === 0, 3000), 'its statement was stopped on the server')
  t.ok(await waitFor(async () => (await history())[0]?.status === 'error', 2000))
  t.match((await history())[0], { status: 'error', error_code: 'client_closed_request', format: 'json' })
  t.ok(await waitFor(async () => app.exporter.streaming() === 0, 2000), 'its export connection is back')
})
