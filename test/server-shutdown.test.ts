import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { connect } from 'node:net'
import t from 'tap'
import { LOG_FLUSH_MS } from '../app.js'
import { createDatabase, freePort, randomSessionId, redisClient, testConfig, TEST_COOKIE_SECRET } from './helper.js'
import { sessionKey, type SessionPart } from '../plugins/app/session/session-keys.js'

t.test('SIGTERM: in-flight requests finish, new connections are refused, exit 0', async (t) => {
  const port = await freePort()
  const config = testConfig()
  const child = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], {
    cwd: new URL('..', import.meta.url).pathname,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      REDIS_URL: config.REDIS_URL,
      REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX,
      MYSQL_URL: config.MYSQL_URL,
      COOKIE_SECRET: TEST_COOKIE_SECRET,
      LOG_LEVEL: 'info',
      SHUTDOWN_GRACE_MS: '10000'
    },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })

  const base = `http://127.0.0.1:${port}`
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`${base}/ready`).then((res) => res.ok, () => false)
    if (ok) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const db = await createDatabase(t)
  const sessionId = randomSessionId()
  const json = { 'content-type': 'application/json' }
  await fetch(`${base}/api/database/select`, { method: 'POST', headers: json, body: JSON.stringify({ database_name: db, session_id: sessionId }) })
  // Log lines are buffered (LOG_BUFFER_BYTES), but one line alone still leaves within LOG_FLUSH_MS.
  const logged = Date.now()
  while (!output.includes('"route":"/api/database/select"') && Date.now() - logged < 2000) {
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  t.ok(Date.now() - logged < LOG_FLUSH_MS + 500, `a lone request line reached stdout within the flush interval (${Date.now() - logged} ms)`)

  // A connection that has sent nothing yet (a browser's preconnect, a load balancer's warm
  // connection): Node counts it as busy until its headers timeout, and it had held every shutdown
  // for the whole SHUTDOWN_GRACE_MS, then exit 1.
  const preconnect = connect(port, '127.0.0.1')
  preconnect.on('error', () => {})
  await once(preconnect, 'connect')
  const preconnectClosed = once(preconnect, 'close')
  t.teardown(() => preconnect.destroy())

  const inFlight = fetch(`${base}/api/query`, { method: 'POST', headers: json, body: JSON.stringify({ query: 'SELECT SLEEP(1) AS slept', session_id: sessionId }) })
  await new Promise((resolve) => setTimeout(resolve, 300))
  child.kill('SIGTERM')
  const signalled = Date.now()
  await new Promise((resolve) => setTimeout(resolve, 200))

  const refused = await fetch(`${base}/health`).then(() => 'answered', (err: Error & { cause?: { code?: string } }) => err.cause?.code ?? 'failed')
  t.equal(refused, 'ECONNREFUSED', 'no new connections while closing')
  const res = await inFlight
  t.equal(res.status, 200, 'the in-flight query finished')
  t.strictSame((await res.json() as { rows: unknown[] }).rows, [{ slept: 0 }])
  const [code] = await once(child, 'exit')
  t.equal(code, 0, 'exit 0')
  t.ok(Date.now() - signalled < 5000, `done in ${Date.now() - signalled} ms, not at the end of the 10 s grace`)
  await preconnectClosed
  t.pass('the connection that sent nothing was closed')
  t.match(output, '"msg":"closed"', 'closed its pools and Redis first, and the last lines were written at exit')
  // The query's end (slot release and history) reached Redis before the service closed it.
  const redis = redisClient(t)
  const keys = (name: SessionPart) => sessionKey(config.REDIS_KEY_PREFIX, sessionId, name)
  t.equal(await redis.zcard(keys('inflight')), 0, "the in-flight query's slot was released")
  const history = (await redis.lrange(keys('history'), 0, -1)).map((entry) => JSON.parse(entry) as { query: string, status: string })
  t.match(history, [{ query: 'SELECT SLEEP(1) AS slept', status: 'ok' }], 'and it is in the history')
})
