import { createHash } from 'node:crypto'

/**
 * Lua scripts for a session's keys in Redis. Each runs atomically in one round trip, and every
 * key of one session shares a hash tag, so they are legal in Redis Cluster too. A session's keys,
 * in the order a script takes them (its KEYS, or one call's within ./session-turn-script.ts):
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
  /** Queries kept in a session's history (HISTORY_LIMIT). */
  historyLimit: number
}

/**
 * The scripts share two steps, written into each body as inline Lua on the names the body gives
 * them (its KEYS and ARGV, or a function's parameters in ./session-turn-script.ts).
 *
 * COUNT sets `current` (the session's count in this window) and `window` (its TTL, ms); both 0
 * when the call is not counted (`counted` is '0'), so `current > RATE_MAX` says whether a counted
 * call is over the limit. Otherwise `counted` is the request's weight for its client address (./rate-keys.ts:
 * 1, and 1 more for each BODY_BYTES_PER_COUNT of its body). With an `address` key it first adds
 * that weight to the client address's count: over ADDRESS_MAX, the body returns { false, the address count's TTL }
 * there, and the session is neither counted nor touched. The session's own count grows by one.
 */
function count (key: string, by = '1'): string {
  return `
  current = redis.call('INCRBY', ${key}, ${by})
  if current == tonumber(${by}) then
    redis.call('PEXPIRE', ${key}, RATE_WINDOW_MS)
    window = RATE_WINDOW_MS
  else
    window = redis.call('PTTL', ${key})
  end
`
}
export function countStep (rate: string, address: string, counted: string): string {
  return `
local current, window = 0, 0
if ${counted} ~= '0' then
  if ${address} then${count(address, counted)}    if current > ADDRESS_MAX then return { false, window } end
  end${count(rate)}end
`
}

/** A session's first four keys, by the names a script body gives them. */
export interface SessionKeyNames { born: string, context: string, history: string, inflight: string }

/**
 * TOUCH sets `ttl`: the session's TTL after refreshing it, or 0 when the session is gone (or has
 * outlived its absolute lifetime, whose keys it then deletes). A session that does not exist is
 * created (its birth is `now`) when `create`.
 *
 * Refreshed less than 1 % of the idle TTL ago (SLACK): the keys are left as they are. Three writes
 * cost Redis more than this read, and replicas get none of them. (The keys were never set to
 * outlive the absolute lifetime, so there is nothing to check against it; nor to read otherwise.)
 * Near the absolute lifetime the TTL is shorter than the idle one: the same 1 % rule against it.
 */
export function touchStep (create: boolean, keys: SessionKeyNames, now: string): string {
  const { born, context, history, inflight } = keys
  const bornNow = create ? `\n  if not born then born = ${now} end` : ''
  return `
local ttl = redis.call('PTTL', ${born})
if ttl <= 0 or ttl < IDLE_MS - SLACK then
  local left = ttl
  local born = redis.call('GET', ${born})${bornNow}
  if not born then
    ttl = 0
  else
    ttl = math.min(IDLE_MS, tonumber(born) + MAX_AGE_MS - tonumber(${now}))
    if ttl <= 0 then
      redis.call('DEL', ${born}, ${context}, ${history}, ${inflight})
      ttl = 0
    elseif left > 0 and left <= ttl and left >= ttl - SLACK then
      ttl = left
    else
      redis.call('SET', ${born}, born, 'PX', ttl)
      redis.call('PEXPIRE', ${context}, ttl)
      redis.call('PEXPIRE', ${history}, ttl)
    end
  end
end
`
}

/** A single script's names: its KEYS and ARGV[1] (now, ms); its own arguments start at ARGV[2]. */
const KEYS = { born: 'KEYS[1]', context: 'KEYS[2]', history: 'KEYS[3]', inflight: 'KEYS[4]' }

/**
 * The session's operations that are not a hot request's (those go through one script per turn of
 * the event loop: ./session-turn-script.ts). ARGV[1] is now (ms).
 */
const SESSION_SCRIPT_BODIES = {
  /** ARGV[2] context JSON. Creates the session if needed. */
  sessionSetContext: touchStep(true, KEYS, 'ARGV[1]') + `
if ttl == 0 then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ttl)
return 1
`,

  /**
   * Not a session's: KEYS[1] is a client address's count in the rate limit (the key
   * @fastify/rate-limit counts that address's requests under). Adds ARGV[1] (the request's weight); returns { count, its TTL ms }.
   */
  addressCount: `
local current, window = 0, 0` + count('KEYS[1]', 'ARGV[1]') + `return { current, window }
`,

  /** ARGV[2] how many entries, newest first (none below 1: LRANGE 0 -1 would be every one). Refreshes the session and returns them. */
  sessionHistory: touchStep(false, KEYS, 'ARGV[1]') + `
local newest = tonumber(ARGV[2])
if ttl == 0 or newest < 1 then return {} end
return redis.call('LRANGE', KEYS[3], 0, newest - 1)
`
} as const

export type SessionScriptName = keyof typeof SESSION_SCRIPT_BODIES

/** A script as it is sent: EVALSHA by `sha`, or EVAL of `lua` when Redis does not have it yet. */
export interface RedisScript {
  lua: string
  sha: string
}

export function redisScript (lua: string): RedisScript {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') }
}

/**
 * The session scripts for these settings. The settings are constants of the scripts rather than
 * arguments of every call: a call then carries only what changes (the time, whether it counts),
 * which costs the service and Redis less per request. Instances with other settings simply run
 * other scripts (their own SHA-1s).
 */
export function sessionScripts (limits: SessionLimits): Record<SessionScriptName, RedisScript> {
  const constants = scriptConstants(limits)
  return Object.fromEntries(Object.entries(SESSION_SCRIPT_BODIES).map(([name, body]) => [name, redisScript(constants + body)])) as Record<SessionScriptName, RedisScript>
}

/** The settings as the Lua constants every session script starts with. */
export function scriptConstants (limits: SessionLimits): string {
  return Object.entries({
    IDLE_MS: limits.idleMs,
    SLACK: Math.floor(limits.idleMs / 100),
    MAX_AGE_MS: limits.maxAgeMs,
    RATE_MAX: limits.rateMax,
    RATE_WINDOW_MS: limits.rateWindowMs,
    ADDRESS_MAX: limits.addressRateMax,
    HISTORY_LIMIT: limits.historyLimit
  }).map(([name, value]) => {
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`session scripts: ${name} must be a whole number of at least 0 (got ${value})`)
    return `local ${name} = ${value}\n`
  }).join('')
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
