import t from 'tap'
import { sessionRateKey } from '../../../../plugins/app/session/rate-keys.js'
import { sessionScripts } from '../../../../plugins/app/session/session-scripts.js'
import { sessionTurnScript } from '../../../../plugins/app/session/session-turn-script.js'
import { sessionKeys as storeKeys } from '../../../../plugins/app/session/session-keys.js'
import { randomSessionId, randomSuffix, redisClient } from '../../../helper.js'
import type { Redis } from 'ioredis'

/**
 * The session scripts run in Redis directly, with the time given to them (ARGV[1]): what an
 * instance whose clock is ahead, or a session at the end of its lifetime, looks like to them.
 */
const limits = { idleMs: 60_000, maxAgeMs: 600_000, rateMax: 3, rateWindowMs: 60_000, addressRateMax: 5, historyLimit: 10 }
const scripts = sessionScripts(limits)
const turn = sessionTurnScript(limits)

/** One call of the turn script ('g' reads the context, 'b' begins a query), alone in its script call: its answer. */
async function one (redis: Redis, op: 'g' | 'b', keys: string[], now: number, counted: string, ...extra: Array<string | number>): Promise<unknown> {
  const [answer] = await redis.eval(turn.lua, keys.length, ...keys, now, op, keys.length, counted, ...extra) as unknown[]
  return answer
}

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
  t.equal(await redis.eval(scripts.sessionSetContext.lua, 4, ...keys.slice(0, 4), now, '{"database_name":"d"}'), 1)
  t.equal(await redis.get(keys[0]!), String(now), 'born now')
  for (const key of keys.slice(0, 2)) {
    const ttl = await redis.pttl(key)
    t.ok(ttl > limits.idleMs - 1000 && ttl <= limits.idleMs, `${key.split(':').at(-1)} TTL ${ttl}`)
  }
  t.strictSame(await one(redis, 'g', keys, now, '1'), [1, limits.rateWindowMs, '{"database_name":"d"}'])
})

t.test('reading a session never creates one', async (t) => {
  const redis = redisClient(t)
  const keys = sessionKeys()
  t.strictSame(await one(redis, 'g', keys, Date.now(), '0'), [0, 0, null])
  t.strictSame(await redis.eval(scripts.sessionHistory.lua, 4, ...keys.slice(0, 4), Date.now(), '10'), [])
  t.equal(await redis.exists(keys[0]!, keys[1]!), 0)
})

t.test('a history read of no entries answers none, and still refreshes the session', async (t) => {
  const redis = redisClient(t)
  const keys = sessionKeys()
  const now = Date.now()
  await redis.eval(scripts.sessionSetContext.lua, 4, ...keys.slice(0, 4), now, '{"database_name":"d"}')
  await redis.rpush(keys[2]!, 'second', 'first')
  for (const key of keys.slice(0, 2)) await redis.pexpire(key, 50_000) // an older TTL: the refresh is due
  t.strictSame(await redis.eval(scripts.sessionHistory.lua, 4, ...keys.slice(0, 4), now, '0'), [], 'not LRANGE 0 -1, every entry')
  t.ok(await redis.pttl(keys[1]!) > 50_000, 'the context\'s TTL refreshed')
  t.strictSame(await redis.eval(scripts.sessionHistory.lua, 4, ...keys.slice(0, 4), now, '1'), ['second'], 'one: the newest')
})

t.test('past its absolute lifetime (by the calling instance\'s clock) a session is deleted, not refreshed', async (t) => {
  const redis = redisClient(t)
  const keys = sessionKeys()
  const born = Date.now()
  await redis.eval(scripts.sessionSetContext.lua, 4, ...keys.slice(0, 4), born, '{"database_name":"d"}')
  await redis.rpush(keys[2]!, 'entry')
  await redis.pexpire(keys[2]!, 50_000) // an older TTL: the refresh is due
  await redis.pexpire(keys[0]!, 50_000)
  const later = born + limits.maxAgeMs + 1
  t.strictSame(await one(redis, 'g', keys, later, '0'), [0, 0, null], 'no context')
  t.equal(await redis.exists(keys[0]!, keys[1]!, keys[2]!), 0, 'born, context and history deleted')
  t.equal(await redis.eval(scripts.sessionSetContext.lua, 4, ...keys.slice(0, 4), later, '{"database_name":"e"}'), 1, 'a new session may start under the same id')
})

t.test('near its lifetime the TTL is what is left of it; refreshed within 1 % of the idle TTL, nothing is written', async (t) => {
  const redis = redisClient(t)
  const keys = sessionKeys()
  const born = Date.now()
  await redis.eval(scripts.sessionSetContext.lua, 4, ...keys.slice(0, 4), born, '{"database_name":"d"}')
  await redis.pexpire(keys[0]!, 10_000)
  await redis.pexpire(keys[1]!, 10_000)
  // 30 s of lifetime left by this clock: the keys get 30 s, not the idle minute.
  await one(redis, 'g', keys, born + limits.maxAgeMs - 30_000, '0')
  const ttl = await redis.pttl(keys[1]!)
  t.ok(ttl > 29_000 && ttl <= 30_000, `context TTL ${ttl}`)

  // Fresh (refreshed less than 1 % of the idle TTL ago): a later read leaves the TTLs alone.
  const keys2 = sessionKeys()
  await redis.eval(scripts.sessionSetContext.lua, 4, ...keys2.slice(0, 4), born, '{"database_name":"d"}')
  await redis.pexpire(keys2[1]!, 5_000) // would be raised by a refresh
  await one(redis, 'g', keys2, born, '0')
  t.ok(await redis.pttl(keys2[1]!) <= 5_000, 'not rewritten')
})

t.test('a counted read over the limit reads and refreshes nothing', async (t) => {
  const redis = redisClient(t)
  const keys = sessionKeys()
  const now = Date.now()
  await redis.eval(scripts.sessionSetContext.lua, 4, ...keys.slice(0, 4), now, '{"database_name":"d"}')
  for (let i = 1; i <= limits.rateMax; i++) {
    const [count, , context] = await one(redis, 'g', keys, now, '1') as [number, number, string | null]
    t.equal(count, i)
    t.equal(context, '{"database_name":"d"}')
  }
  await redis.pexpire(keys[1]!, 5_000)
  const [count, window, context] = await one(redis, 'g', keys, now + 30_000, '1') as [number, number, string | null]
  t.equal(count, limits.rateMax + 1)
  t.ok(window > 0 && window <= limits.rateWindowMs, `window ${window}`)
  t.equal(context, null, 'no context over the limit')
  t.ok(await redis.pttl(keys[1]!) <= 5_000, 'and no refresh')
  const [queryCount, , queryContext, claimed] = await one(redis, 'b', keys, now, '1', 'q1', now + 1000, '4') as [number, number, string | null, number]
  t.strictSame([queryCount, queryContext, claimed], [limits.rateMax + 2, null, 0], 'a query over the limit gets no context and claims no slot')
  t.equal(await redis.zcard(keys[3]!), 0)
})

t.test('a sixth key counts the client address first; over its limit the session is neither counted nor touched', async (t) => {
  const redis = redisClient(t)
  const keys = sessionKeys()
  const address = `${keys[4]!}-address`
  t.teardown(async () => { await redis.del(address) })
  const now = Date.now()
  await redis.eval(scripts.sessionSetContext.lua, 4, ...keys.slice(0, 4), now, '{"database_name":"d"}')
  await redis.set(address, String(limits.addressRateMax - 1), 'PX', 40_000)
  const [count, window, context] = await one(redis, 'g', [...keys, address], now, '1') as [number, number, string | null]
  t.strictSame([count, window, context], [1, limits.rateWindowMs, '{"database_name":"d"}'], 'the last request the address may make is served')
  t.equal(await redis.get(address), String(limits.addressRateMax), 'and counted against the address')
  await redis.pexpire(keys[1]!, 5_000)
  const over = await one(redis, 'g', [...keys, address], now + 30_000, '1') as [null, number]
  t.equal(over.length, 2)
  t.equal(over[0], null, 'over the address\'s limit: no count')
  t.ok(over[1] > 30_000 && over[1] <= 40_000, `the address count's TTL (${over[1]})`)
  const [queryCount, , queryContext, claimed] = await one(redis, 'b', [...keys, address], now, '1', 'q1', now + 1000, '4') as [null, number, string | null, number | undefined]
  t.strictSame([queryCount, queryContext, claimed], [null, undefined, undefined], 'a query gets nothing either')
  t.equal(await redis.get(keys[4]!), '1', 'the session counted only the request served')
  t.ok(await redis.pttl(keys[1]!) <= 5_000, 'and was not refreshed')
  t.equal(await redis.zcard(keys[3]!), 0, 'nor a slot claimed')
  t.strictSame(await one(redis, 'g', [...keys, address], now, '0'), [0, 0, '{"database_name":"d"}'], 'an uncounted call does not count the address')
  t.equal(await redis.get(address), String(limits.addressRateMax + 2))
})

t.test('the turn script: calls of several sessions in one script call, each answered in its place and in order', async (t) => {
  const redis = redisClient(t)
  const [a, b, c] = [sessionKeys(), sessionKeys(), sessionKeys()] as [string[], string[], string[]]
  const now = Date.now()
  await redis.eval(scripts.sessionSetContext.lua, 4, ...a.slice(0, 4), now, '{"database_name":"a"}')
  await redis.eval(scripts.sessionSetContext.lua, 4, ...b.slice(0, 4), now, '{"database_name":"b"}')
  const entry = '{"query_id":"qa","query":"SELECT 1"}'
  const answers = await redis.eval(turn.lua, 5 + 5 + 5 + 3 + 5,
    ...a, ...b, ...c, a[0]!, a[2]!, a[3]!, ...a,
    now,
    'b', 5, '1', 'qa', now + 10_000, '1', // a claims its one slot
    'g', 5, '0', // b's context, uncounted
    'g', 5, '1', // c has none
    'e', 3, 'qa', entry, // a's query ends, in the same call
    'b', 5, '1', 'qa2', now + 10_000, '1') as unknown[] // and a's slot is free again
  // A's second count reads its window's TTL, which can be a millisecond under the window.
  const [count, window, ...rest] = answers[4] as [number, number, string, number]
  t.ok(window > limits.rateWindowMs - 1000 && window <= limits.rateWindowMs, `a's window (${window} ms left)`)
  t.strictSame([...answers.slice(0, 4), [count, ...rest]], [
    [1, limits.rateWindowMs, '{"database_name":"a"}', 1],
    [0, 0, '{"database_name":"b"}'],
    [1, limits.rateWindowMs, null],
    1,
    [2, '{"database_name":"a"}', 1]
  ])
  t.strictSame(await redis.lrange(a[2]!, 0, -1), [entry], "the end is in a's history")
  t.strictSame(await redis.zrange(a[3]!, '0', '-1'), ['qa2'], 'and only the later query holds its slot')
  t.equal(await redis.exists(c[0]!), 0, 'reading c created nothing')
})

t.test('the turn script: a call that fails answers its error in its place; the others still run', async (t) => {
  const redis = redisClient(t)
  const [a, b] = [sessionKeys(), sessionKeys()] as [string[], string[]]
  const now = Date.now()
  await redis.eval(scripts.sessionSetContext.lua, 4, ...a.slice(0, 4), now, '{"database_name":"a"}')
  await redis.eval(scripts.sessionSetContext.lua, 4, ...b.slice(0, 4), now, '{"database_name":"b"}')
  await redis.set(a[3]!, 'not a sorted set', 'PX', 60_000)
  const answers = await redis.eval(turn.lua, 10, ...a, ...b, now,
    'b', 5, '0', 'qa', now + 10_000, '4',
    'b', 5, '0', 'qb', now + 10_000, '4') as unknown[]
  t.equal(answers.length, 2)
  t.ok(answers[0] instanceof Error && /WRONGTYPE/.test(answers[0].message), `a's call answers its error (${String(answers[0])})`)
  t.strictSame(answers[1], [0, 0, '{"database_name":"b"}', 1], "b's call is answered")
  t.strictSame(await redis.zrange(b[3]!, '0', '-1'), ['qb'])
})

t.test('the turn script: a history is cut back to HISTORY_LIMIT once it is a tenth longer', async (t) => {
  const redis = redisClient(t)
  const keys = sessionKeys()
  const now = Date.now()
  await redis.eval(scripts.sessionSetContext.lua, 4, ...keys.slice(0, 4), now, '{"database_name":"d"}')
  const ends = (from: number, count: number) => Array.from({ length: count }, (_, i) => ['e', '3', '', `entry ${from + i}`]).flat()
  const endKeys = (count: number) => Array.from({ length: count }, () => [keys[0]!, keys[2]!, keys[3]!]).flat()
  await redis.eval(turn.lua, 3 * 11, ...endKeys(11), now, ...ends(1, 11))
  t.equal(await redis.llen(keys[2]!), 11, 'a tenth over the limit is kept')
  await redis.eval(turn.lua, 3, ...endKeys(1), now, ...ends(12, 1))
  t.strictSame(await redis.lrange(keys[2]!, 0, -1), Array.from({ length: 10 }, (_, i) => `entry ${12 - i}`), 'past it, the newest ten remain')
  const ttl = await redis.pttl(keys[2]!)
  t.ok(ttl > limits.idleMs - 5000 && ttl <= limits.idleMs, `with the session's TTL (${ttl})`)
})

t.test('the turn script: a count counts the session\'s requests and the address\'s, and touches nothing else', async (t) => {
  const redis = redisClient(t)
  const keys = sessionKeys()
  const rate = keys[4]!
  const address = `${rate}-address`
  t.teardown(async () => { await redis.del(rate, address) })
  const now = Date.now()
  t.strictSame(await redis.eval(turn.lua, 1, rate, now, 'c', 1, 1), [[1, limits.rateWindowMs]], 'the session alone')
  await redis.set(address, String(limits.addressRateMax - 4), 'PX', 40_000)
  const [[second, window]] = await redis.eval(turn.lua, 2, rate, address, now, 'c', 2, 3) as [[number, number]]
  t.equal(second, 2, 'with the address: a request that weighs 3, the last the address may make, counted')
  t.equal(await redis.get(address), String(limits.addressRateMax - 1), 'the address counted by the request\'s weight')
  t.ok(window > limits.rateWindowMs - 1000 && window <= limits.rateWindowMs, `in the session's window (${window} ms left)`)
  const [[count, ttl]] = await redis.eval(turn.lua, 2, rate, address, now, 'c', 2, 2) as [[null, number]]
  t.equal(count, null, 'over the address\'s limit')
  t.ok(ttl > 30_000 && ttl <= 40_000, `with the address count's TTL (${ttl})`)
  t.equal(await redis.get(rate), '2', 'and the session not counted')
  await redis.del(address)
  const [[third]] = await redis.eval(turn.lua, 2, rate, address, now, 'c', 2, 5) as [[number]]
  t.equal(third, 3, 'a new window')
  t.equal(await redis.get(address), '5', 'begins at the request\'s weight')
  t.ok(await redis.pttl(address) > 0, 'and expires')
  t.equal(await redis.exists(keys[0]!, keys[1]!), 0, 'no session was made')
})
