import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import { AppError, databaseContextMissing, rateLimited, sessionStoreUnavailable } from '../errors/errors.js'
import { jsonStringBytes } from '../query/answer-size.js'
import { memoize } from '../memo.js'
import { addressRateKey, sessionRateKey, type AddressBudget, type RateTicket } from './rate-keys.js'
import { historyEntryJson } from '../query/query-json.js'
import { addressCountsScript, END_QUERIES_SCRIPT, sessionScripts, type RedisScript, type SessionScriptName } from './session-scripts.js'
import type { DatabaseContext } from '../../../schemas/database.js'
import type { QueryHistoryEntry } from '../../../schemas/query.js'

declare module 'fastify' {
  interface FastifyInstance {
    sessionStore: ReturnType<typeof createSessionStore>
  }
}

export interface SessionStoreOptions {
  prefix: string
  ttlSeconds: number
  maxAgeSeconds: number
  historyLimit: number
  maxConcurrentQueries: number
  /** The rate limit a counted request (one with a ticket) is counted against. */
  rateLimitMax: number
  rateLimitWindowMs: number
  /** Requests per window of one client address (RATE_LIMIT_ADDRESS_MAX). */
  addressRateLimitMax: number
}

/**
 * A statement is kept in the history cut to this many bytes of its JSON (escapes counted), so
 * one session's history holds at most about (HISTORY_LIMIT + a tenth) × 2.3 kB, whatever it runs.
 */
export const HISTORY_QUERY_MAX_BYTES = 2048
/**
 * Queries ended by one script call at most: the script runs atomically, so a turn that ends more
 * queries sends them in several calls rather than holding Redis (and its memory) with one long one.
 */
export const MAX_ENDS_PER_CALL = 64

/**
 * Where a session lives in Redis. Every key holds the session id inside a hash tag, so all keys
 * of one session share a Redis Cluster slot and the scripts that touch several stay legal.
 */
export function sessionKeys (prefix: string, sessionId: string) {
  return [sessionKey(prefix, sessionId, 'born'), sessionKey(prefix, sessionId, 'context'), sessionKey(prefix, sessionId, 'history'), sessionKey(prefix, sessionId, 'inflight')] as const
}

/** What a session keeps in Redis: when it began, its context, its history, its queries in flight. */
export type SessionPart = 'born' | 'context' | 'history' | 'inflight'

/** The key of one part of a session. */
export function sessionKey (prefix: string, sessionId: string, part: SessionPart): string {
  return `${prefix}session:{${sessionId}}:${part}`
}

/** Session ids whose keys are remembered. */
const KEYS_MEMO_SIZE = 1000

/**
 * A session's state in Redis, and nothing of it in process memory: any instance serves any
 * session. Each operation is one round trip (a Lua script), refreshes the idle TTL of all the
 * session's keys and never extends them past the session's absolute lifetime.
 */
export function createSessionStore (redis: Redis, options: SessionStoreOptions) {
  const ttlMs = options.ttlSeconds * 1000
  const scripts = sessionScripts({
    idleMs: ttlMs,
    maxAgeMs: options.maxAgeSeconds * 1000,
    rateMax: options.rateLimitMax,
    rateWindowMs: options.rateLimitWindowMs
  })

  /** Any Redis failure is 503 session_store_unavailable to the client (the cause goes to the log). */
  function unavailable (err: unknown): never {
    const mapped = sessionStoreUnavailable()
    mapped.cause = err
    throw mapped
  }

  async function guarded<T> (work: () => Promise<T>): Promise<T> {
    try {
      return await work()
    } catch (err) {
      unavailable(err)
    }
  }

  /** A session's five keys for its scripts, and the three (born, history, inflight) that end its queries. */
  interface SessionKeys { keys: string[], ending: string[] }
  const sessionScriptKeys = memoize(KEYS_MEMO_SIZE, (sessionId): SessionKeys => {
    const keys = [...sessionKeys(options.prefix, sessionId), sessionRateKey(options.prefix, sessionId)]
    return { keys, ending: [keys[0]!, keys[2]!, keys[3]!] }
  })

  // Each script as a command of the client's own (ioredis sends it by its SHA-1, and in full when
  // Redis does not have it yet: a new server, a failover, SCRIPT FLUSH). Its name carries the
  // SHA-1: instances with other settings in one process define other scripts.
  type ScriptCall = (...args: Array<string | number>) => Promise<unknown>
  const commands = redis as unknown as Record<string, ScriptCall>
  function define (script: RedisScript, numberOfKeys: number | null): ScriptCall {
    const name = `sqlgate_${script.sha}`
    if (typeof commands[name] !== 'function') redis.defineCommand(name, { lua: script.lua, ...(numberOfKeys === null ? {} : { numberOfKeys }) })
    return (...args) => commands[name]!(...args)
  }
  const calls = Object.fromEntries(Object.entries(scripts).map(([name, script]) =>
    [name, define(script, name === 'addressCount' ? 1 : 5)])) as Record<SessionScriptName, ScriptCall>
  const endQueries = define(END_QUERIES_SCRIPT, null)
  const addressCounts = define(addressCountsScript(options.rateLimitWindowMs), null)

  /** Runs a script with its keys and arguments; any Redis failure is 503 session_store_unavailable. */
  function evalScript (call: ScriptCall, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    batchTurn()
    return call(...keys, ...args).catch(unavailable)
  }

  /**
   * The session commands of one turn of the event loop (many requests' worth under load) leave in
   * one write: the connection's socket is corked at the turn's first and uncorked once the turn's
   * I/O callbacks have run. Redis then reads them in one go too, at half the CPU per request of a
   * write each. (A Cluster spreads them over several connections: each command leaves at once.)
   */
  const stream = (redis as { stream?: { cork: () => void, uncork: () => void } }).stream
  let corked = false
  const uncork = (): void => {
    corked = false
    stream?.uncork()
  }
  function batchTurn (): void {
    if (corked || stream === undefined || redis.status !== 'ready') return
    corked = true
    stream.cork()
    setImmediate(uncork)
  }

  /**
   * Queries that ended during this turn of the event loop, released and recorded together by one
   * script call when the turn's I/O is done (setImmediate) instead of one round trip each: under
   * load, several end per turn, and each round trip costs the service and Redis alike. Nothing
   * waits for it (the answer has gone out), and it leaves Redis no later than a command sent at
   * once would have: the connection's writes go out at the end of the turn too (batchWrites).
   * Any other operation on a session with a pending end sends the batch first, so Redis still sees
   * each session's commands in the order they were made (a query's end before the same session's
   * next query, or its history read). A Redis Cluster spreads sessions over slots that one script
   * cannot span: there each end is sent at once.
   */
  const batching = (redis as { isCluster?: boolean }).isCluster !== true
  /** `args` are the end script's: the history length, then two per query. */
  interface EndBatch { keys: string[], args: Array<string | number>, sessions: Set<string>, done: Promise<void>, settle: (err?: unknown) => void }
  let batch: EndBatch | null = null

  function newBatch (): EndBatch {
    let settle!: (err?: unknown) => void
    const done = new Promise<void>((resolve, reject) => {
      settle = (err) => { if (err === undefined) resolve(); else reject(err) }
    })
    return { keys: [], args: [options.historyLimit], sessions: new Set(), done, settle }
  }

  function sendEnds (): void {
    const ending = batch
    if (ending === null) return
    batch = null
    evalScript(endQueries, [String(ending.keys.length), ...ending.keys], ending.args)
      .then(() => ending.settle(), ending.settle)
  }

  /**
   * The requests of each client address counted during this turn of the event loop, sent together
   * by one script call when the turn's I/O is done: under load most requests of a turn come from
   * few addresses, and each of their counts is one INCRBY. Each request learns its own place in
   * the count (the total minus what came after it), so the limit is exactly that of one call each.
   */
  interface AddressWaiter { position: number, max: number, resolve: () => void, reject: (err: unknown) => void }
  let addressBatch: Map<string, { n: number, waiters: AddressWaiter[] }> | null = null

  function sendAddressCounts (): void {
    const counting = addressBatch
    if (counting === null) return
    addressBatch = null
    const keys = [...counting.keys()]
    evalScript(addressCounts, [String(keys.length), ...keys], keys.map((key) => counting.get(key)!.n)).then((reply) => {
      const totals = reply as number[]
      keys.forEach((key, i) => {
        const { n, waiters } = counting.get(key)!
        for (const waiter of waiters) {
          const current = totals[2 * i]! - n + waiter.position
          if (current > waiter.max) waiter.reject(rateLimited(waiter.max, options.rateLimitWindowMs, totals[2 * i + 1]!))
          else waiter.resolve()
        }
      })
    }, (err: unknown) => { for (const { waiters } of counting.values()) for (const waiter of waiters) waiter.reject(err) })
  }

  /** Before any other operation on `sessionId`: its pending ends go first. */
  function inOrder (sessionId: string): void {
    if (batch !== null && batch.sessions.has(sessionId)) sendEnds()
  }

  /** A session script, on the session's five keys; with a ticket, the call counts the request. */
  function run (script: SessionScriptName, sessionId: string, ticket: RateTicket | null, ...extra: Array<string | number>): Promise<unknown> {
    inOrder(sessionId)
    return evalScript(calls[script], sessionScriptKeys(sessionId).keys, [Date.now(), ticket === null ? '0' : '1', ...extra])
  }

  /** Records the count a counted script returned; over the limit, the request ends here with 429. */
  function counted (ticket: RateTicket | null, current: number, ttlMs: number): void {
    if (ticket === null) return
    ticket.counted = { current, ttlMs }
    if (current > options.rateLimitMax) throw rateLimited(options.rateLimitMax, options.rateLimitWindowMs, ttlMs)
  }

  return {
    /**
     * The session's context, or null. Refreshes the session; does not create one. With a ticket,
     * counts the request first (429 rate_limited over the limit).
     */
    async getContext (sessionId: string, ticket: RateTicket | null = null): Promise<DatabaseContext | null> {
      const [current, ttl, raw] = await run('sessionGetContext', sessionId, ticket) as [number, number, string | null]
      counted(ticket, current, ttl)
      return storedContext(raw)
    },

    /** The context, or 409 database_context_missing telling the client to select a database. */
    async requireContext (sessionId: string, ticket: RateTicket | null = null): Promise<DatabaseContext> {
      const context = await this.getContext(sessionId, ticket)
      if (context === null) throw databaseContextMissing(sessionId)
      return context
    },

    /**
     * Stores the context, creating the session if it is new. A session found past its lifetime
     * (by this instance's clock: another's, behind it, set its keys) is ended by the script, which
     * then stores nothing; the second call begins it anew, so the context answered is the one stored.
     */
    async setContext (sessionId: string, context: DatabaseContext): Promise<void> {
      const json = JSON.stringify(context)
      if (await run('sessionSetContext', sessionId, null, json) === 1) return
      if (await run('sessionSetContext', sessionId, null, json) !== 1) unavailable(new Error('the session context was not stored'))
    },

    /** Removes the context; true when there was one. */
    async clearContext (sessionId: string): Promise<boolean> {
      inOrder(sessionId)
      return await guarded(() => redis.del(sessionKeys(options.prefix, sessionId)[1])) > 0
    },

    /**
     * The context, and a claim on one of the session's query slots until `claimMs` from now
     * (or until endQuery). 409 without a context; 429 when all slots are taken. With a ticket,
     * counts the request first (429 rate_limited over the limit, and no claim).
     */
    async beginQuery (sessionId: string, queryId: string, claimMs: number, ticket: RateTicket | null = null): Promise<DatabaseContext> {
      const [current, ttl, raw, claimed] = await run('sessionBeginQuery', sessionId, ticket,
        queryId, Date.now() + claimMs, options.maxConcurrentQueries) as [number, number, string | null, number]
      counted(ticket, current, ttl)
      const context = storedContext(raw)
      if (context === null || claimed === 0) {
        // Redis found a context and claimed a slot, but what it holds is not a context: no query
        // runs, so the slot is given back now rather than held until the claim lapses.
        if (claimed === 1) this.endQuery(sessionId, queryId, null).catch(() => {})
        throw databaseContextMissing(sessionId)
      }
      if (claimed === -1) {
        throw new AppError('too_many_concurrent_queries',
          `This session already has ${options.maxConcurrentQueries} queries running; wait for one to finish.`,
          { max_concurrent_queries: options.maxConcurrentQueries }, { 'retry-after': '1' })
      }
      return context
    },

    /**
     * Releases the query's slot (if it claimed one) and adds it to the session's history, with the
     * other queries that end during this turn of the event loop (see `batch`). Settles once Redis
     * has done it.
     */
    endQuery (sessionId: string, claimedQueryId: string | null, entry: QueryHistoryEntry | null): Promise<void> {
      const kept = entry === null ? 0 : jsonStringBytes(entry.query, HISTORY_QUERY_MAX_BYTES).fits
      const stored = entry !== null && kept < entry.query.length ? { ...entry, query: entry.query.slice(0, kept) } : entry
      if (batch === null) {
        batch = newBatch()
        if (batching) setImmediate(sendEnds)
      }
      const ending = batch
      for (const key of sessionScriptKeys(sessionId).ending) ending.keys.push(key)
      ending.args.push(claimedQueryId ?? '', stored === null ? '' : historyEntryJson(stored))
      ending.sessions.add(sessionId)
      if (!batching || ending.keys.length >= MAX_ENDS_PER_CALL * 3) sendEnds()
      return ending.done
    },

    /** The session's recent queries, newest first; an entry that does not parse is left out. */
    async history (sessionId: string): Promise<QueryHistoryEntry[]> {
      const raw = await run('sessionHistory', sessionId, null, options.historyLimit) as string[]
      const entries: QueryHistoryEntry[] = []
      for (const item of raw) {
        try {
          entries.push(JSON.parse(item) as QueryHistoryEntry)
        } catch {}
      }
      return entries
    },

    /** Strict sessions: whether this service issued `sessionId` (and it has not expired). */
    async isKnown (sessionId: string): Promise<boolean> {
      inOrder(sessionId)
      return await guarded(() => redis.exists(sessionKeys(options.prefix, sessionId)[0])) === 1
    },

    /**
     * Remembers that this service issued `sessionId` (strict sessions accept only such ids). The new
     * session first counts against the client `address` (RATE_LIMIT_MAX sessions per window): over
     * it, 429 rate_limited and nothing is issued.
     */
    async issue (sessionId: string, address: string): Promise<void> {
      await this.countAddress('sessions', address)
      inOrder(sessionId)
      await guarded(() => redis.set(sessionKeys(options.prefix, sessionId)[0], Date.now(), 'PX', ttlMs, 'NX'))
    },

    /**
     * Counts a request of a client `address` against its `budget` (plugins/app/session/rate-keys.ts): over it,
     * 429 rate_limited. Creates no key but the address's count.
     */
    async countAddress (budget: AddressBudget, address: string): Promise<void> {
      const key = addressRateKey(options.prefix, address, budget)
      const max = budget === 'requests' ? options.addressRateLimitMax : options.rateLimitMax
      if (!batching) {
        const [current, ttl] = await evalScript(calls.addressCount, [key], []) as [number, number]
        if (current > max) throw rateLimited(max, options.rateLimitWindowMs, ttl)
        return
      }
      if (addressBatch === null) {
        addressBatch = new Map()
        setImmediate(sendAddressCounts)
      }
      let count = addressBatch.get(key)
      if (count === undefined) addressBatch.set(key, count = { n: 0, waiters: [] })
      const position = ++count.n
      const counted = count
      return await new Promise((resolve, reject) => { counted.waiters.push({ position, max, resolve, reject }) })
    },

    async ping (): Promise<void> {
      await redis.ping()
    }
  }
}

/**
 * Stored contexts read lately, parsed: a session's context is the same string on every request
 * until it selects another database, and parsing it was about 0.3 µs of each. They are shared, so
 * frozen. A string too long to be a context this service stored is parsed (and refused) each time.
 */
const CONTEXT_MEMO_SIZE = 1000
const CONTEXT_MAX_CHARS = 512
const parsedContext = memoize(CONTEXT_MEMO_SIZE, (raw) => {
  const context = parseContext(raw)
  return context === null ? null : Object.freeze(context)
}, CONTEXT_MAX_CHARS)

function storedContext (raw: unknown): DatabaseContext | null {
  return typeof raw === 'string' ? parsedContext(raw) : null
}

/** A stored context must look right to be used; anything else counts as no context. */
function parseContext (raw: unknown): DatabaseContext | null {
  if (typeof raw !== 'string') return null
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    return null
  }
  if (typeof value !== 'object' || value === null) return null
  const { database_name: name, selected_at: selectedAt } = value as Record<string, unknown>
  return typeof name === 'string' && name.length > 0 && typeof selectedAt === 'string'
    ? { database_name: name, selected_at: selectedAt }
    : null
}

export default fp(async function sessionStorePlugin (fastify) {
  const { config } = fastify
  fastify.decorate('sessionStore', createSessionStore(fastify.redis, {
    prefix: config.REDIS_KEY_PREFIX,
    ttlSeconds: config.SESSION_TTL_SECONDS,
    maxAgeSeconds: config.SESSION_MAX_AGE_SECONDS,
    historyLimit: config.HISTORY_LIMIT,
    maxConcurrentQueries: config.SESSION_MAX_CONCURRENT_QUERIES,
    rateLimitMax: config.RATE_LIMIT_MAX,
    rateLimitWindowMs: config.RATE_LIMIT_WINDOW_MS,
    addressRateLimitMax: config.RATE_LIMIT_ADDRESS_MAX
  }))
}, { name: 'session-store', dependencies: ['config', 'redis'] })
