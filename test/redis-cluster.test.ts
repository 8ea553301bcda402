import t from 'tap'
import { Cluster } from 'ioredis'
import { build, createDatabase, historyEntry, post, randomSessionId, sidCookie, testConfig, throwawayRedisCluster } from './helper.js'
import { sessionKey } from '../plugins/app/session/session-keys.js'

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

  // Ends of sessions on every master, in one turn: each is its own call, routed by its own keys.
  const ended = Promise.all(sessions.map((id, i) => one.sessionStore.endQuery(id, null, historyEntry(`end-${i}`, `SELECT ${i}`))))
  const late = await Promise.race([ended.then(() => false), new Promise((resolve) => setTimeout(resolve, 3000, true))])
  t.notOk(late, 'every end of the turn settled')
  // (The burst's own ends went out from both instances, so they may land before or after these.)
  const recorded = await Promise.all(sessions.map(async (id, i) => (await one.sessionStore.history(id)).some((e) => e.query_id === `end-${i}`)))
  t.strictSame(recorded, sessions.map(() => true), 'and reached its session\'s history')

  const history = await one.inject({ url: '/api/query/history', headers: { 'x-session-id': a } })
  t.strictSame(history.json().queries.map((q: { query: string }) => q.query), ['SELECT v FROM t', 'SELECT v FROM t'])

  // An export ticket issued on one instance downloads on the other; its address count's two
  // windows share a slot, so the script that reads both runs on the cluster.
  const issued = await post(one, '/api/query/export/ticket', { query: 'SELECT v FROM t', format: 'csv' }, { 'x-session-id': a })
  t.equal(issued.statusCode, 200, issued.body)
  const file = await two.inject({ url: issued.json().url, headers: { 'x-session-id': a } })
  t.equal(file.body, 'v\r\nA\r\n', 'the ticket downloads on the other instance')

  // Every key of a session lives in one hash slot.
  const cluster = new Cluster(nodes.map((node) => ({ host: node.split(':')[0]!, port: Number(node.split(':')[1]) })))
  t.teardown(() => cluster.quit())
  for (const id of [a, ...sessions.slice(0, 3)]) {
    const keys = (['born', 'context', 'history'] as const).map((what) => sessionKey(config.REDIS_KEY_PREFIX, id, what))
    const exists = await Promise.all(keys.map((key) => cluster.exists(key)))
    t.strictSame(exists, [1, 1, 1], 'the session\'s keys exist')
    const slots = new Set(await Promise.all(keys.map((key) => cluster.call('CLUSTER', 'KEYSLOT', key))))
    t.equal(slots.size, 1, `one slot for session ${id.slice(0, 12)}…`)
  }
  const slotsUsed = new Set(await Promise.all(sessions.map((id) => cluster.call('CLUSTER', 'KEYSLOT', `{${id}}`))))
  t.ok(slotsUsed.size > 1, 'sessions spread over several slots')

  // The rate limit counts in the cluster too, shared by the instances.
  const limitedConfig = testConfig({ REDIS_CLUSTER_NODES: nodes.join(','), RATE_LIMIT_MAX: '2' })
  const [three, four] = [await build(t, { config: limitedConfig }), await build(t, { config: limitedConfig })]
  const headers = { 'x-session-id': randomSessionId() }
  const statuses = []
  for (const app of [three, four, three]) statuses.push((await app.inject({ url: '/api/database/context', headers })).statusCode)
  t.strictSame(statuses, [200, 200, 429], 'rate limited across instances, on the cluster')
})

t.test('a cluster node goes away: its sessions answer 503 quickly, others go on, and it heals by itself', async (t) => {
  const cluster = await throwawayRedisCluster(t)
  const app = await build(t, { env: { REDIS_CLUSTER_NODES: cluster.nodes.join(',') } })
  const db = await createDatabase(t)
  const probe = new Cluster(cluster.nodes.map((node) => ({ host: node.split(':')[0]!, port: Number(node.split(':')[1]) })))
  t.teardown(() => probe.disconnect())
  // Sessions spread over the three masters; find which master serves each one's slot.
  const sessions = Array.from({ length: 24 }, () => randomSessionId())
  for (const id of sessions) await post(app, '/api/database/select', { database_name: db, session_id: id })
  const nodeOf = async (id: string) => {
    const slot = Number(await probe.call('CLUSTER', 'KEYSLOT', `{${id}}`))
    const slots = await probe.call('CLUSTER', 'SLOTS') as Array<[number, number, [string, number]]>
    const owner = slots.find(([from, to]) => slot >= from && slot <= to)!
    return cluster.nodes.indexOf(`${owner[2][0]}:${owner[2][1]}`)
  }
  const owners = await Promise.all(sessions.map(nodeOf))
  const victim = owners[0]!
  const onVictim = sessions.filter((_, i) => owners[i] === victim)
  const elsewhere = sessions.filter((_, i) => owners[i] !== victim)
  t.ok(onVictim.length > 0 && elsewhere.length > 0)

  await cluster.stop(victim)
  const started = Date.now()
  const down = await app.inject({ url: '/api/database/context', headers: { 'x-session-id': onVictim[0]! } })
  t.equal(down.statusCode, 503)
  t.equal(down.json().code, 'session_store_unavailable')
  t.ok(Date.now() - started < 3000, `answered in ${Date.now() - started} ms`)
  const alive = await app.inject({ url: '/api/database/context', headers: { 'x-session-id': elsewhere[0]! } })
  t.equal(alive.json().context_available, true, 'sessions on the other masters go on')

  await cluster.start(victim)
  let healed = false
  for (let i = 0; i < 50 && !healed; i++) {
    const res = await app.inject({ url: '/api/database/context', headers: { 'x-session-id': onVictim[0]! } })
    healed = res.statusCode === 200
    if (!healed) await new Promise((resolve) => setTimeout(resolve, 200))
  }
  t.ok(healed, 'the session store answers again once the node is back, without a restart')
})
