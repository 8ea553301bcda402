import { createHash } from 'node:crypto'

/**
 * Lua scripts for a session's keys in Redis. Each runs atomically in one round trip, and every
 * key of one session shares a hash tag, so they are legal in Redis Cluster too.
 *
 * KEYS[1] born     the session's creation time (ms); it exists exactly while the session does
 * KEYS[2] context  the selected database (JSON)
 * KEYS[3] history  recent queries (list, newest first)
 * KEYS[4] inflight queries running now (sorted set: query id scored by when its claim lapses)
 * KEYS[5] rate     the session's request count in the rate limit's window, on the key and with the
 *                  arithmetic of @fastify/rate-limit's Redis store, so both count one budget
 * KEYS[6] address  (a counted call, when given) the client address's request count
 *                  (RATE_LIMIT_ADDRESS_MAX), counted first: the request's one round trip does both
 *                  counts. Not a session key: given only where one script may span both (not on a
 *                  Redis Cluster), and the call then names its number of keys.
 *
 * Every key's TTL is the idle TTL, but never past the session's absolute lifetime
 * (born + max age): Redis itself forgets the whole session when either runs out. A use refreshes
 * the TTLs unless they were refreshed less than 1 % of the idle TTL ago (so an idle session ends
 * between 99 % and 100 % of SESSION_TTL_SECONDS after its last use).
 */

/** The service's settings the scripts apply, written into them as constants (see `sessionScripts`). */
export interface SessionLimits {
  idleMs: number
  maxAgeMs: number
  /** Requests allowed per rate-limit window, and the window. */
  rateMax: number
  rateWindowMs: number
  /** Requests allowed per window from one client address (RATE_LIMIT_ADDRESS_MAX). */
  addressRateMax: number
}

/**
 * The scripts share two steps, written into each script's body as inline Lua rather than as local
 * functions: a script's body runs on every call, so a `local function` would be a new closure
 * (with its upvalues) on every call (docs/performance.md has the difference). ARGV[1] is now
 * (ms), ARGV[2] '1' when this call is a counted request; a script's own arguments start at ARGV[3].
 *
 * COUNT sets `current` (the session's count in this window) and `window` (its TTL, ms); both 0
 * when the call is not counted, so `current > RATE_MAX` says whether a counted call is over the limit.
 * With KEYS[6] it first counts the client address: over ADDRESS_MAX, the script returns
 * { false, the address count's TTL } there, and the session is neither counted nor touched.
 */
function count (key: string): string {
  return `
  current = redis.call('INCR', ${key})
  if current == 1 then
    redis.call('PEXPIRE', ${key}, RATE_WINDOW_MS)
    window = RATE_WINDOW_MS
  else
    window = redis.call('PTTL', ${key})
  end
`
}
const COUNT = `
local current, window = 0, 0
if ARGV[2] == '1' then
  if KEYS[6] then${count('KEYS[6]')}    if current > ADDRESS_MAX then return { false, window } end
  end${count('KEYS[5]')}end
`

/**
 * TOUCH sets `ttl`: the session's TTL after refreshing it, or 0 when the session is gone (or has
 * outlived its absolute lifetime, whose keys it then deletes). A session that does not exist is
 * created (its birth is now) when `create`.
 *
 * Refreshed less than 1 % of the idle TTL ago (SLACK): the keys are left as they are. Three writes
 * cost Redis more than this read, and replicas get none of them. (The keys were never set to
 * outlive the absolute lifetime, so there is nothing to check against it; nor to read otherwise.)
 * Near the absolute lifetime the TTL is shorter than the idle one: the same 1 % rule against it.
 */
function touch (create: boolean): string {
  return `
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 or ttl < IDLE_MS - SLACK then
  local left = ttl
  local born = redis.call('GET', KEYS[1])${create ? '\n  if not born then born = ARGV[1] end' : ''}
  if not born then
    ttl = 0
  else
    ttl = math.min(IDLE_MS, tonumber(born) + MAX_AGE_MS - tonumber(ARGV[1]))
    if ttl <= 0 then
      redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
      ttl = 0
    elseif left > 0 and left <= ttl and left >= ttl - SLACK then
      ttl = left
    else
      redis.call('SET', KEYS[1], born, 'PX', ttl)
      redis.call('PEXPIRE', KEYS[2], ttl)
      redis.call('PEXPIRE', KEYS[3], ttl)
    end
  end
end
`
}

const SESSION_SCRIPT_BODIES = {
  /**
   * Counts the request; unless it is over the limit, refreshes the session and reads its context.
   * Returns { count, count's TTL ms, context or false } (or COUNT's { false, TTL } for the address).
   */
  sessionGetContext: COUNT + `
if current > RATE_MAX then return { current, window, false } end
` + touch(false) + `
if ttl == 0 then return { current, window, false } end
return { current, window, redis.call('GET', KEYS[2]) }
`,

  /** ARGV[3] context JSON. Creates the session if needed. */
  sessionSetContext: touch(true) + `
if ttl == 0 then return 0 end
redis.call('SET', KEYS[2], ARGV[3], 'PX', ttl)
return 1
`,

  /**
   * Counts the request; unless it is over the limit, refreshes the session, reads its context
   * and, if there is one, claims a query slot.
   * ARGV[3] query id, ARGV[4] when the claim lapses (ms), ARGV[5] slots per session.
   * Returns { count, count's TTL ms, context or false, 1 claimed | 0 no context | -1 all slots taken }
   * (or COUNT's { false, TTL } for the address).
   */
  sessionBeginQuery: COUNT + `
if current > RATE_MAX then return { current, window, false, 0 } end
` + touch(false) + `
if ttl == 0 then return { current, window, false, 0 } end
local context = redis.call('GET', KEYS[2])
if not context then return { current, window, false, 0 } end
local running = redis.call('ZCARD', KEYS[4])
if running >= tonumber(ARGV[5]) then
  -- All slots look taken: drop the claims that have lapsed (an instance that died mid-query).
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', ARGV[1])
  running = redis.call('ZCARD', KEYS[4])
  if running >= tonumber(ARGV[5]) then return { current, window, context, -1 } end
end
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[3])
-- The set lives until its last claim lapses.
if running == 0 or redis.call('PTTL', KEYS[4]) < tonumber(ARGV[4]) - tonumber(ARGV[1]) then
  redis.call('PEXPIREAT', KEYS[4], ARGV[4])
end
return { current, window, context, 1 }
`,

  /**
   * Not a session's: KEYS[1] is a client address's count in the rate limit (the key
   * @fastify/rate-limit counts that address's requests under). Counts one; returns { count, its TTL ms }.
   */
  addressCount: `
local current, window = 0, 0` + count('KEYS[1]') + `return { current, window }
`,

  /** ARGV[3] history length. Refreshes the session and returns its history. */
  sessionHistory: touch(false) + `
if ttl == 0 then return {} end
return redis.call('LRANGE', KEYS[3], 0, tonumber(ARGV[3]) - 1)
`
} as const

export type SessionScriptName = keyof typeof SESSION_SCRIPT_BODIES

/** A script as it is sent: EVALSHA by `sha`, or EVAL of `lua` when Redis does not have it yet. */
export interface RedisScript {
  lua: string
  sha: string
}

function redisScript (lua: string): RedisScript {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') }
}

/**
 * The session scripts for these settings. The settings are constants of the scripts rather than
 * arguments of every call: a call then carries only what changes (the time, whether it counts),
 * which costs the service and Redis less per request. Instances with other settings simply run
 * other scripts (their own SHA-1s).
 */
export function sessionScripts (limits: SessionLimits): Record<SessionScriptName, RedisScript> {
  const constants = Object.entries({
    IDLE_MS: limits.idleMs,
    SLACK: Math.floor(limits.idleMs / 100),
    MAX_AGE_MS: limits.maxAgeMs,
    RATE_MAX: limits.rateMax,
    RATE_WINDOW_MS: limits.rateWindowMs,
    ADDRESS_MAX: limits.addressRateMax
  }).map(([name, value]) => {
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`session scripts: ${name} must be a whole number of at least 0 (got ${value})`)
    return `local ${name} = ${value}\n`
  }).join('')
  return Object.fromEntries(Object.entries(SESSION_SCRIPT_BODIES).map(([name, body]) => [name, redisScript(constants + body)])) as Record<SessionScriptName, RedisScript>
}

/**
 * Counts the requests of several client addresses at once (plugins/app/session/session-store.ts sends the
 * addresses of one turn of the event loop in one call): KEYS are their counts' keys, ARGV how many
 * requests each had. Returns { count, its TTL ms } for each key, in order, flat. The window is a
 * constant of the script (RATE_WINDOW_MS), as in the session scripts.
 */
export function addressCountsScript (windowMs: number): RedisScript {
  if (!Number.isSafeInteger(windowMs) || windowMs < 1) throw new Error(`address counts: the window must be a whole number of ms (got ${windowMs})`)
  return redisScript(`
local out = {}
for i = 1, #KEYS do
  local n = tonumber(ARGV[i])
  local current = redis.call('INCRBY', KEYS[i], n)
  local window
  if current == n then
    redis.call('PEXPIRE', KEYS[i], ${windowMs})
    window = ${windowMs}
  else
    window = redis.call('PTTL', KEYS[i])
  end
  out[2 * i - 1] = current
  out[2 * i] = window
end
return out
`)
}

/**
 * Ends queries, of one session or of several (plugins/app/session/session-store.ts sends every query that
 * ended during one turn of the event loop in one call): releases each one's slot and records it in
 * its session's history. Three keys per query: KEYS[3i-2] born, KEYS[3i-1] history, KEYS[3i]
 * inflight; ARGV[1] history length, then two arguments per query: ARGV[2i] its id ('' when it
 * claimed no slot), ARGV[2i+1] its history entry (JSON; '' for none). Returns the number of
 * queries ended.
 *
 * The query's start refreshed the session moments ago, so there is nothing to touch. A history
 * that exists belongs to a live session and already has the session's TTL (touch sets it; the
 * session's keys expire together), so the entry is pushed onto it without reading anything else;
 * only a new history reads the session's remaining TTL. The list is cut back to the history length
 * once it is a tenth longer (reads take the newest entries only), not after every query.
 */
export const END_QUERIES_SCRIPT = redisScript(`
local limit = tonumber(ARGV[1])
local slack = math.max(1, math.floor(limit / 10))
local ended = #KEYS / 3
for i = 1, ended do
  local born, history, inflight = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  local id, entry = ARGV[2 * i], ARGV[2 * i + 1]
  if id ~= '' then redis.call('ZREM', inflight, id) end
  if entry ~= '' and limit > 0 then
    local length = redis.call('LPUSHX', history, entry)
    if length == 0 then
      local ttl = redis.call('PTTL', born)
      if ttl > 0 then
        redis.call('LPUSH', history, entry)
        redis.call('PEXPIRE', history, ttl)
      end
    elseif length > limit + slack then
      redis.call('LTRIM', history, 0, limit - 1)
    end
  end
end
return ended
`)
