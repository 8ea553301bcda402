import { once } from 'node:events'
import t from 'tap'
import type { Redis } from 'ioredis'
import { COMMAND_TIMEOUT_MS, createRedisClient } from '../../../plugins/external/redis.js'
import { TEST_REDIS_URL, tcpProxy, testConfig } from '../../helper.js'

t.test('a command Redis does not answer fails on its own deadline, one timeout after it was sent', async (t) => {
  const target = new URL(TEST_REDIS_URL)
  const proxy = await tcpProxy(t, { host: target.hostname, port: Number(target.port || 6379) })
  const via = new URL(TEST_REDIS_URL)
  via.port = String(proxy.port)
  const client = createRedisClient(testConfig({ REDIS_URL: via.toString() })) as Redis
  t.teardown(() => client.disconnect())
  client.on('error', () => {})
  await once(client, 'ready')
  t.equal(await client.ping(), 'PONG', 'answered while the path works')
  // Answered commands do not hold up the deadlines of later ones.
  await Promise.all(Array.from({ length: 50 }, () => client.ping()))

  proxy.stall()
  const started = performance.now()
  const settledAfter = (reply: Promise<unknown>) => reply.then(
    () => ({ ms: performance.now() - started, error: null }),
    (err: Error) => ({ ms: performance.now() - started, error: err.message }))
  const first = settledAfter(client.ping())
  await new Promise((resolve) => setTimeout(resolve, 400))
  const second = settledAfter(client.ping())
  const [a, b] = await Promise.all([first, second])
  t.equal(a.error, 'Command timed out', 'the first fails with ioredis\'s own error')
  t.equal(b.error, 'Command timed out', 'so does the second')
  t.ok(a.ms >= COMMAND_TIMEOUT_MS - 20 && a.ms < COMMAND_TIMEOUT_MS + 600, `the first after about ${COMMAND_TIMEOUT_MS} ms (${Math.round(a.ms)})`)
  t.ok(b.ms >= a.ms + 300, `the second on its own deadline, later (${Math.round(b.ms)} ms)`)
})
