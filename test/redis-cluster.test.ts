import t from 'tap'
import { Cluster } from 'ioredis'
import { build, createDatabase, post, randomSessionId, sidCookie, testConfig, throwawayRedisCluster } from './helper.js'

t.test('on a 3-master Redis Cluster: the seed flow, isolation and history across two instances; one slot per session', async (t) => {
  const { nodes } = await throwawayRedisCluster(t)
  const config = testConfig({ REDIS_CLUSTER_NODES: nodes.join(','), RATE_LIMIT_MAX: '1000' })
  const [one, two] = [await build(t, { config }), await build(t, { config })]
  const [dbA, dbB] = [await createDatabase(t, "CREATE TABLE t (v VARCHAR(5)); INSERT INTO t VALUES ('A')"), await createDatabase(t, "CREATE TABLE t (v VARCHAR(5)); INSERT INTO t VALUES ('B')")]

  // Seed scenario 2 across instances: issued on one, used by body and by cookie on the other.
  const selected = await post(one, '/api/database/select', { database_name: dbA })
  const a: string = selected.json().session_id
  t.strictSame((await post(two, '/api/query', { query: 'SELECT v FROM t', session_id: a })).json().rows, [{ v: 'A' }])
  t.strictSame((await post(two, '/api/query', { query: 'SELECT v FROM t' }, { cookie: sidCookie(selected) })).json().rows, [{ v: 'A' }])

  // Scenario 1 and isolation: many sessions, spread over the cluster's slots.
  const sessions = Array.from({ length: 12 }, () => randomSessionId())
  for (const [i, id] of sessions.entries()) await post(i % 2 === 0 ? one : two, '/api/database/select', { database_name: i % 2 === 0 ? dbA : dbB, session_id: id })
  const answers = await Promise.all(sessions.map((id, i) => post(i % 2 === 0 ? two : one, '/api/query', { query: 'SELECT v FROM t', session_id: id })))
  t.strictSame(answers.map((res) => res.json().rows?.[0]?.v), sessions.map((_, i) => i % 2 === 0 ? 'A' : 'B'), 'every session in its own database')

  const history = await one.inject({ url: '/api/query/history', headers: { 'x-session-id': a } })
  t.strictSame(history.json().queries.map((q: { query: string }) => q.query), ['SELECT v FROM t', 'SELECT v FROM t'])

  // Every key of a session lives in one hash slot.
  const cluster = new Cluster(nodes.map((node) => ({ host: node.split(':')[0]!, port: Number(node.split(':')[1]) })))
  t.teardown(() => cluster.quit())
  for (const id of [a, ...sessions.slice(0, 3)]) {
    const keys = ['born', 'context', 'history'].map((what) => `${config.REDIS_KEY_PREFIX}session:{${id}}:${what}`)
    const exists = await Promise.all(keys.map((key) => cluster.exists(key)))
    t.strictSame(exists, [1, 1, 1], 'the session\'s keys exist')
    const slots = new Set(await Promise.all(keys.map((key) => cluster.call('CLUSTER', 'KEYSLOT', key))))
    t.equal(slots.size, 1, `one slot for session ${id.slice(0, 12)}…`)
  }
  const slotsUsed = new Set(await Promise.all(sessions.map((id) => cluster.call('CLUSTER', 'KEYSLOT', `{${id}}`))))
  t.ok(slotsUsed.size > 1, 'sessions spread over several slots')
})
