import t from 'tap'
import { sessionRateKey } from '../../../../plugins/app/session/rate-keys.js'
import { sessionScripts } from '../../../../plugins/app/session/session-scripts.js'
import { sessionKeys as storeKeys } from '../../../../plugins/app/session/session-keys.js'
import { randomSessionId, randomSuffix, redisClient } from '../../../helper.js'

/**
 * The session scripts run in Redis directly, with the time given to them (ARGV[1]): what an
 * instance whose clock is ahead, or a session at the end of its lifetime, looks like to them.
 */
const limits = { idleMs: 60_000, maxAgeMs: 600_000, rateMax: 3, rateWindowMs: 60_000, addressRateMax: 5 }
const scripts = sessionScripts(limits)

/** A new session's five keys, as the session store passes them to its scripts. */
function sessionKeys () {
  const prefix = `sqlgate-test-${randomSuffix()}:`
  const id = randomSessionId()
  return [...storeKeys(prefix, id), sessionRateKey(prefix, id)]
}

t.test('a new session: created by setting its context, with the idle TTL on its keys', async (t) => {
  const redis = redisClient(t)
  const keys = sessionKeys()
  const now = Date.now()
  t.equal(await redis.eval(scripts.sessionSetContext.lua, 5, ...keys, now, '0', '{"database_name":"d"}'), 1)
  t.equal(await redis.get(keys[0]!), String(now), 'born now')
  for (const key of keys.slice(0, 2)) {
    const ttl = await redis.pttl(key)
    t.ok(ttl > limits.idleMs - 1000 && ttl <= limits.idleMs, `${key.split(':').at(-1)} TTL ${ttl}`)
  }
  t.strictSame(await redis.eval(scripts.sessionGetContext.lua, 5, ...keys, now, '1'), [1, limits.rateWindowMs, '{"database_name":"d"}'])
})

t.test('reading a session never creates one', async (t) => {
  const redis = redisClient(t)
  const keys = sessionKeys()
  t.strictSame(await redis.eval(scripts.sessionGetContext.lua, 5, ...keys, Date.now(), '0'), [0, 0, null])
  t.strictSame(await redis.eval(scripts.sessionHistory.lua, 5, ...keys, Date.now(), '0', '10'), [])
  t.equal(await redis.exists(keys[0]!, keys[1]!), 0)
})

t.test('past its absolute lifetime (by the calling instance\'s clock) a session is deleted, not refreshed', async (t) => {
  const redis = redisClient(t)
  const keys = sessionKeys()
  const born = Date.now()
  await redis.eval(scripts.sessionSetContext.lua, 5, ...keys, born, '0', '{"database_name":"d"}')
  await redis.rpush(keys[2]!, 'entry')
  await redis.pexpire(keys[2]!, 50_000) // an older TTL: the refresh is due
  await redis.pexpire(keys[0]!, 50_000)
  const later = born + limits.maxAgeMs + 1
  t.strictSame(await redis.eval(scripts.sessionGetContext.lua, 5, ...keys, later, '0'), [0, 0, null], 'no context')
  t.equal(await redis.exists(keys[0]!, keys[1]!, keys[2]!), 0, 'born, context and history deleted')
  t.equal(await redis.eval(scripts.sessionSetContext.lua, 5, ...keys, later, '0', '{"database_name":"e"}'), 1, 'a new session may start under the same id')
})

t.test('near its lifetime the TTL is what is left of it; refreshed within 1 % of the idle TTL, nothing is written', async (t) => {
  const redis = redisClient(t)
  const keys = sessionKeys()
  const born = Date.now()
  await redis.eval(scripts.sessionSetContext.lua, 5, ...keys, born, '0', '{"database_name":"d"}')
  await redis.pexpire(keys[0]!, 10_000)
  await redis.pexpire(keys[1]!, 10_000)
  // 30 s of lifetime left by this clock: the keys get 30 s, not the idle minute.
  await redis.eval(scripts.sessionGetContext.lua, 5, ...keys, born + limits.maxAgeMs - 30_000, '0')
  const ttl = await redis.pttl(keys[1]!)
  t.ok(ttl > 29_000 && ttl <= 30_000, `context TTL ${ttl}`)

  // Fresh (refreshed less than 1 % of the idle TTL ago): a later read leaves the TTLs alone.
  const keys2 = sessionKeys()
  await redis.eval(scripts.sessionSetContext.lua, 5, ...keys2, born, '0', '{"database_name":"d"}')
  await redis.pexpire(keys2[1]!, 5_000) // would be raised by a refresh
  await redis.eval(scripts.sessionGetContext.lua, 5, ...keys2, born, '0')
  t.ok(await redis.pttl(keys2[1]!) <= 5_000, 'not rewritten')
})

t.test('a counted read over the limit reads and refreshes nothing', async (t) => {
  const redis = redisClient(t)
  const keys = sessionKeys()
  const now = Date.now()
  await redis.eval(scripts.sessionSetContext.lua, 5, ...keys, now, '0', '{"database_name":"d"}')
  for (let i = 1; i <= limits.rateMax; i++) {
    const [count, , context] = await redis.eval(scripts.sessionGetContext.lua, 5, ...keys, now, '1') as [number, number, string | null]
    t.equal(count, i)
    t.equal(context, '{"database_name":"d"}')
  }
  await redis.pexpire(keys[1]!, 5_000)
  const [count, window, context] = await redis.eval(scripts.sessionGetContext.lua, 5, ...keys, now + 30_000, '1') as [number, number, string | null]
  t.equal(count, limits.rateMax + 1)
  t.ok(window > 0 && window <= limits.rateWindowMs, `window ${window}`)
  t.equal(context, null, 'no context over the limit')
  t.ok(await redis.pttl(keys[1]!) <= 5_000, 'and no refresh')
  const [queryCount, , queryContext, claimed] = await redis.eval(scripts.sessionBeginQuery.lua, 5, ...keys, now, '1', 'q1', now + 1000, '4') as [number, number, string | null, number]
  t.strictSame([queryCount, queryContext, claimed], [limits.rateMax + 2, null, 0], 'a query over the limit gets no context and claims no slot')
  t.equal(await redis.zcard(keys[3]!), 0)
})

t.test('a sixth key counts the client address first; over its limit the session is neither counted nor touched', async (t) => {
  const redis = redisClient(t)
  const keys = sessionKeys()
  const address = `${keys[4]!}-address`
  t.teardown(async () => { await redis.del(address) })
  const now = Date.now()
  await redis.eval(scripts.sessionSetContext.lua, 5, ...keys, now, '0', '{"database_name":"d"}')
  await redis.set(address, String(limits.addressRateMax - 1), 'PX', 40_000)
  const [count, window, context] = await redis.eval(scripts.sessionGetContext.lua, 6, ...keys, address, now, '1') as [number, number, string | null]
  t.strictSame([count, window, context], [1, limits.rateWindowMs, '{"database_name":"d"}'], 'the last request the address may make is served')
  t.equal(await redis.get(address), String(limits.addressRateMax), 'and counted against the address')
  await redis.pexpire(keys[1]!, 5_000)
  const over = await redis.eval(scripts.sessionGetContext.lua, 6, ...keys, address, now + 30_000, '1') as [null, number]
  t.equal(over.length, 2)
  t.equal(over[0], null, 'over the address\'s limit: no count')
  t.ok(over[1] > 30_000 && over[1] <= 40_000, `the address count's TTL (${over[1]})`)
  const [queryCount, , queryContext, claimed] = await redis.eval(scripts.sessionBeginQuery.lua, 6, ...keys, address, now, '1', 'q1', now + 1000, '4') as [null, number, string | null, number | undefined]
  t.strictSame([queryCount, queryContext, claimed], [null, undefined, undefined], 'a query gets nothing either')
  t.equal(await redis.get(keys[4]!), '1', 'the session counted only the request served')
  t.ok(await redis.pttl(keys[1]!) <= 5_000, 'and was not refreshed')
  t.equal(await redis.zcard(keys[3]!), 0, 'nor a slot claimed')
  t.strictSame(await redis.eval(scripts.sessionGetContext.lua, 6, ...keys, address, now, '0'), [0, 0, '{"database_name":"d"}'], 'an uncounted call does not count the address')
  t.equal(await redis.get(address), String(limits.addressRateMax + 2))
})
