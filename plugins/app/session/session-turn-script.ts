import { countStep, redisScript, scriptConstants, touchStep, type RedisScript, type SessionLimits } from './session-scripts.js'

/**
 * The session calls of one turn of the event loop, in one script (./session-turn.ts sends them):
 * reading a context, beginning a query and ending one, counting a request, for any number of sessions, each call as
 * it would have run alone and in the order they were made. ARGV[1] is now (ms); then each call:
 *
 * 'g' (read the context)  ARGV: 'g', its key count (5, or 6 with the client address's count),
 *                         counted ('0', or the request's weight for its client address). Returns { count, count's TTL ms, context or false }.
 * 'b' (begin a query)     ARGV: 'b', its key count, counted, query id, when its claim lapses (ms),
 *                         slots per session. Returns { count, count's TTL ms, context or false,
 *                         1 claimed | 0 no context | -1 all slots taken }.
 * 'e' (end a query)       ARGV: 'e', 3, its id ('' when it claimed no slot), its history entry
 *                         (JSON; '' for none); its keys are the session's born, history and inflight.
 *                         Returns 1.
 * 'c' (count a request)   ARGV: 'c', its key count (1, or 2 with the client address's count), its
 *                         weight for the address; its keys are the session's rate count and the address's. Touches nothing
 *                         else of the session (which may not exist). Returns { count, its TTL ms }.
 *
 * 'g' and 'b' take a session's five keys and the address's sixth (./session-scripts.ts); a counted
 * call ('c' always is) over the address's limit returns COUNT's { false, TTL }. A call that fails (a key of the
 * wrong type) answers its error in its place: the other calls of the turn are not failed with it.
 * The script returns one answer per call, in order.
 *
 * A query's end needs no touch: its start refreshed the session moments ago. A history that
 * exists belongs to a live session and already has the session's TTL (touch sets it; the
 * session's keys expire together), so the entry is pushed onto it without reading anything else;
 * only a new history reads the session's remaining TTL. The list is cut back to HISTORY_LIMIT
 * once it is a tenth longer (reads take the newest entries only), not after every query.
 */
/** The keys' names in the functions below (not `born`: TOUCH names the birth time so). */
const KEY_NAMES = { born: 'kborn', context: 'kcontext', history: 'khistory', inflight: 'kinflight' }

const BODY = `
local NOW = ARGV[1]

local function get (kborn, kcontext, khistory, kinflight, rate, address, counted)
` + countStep('rate', 'address', 'counted') + `
  if current > RATE_MAX then return { current, window, false } end
` + touchStep(false, KEY_NAMES, 'NOW') + `
  if ttl == 0 then return { current, window, false } end
  return { current, window, redis.call('GET', kcontext) }
end

local function begin (kborn, kcontext, khistory, kinflight, rate, address, counted, id, lapse, slots)
` + countStep('rate', 'address', 'counted') + `
  if current > RATE_MAX then return { current, window, false, 0 } end
` + touchStep(false, KEY_NAMES, 'NOW') + `
  if ttl == 0 then return { current, window, false, 0 } end
  local found = redis.call('GET', kcontext)
  if not found then return { current, window, false, 0 } end
  local running = redis.call('ZCARD', kinflight)
  if running >= tonumber(slots) then
    -- All slots look taken: drop the claims that have lapsed (an instance that died mid-query).
    redis.call('ZREMRANGEBYSCORE', kinflight, '-inf', NOW)
    running = redis.call('ZCARD', kinflight)
    if running >= tonumber(slots) then return { current, window, found, -1 } end
  end
  redis.call('ZADD', kinflight, lapse, id)
  -- The set lives until its last claim lapses.
  if running == 0 or redis.call('PTTL', kinflight) < tonumber(lapse) - tonumber(NOW) then
    redis.call('PEXPIREAT', kinflight, lapse)
  end
  return { current, window, found, 1 }
end

local function tally (rate, address, weight)
` + countStep('rate', 'address', 'weight') + `
  return { current, window }
end

local SLACK_ENTRIES = math.max(1, math.floor(HISTORY_LIMIT / 10))

local function finish (born, history, inflight, id, entry)
  if id ~= '' then redis.call('ZREM', inflight, id) end
  if entry ~= '' and HISTORY_LIMIT > 0 then
    local length = redis.call('LPUSHX', history, entry)
    if length == 0 then
      local ttl = redis.call('PTTL', born)
      if ttl > 0 then
        redis.call('LPUSH', history, entry)
        redis.call('PEXPIRE', history, ttl)
      end
    elseif length > HISTORY_LIMIT + SLACK_ENTRIES then
      redis.call('LTRIM', history, 0, HISTORY_LIMIT - 1)
    end
  end
  return 1
end

local out, k, a = {}, 0, 2
while a <= #ARGV do
  local op, n = ARGV[a], tonumber(ARGV[a + 1])
  local ok, answer
  if op == 'e' then
    ok, answer = pcall(finish, KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], ARGV[a + 2], ARGV[a + 3])
    a = a + 4
  elseif op == 'c' then
    ok, answer = pcall(tally, KEYS[k + 1], n == 2 and KEYS[k + 2], ARGV[a + 2])
    a = a + 3
  else
    local address = false
    if n == 6 then address = KEYS[k + 6] end
    if op == 'g' then
      ok, answer = pcall(get, KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4], KEYS[k + 5], address, ARGV[a + 2])
      a = a + 3
    else
      ok, answer = pcall(begin, KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4], KEYS[k + 5], address, ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5])
      a = a + 6
    end
  end
  k = k + n
  if ok or type(answer) == 'table' then
    out[#out + 1] = answer
  else
    out[#out + 1] = redis.error_reply(tostring(answer))
  end
end
return out
`

/** The turn script for these settings (their constants written into it, as in ./session-scripts.ts). */
export function sessionTurnScript (limits: SessionLimits): RedisScript {
  return redisScript(scriptConstants(limits) + BODY)
}
