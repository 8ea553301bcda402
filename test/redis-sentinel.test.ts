import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import t from 'tap'
import { build, createDatabase, freePort, post, randomSessionId, throwawayRedis } from './helper.js'
import { sessionKey } from '../plugins/app/session/session-keys.js'

t.test('REDIS_SENTINELS: the session store is the primary a Sentinel names', async (t) => {
  const primary = await throwawayRedis(t)
  const primaryPort = new URL(primary.url).port
  const port = await freePort()
  const dir = await mkdtemp(`${tmpdir()}/sqlgate-sentinel-`)
  await writeFile(`${dir}/sentinel.conf`, [
    `port ${port}`, 'bind 127.0.0.1', `dir ${dir}`,
    `sentinel monitor sqlgate-primary 127.0.0.1 ${primaryPort} 1`,
    'sentinel down-after-milliseconds sqlgate-primary 1000'
  ].join('\n') + '\n')
  const sentinel = spawn('redis-server', [`${dir}/sentinel.conf`, '--sentinel'], { stdio: 'ignore' })
  process.once('exit', () => sentinel.kill('SIGKILL'))
  t.teardown(async () => {
    sentinel.kill('SIGKILL')
    await rm(dir, { recursive: true, force: true })
  })
  for (let i = 0; i < 50; i++) {
    const up = await fetch(`http://127.0.0.1:${port}`).then(() => true, (err: { cause?: { code?: string } }) => err.cause?.code !== 'ECONNREFUSED')
    if (up) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }

  const app = await build(t, { env: { REDIS_SENTINELS: `127.0.0.1:${port}`, REDIS_SENTINEL_NAME: 'sqlgate-primary' } })
  const db = await createDatabase(t, 'CREATE TABLE t (v INT); INSERT INTO t VALUES (5)')
  const sessionId = randomSessionId()
  t.equal((await post(app, '/api/database/select', { database_name: db, session_id: sessionId })).statusCode, 200)
  t.strictSame((await post(app, '/api/query', { query: 'SELECT v FROM t', session_id: sessionId })).json().rows, [{ v: 5 }])
  t.equal((await app.inject({ url: '/ready' })).statusCode, 200)

  const { Redis } = await import('ioredis')
  const direct = new Redis(primary.url)
  t.teardown(() => direct.quit())
  t.equal(await direct.exists(sessionKey(app.config.REDIS_KEY_PREFIX, sessionId, 'context')), 1, 'the context is on the primary the Sentinel named')
})

t.test('cluster and sentinel settings are checked at start-up', async (t) => {
  const { loadConfig } = await import('../config.js')
  t.throws(() => loadConfig({ REDIS_CLUSTER_NODES: 'localhost' }), /REDIS_CLUSTER_NODES: "localhost" is not host:port/)
  t.throws(() => loadConfig({ REDIS_CLUSTER_NODES: 'a:1', REDIS_SENTINELS: 'b:2' }), /exclusive/)
  t.strictSame(loadConfig({ REDIS_CLUSTER_NODES: 'a:7000, b:7001' }).REDIS_CLUSTER_NODES, ['a:7000', 'b:7001'])
})
