import { once } from 'node:events'
import t, { type Test } from 'tap'
import type { Redis } from 'ioredis'
import { COMMAND_TIMEOUT_MS, createRedisClient } from '../../plugins/external/redis.js'
import { TEST_REDIS_URL, tcpProxy, testConfig, throwawayRedis } from '../helper.js'

/** The service's own client (batched writes), on a redis-server of the test's own. */
async function serviceClient (t: Test): Promise<{ client: Redis, server: Awaited<ReturnType<typeof throwawayRedis>> }> {
  const server = await throwawayRedis(t)
  const client = createRedisClient(testConfig({ REDIS_URL: server.url })) as Redis
  t.teardown(() => client.disconnect())
  client.on('error', () => {}) // the server stops first at the end of the test
  await once(client, 'ready')
  return { client, server }
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

t.test('the commands of one event-loop turn leave the process in one write', async (t) => {
  const { client } = await serviceClient(t)
  const replies = Array.from({ length: 20 }, (_, i) => client.set(`k${i}`, String(i)))
  // Held in the socket, not yet written: the turn may add more.
  t.equal(client.stream.writableCorked, 1, 'the socket is corked during the turn')
  t.ok(client.stream.writableLength > 0, 'the turn\'s commands wait in the socket')
  t.strictSame(await Promise.all(replies), Array.from({ length: 20 }, () => 'OK'), 'every command is answered')
  await nextTurn()
  t.equal(client.stream.writableCorked, 0, 'the socket is uncorked once the turn is over')
  t.equal(await client.get('k7'), '7', 'a later turn works the same')
})

t.test('batching survives a reconnect', async (t) => {
  const { client, server } = await serviceClient(t)
  await client.set('before', '1')

  await server.stop()
  await server.start()
  await once(client, 'ready')
  const replies = await Promise.all([client.set('after', '2'), client.get('before'), client.get('after')])
  t.strictSame(replies, ['OK', null, '2'], 'commands after the reconnect are answered (the new server is empty)')
  await nextTurn()
  t.equal(client.stream.writableCorked, 0, 'nothing stays corked on the new connection')
})

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
