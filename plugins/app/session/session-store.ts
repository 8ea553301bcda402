import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import { AppError, databaseContextMissing, rateLimited } from '../errors/errors.js'
import { jsonStringBytes } from '../query/json-text.js'
import { historyEntryJson } from '../query/query-json.js'
import { AddressCounts } from './address-counts.js'
import { addressRateKey, sessionRateKey, withTicketAddress, type AddressBudget, type RateTicket } from './rate-keys.js'
import { ScriptClient, unavailable, type ScriptCall } from './script-client.js'
import { sessionKey, sessionKeys, sessionScriptKeys } from './session-keys.js'
import { addressCountsScript, sessionScripts, type SessionScriptName } from './session-scripts.js'
import { SessionTurn } from './session-turn.js'
import { sessionTurnScript } from './session-turn-script.js'
import { parseContext } from './stored-context.js'
import type { DatabaseContext } from '../../../schemas/database.js'
import type { QueryHistoryEntry } from '../../../schemas/query.js'

declare module 'fastify' {
  interface FastifyInstance {
    sessionStore: SessionStore
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
 * A session's state in Redis, and nothing of it in process memory: any instance serves any
 * session. Each operation is one round trip (a Lua script, ./session-scripts.ts), refreshes the
 * idle TTL of all the session's keys and never extends them past the session's absolute lifetime.
 */
export class SessionStore {
  private readonly client: ScriptClient
  private readonly calls: Record<SessionScriptName, ScriptCall>
  private readonly turn: SessionTurn
  private readonly addresses: AddressCounts
  /**
   * A ticket's client address can be counted in the session script of its request (one round
   * trip for both counts): on one Redis server, not on a Cluster, where the address's count and
   * the session's keys live in different slots that one script cannot span.
   */
  readonly addressInScripts: boolean

  constructor (private readonly redis: Redis, private readonly options: SessionStoreOptions) {
    this.client = new ScriptClient(redis)
    const limits = {
      idleMs: options.ttlSeconds * 1000,
      maxAgeMs: options.maxAgeSeconds * 1000,
      rateMax: options.rateLimitMax,
      rateWindowMs: options.rateLimitWindowMs,
      addressRateMax: options.addressRateLimitMax,
      historyLimit: options.historyLimit
    }
    this.calls = Object.fromEntries(Object.entries(sessionScripts(limits)).map(([name, script]) =>
      [name, this.client.define(script, name === 'addressCount' ? 1 : 4)])) as Record<SessionScriptName, ScriptCall>
    this.addressInScripts = this.client.batching
    // The turn's calls carry any number of keys: each script call names how many.
    this.turn = new SessionTurn(this.client, this.client.define(sessionTurnScript(limits), null))
    this.addresses = new AddressCounts(this.client, this.calls.addressCount, this.client.define(addressCountsScript(options.rateLimitWindowMs), null), options.rateLimitWindowMs)
  }

  /**
   * The session's context, or null. Refreshes the session; does not create one. With a ticket,
   * counts the request first (429 rate_limited over the limit).
   */
  async getContext (sessionId: string, ticket: RateTicket | null = null): Promise<DatabaseContext | null> {
    const [current, ttl, raw] = await this.inTurn('g', sessionId, ticket) as [number | null, number, string | null]
    this.counted(ticket, current, ttl)
    return parseContext(raw)
  }

  /** The context, or 409 database_context_missing telling the client to select a database. */
  async requireContext (sessionId: string, ticket: RateTicket | null = null): Promise<DatabaseContext> {
    const context = await this.getContext(sessionId, ticket)
    if (context === null) throw databaseContextMissing(sessionId)
    return context
  }

  /**
   * Stores the context, creating the session if it is new. A session found past its lifetime
   * (by this instance's clock: another's, behind it, set its keys) is ended by the script, which
   * then stores nothing; the second call begins it anew, so the context answered is the one stored.
   */
  async setContext (sessionId: string, context: DatabaseContext): Promise<void> {
    const json = JSON.stringify(context)
    if (await this.run('sessionSetContext', sessionId, json) === 1) return
    if (await this.run('sessionSetContext', sessionId, json) !== 1) unavailable(new Error('the session context was not stored'))
  }

  /** Removes the context; true when there was one. */
  async clearContext (sessionId: string): Promise<boolean> {
    this.turn.inOrder(sessionId)
    return await this.client.command((redis) => redis.del(sessionKey(this.options.prefix, sessionId, 'context'))) > 0
  }

  /**
   * The context, and a claim on one of the session's query slots until `claimMs` from now
   * (or until endQuery). 409 without a context; 429 when all slots are taken. With a ticket,
   * counts the request first (429 rate_limited over the limit, and no claim).
   */
  async beginQuery (sessionId: string, queryId: string, claimMs: number, ticket: RateTicket | null = null): Promise<DatabaseContext> {
    const slots = this.options.maxConcurrentQueries
    const [current, ttl, raw, claimed] = await this.inTurn('b', sessionId, ticket, queryId, Date.now() + claimMs, slots) as [number | null, number, string | null, number]
    this.counted(ticket, current, ttl)
    const context = parseContext(raw)
    if (context === null || claimed === 0) {
      // Redis found a context and claimed a slot, but what it holds is not a context: no query
      // runs, so the slot is given back now rather than held until the claim lapses.
      if (claimed === 1) this.endQuery(sessionId, queryId, null).catch(() => {})
      throw databaseContextMissing(sessionId)
    }
    if (claimed === -1) {
      throw new AppError('too_many_concurrent_queries', `This session already has ${slots} queries running; wait for one to finish.`,
        { max_concurrent_queries: slots }, { 'retry-after': '1' })
    }
    return context
  }

  /**
   * Counts a request of the session against its rate limit (and, when the ticket carries it, the
   * client address's), in this turn's script call: 429 rate_limited over either. Touches nothing
   * else of the session. For a route whose work is not one session script (MCP's messages).
   */
  async countRequest (sessionId: string, ticket: RateTicket): Promise<void> {
    const keys = withTicketAddress(this.options.prefix, [sessionRateKey(this.options.prefix, sessionId)], ticket)
    const [current, ttl] = await this.turn.add(sessionId, keys, ['c', keys.length, ticket.weight]) as [number | null, number]
    this.counted(ticket, current, ttl)
  }

  /**
   * Releases the query's slot (if it claimed one) and adds it to the session's history, with the
   * other calls of this turn of the event loop (./session-turn.ts). Settles once Redis has done it.
   */
  endQuery (sessionId: string, claimedQueryId: string | null, entry: QueryHistoryEntry | null): Promise<void> {
    const kept = entry === null ? 0 : jsonStringBytes(entry.query, HISTORY_QUERY_MAX_BYTES).fits
    const stored = entry !== null && kept < entry.query.length ? { ...entry, query: entry.query.slice(0, kept), query_truncated: true as const } : entry
    const [born, , history, inflight] = sessionKeys(this.options.prefix, sessionId)
    return this.turn.add(sessionId, [born, history, inflight], ['e', 3, claimedQueryId ?? '', stored === null ? '' : historyEntryJson(stored)]).then(() => {})
  }

  /** The session's recent queries, newest first (the newest `limit` when given); an entry that does not parse is left out. */
  async history (sessionId: string, limit = this.options.historyLimit): Promise<QueryHistoryEntry[]> {
    const raw = await this.run('sessionHistory', sessionId, Math.min(limit, this.options.historyLimit)) as string[]
    const entries: QueryHistoryEntry[] = []
    for (const item of raw) {
      try {
        entries.push(JSON.parse(item) as QueryHistoryEntry)
      } catch {}
    }
    return entries
  }

  /** Strict sessions: whether this service issued `sessionId` (and it has not expired). */
  async isKnown (sessionId: string): Promise<boolean> {
    this.turn.inOrder(sessionId)
    return await this.client.command((redis) => redis.exists(sessionKey(this.options.prefix, sessionId, 'born'))) === 1
  }

  /**
   * Remembers that this service issued `sessionId` (strict sessions accept only such ids). The new
   * session first counts against the client `address` (RATE_LIMIT_MAX sessions per window): over
   * it, 429 rate_limited and nothing is issued.
   */
  async issue (sessionId: string, address: string): Promise<void> {
    await this.countAddress('sessions', address)
    this.turn.inOrder(sessionId)
    const ttlMs = this.options.ttlSeconds * 1000
    await this.client.command((redis) => redis.set(sessionKey(this.options.prefix, sessionId, 'born'), Date.now(), 'PX', ttlMs, 'NX'))
  }

  /**
   * Counts a request of a client `address` against its `budget` (./rate-keys.ts), `weight` times
   * (`addressWeight` of its body): over it, 429 rate_limited. Creates no key but the address's count.
   */
  async countAddress (budget: AddressBudget, address: string, weight = 1): Promise<void> {
    const max = budget === 'requests' ? this.options.addressRateLimitMax : this.options.rateLimitMax
    await this.addresses.count(addressRateKey(this.options.prefix, address, budget), max, weight)
  }

  async ping (): Promise<void> {
    await this.redis.ping()
  }

  /** A session script on the session's first four keys, after the session's calls of this turn. */
  private run (script: SessionScriptName, sessionId: string, ...extra: Array<string | number>): Promise<unknown> {
    this.turn.inOrder(sessionId)
    return this.client.run(this.calls[script], sessionKeys(this.options.prefix, sessionId), [Date.now(), ...extra])
  }

  /**
   * A call of this turn's script ('g' reads the context, 'b' begins a query) on the session's five
   * keys; with a ticket, the call counts the request, and the client address the ticket carries
   * too (a sixth key), which the ticket then no longer carries.
   */
  private inTurn (op: 'g' | 'b', sessionId: string, ticket: RateTicket | null, ...extra: Array<string | number>): Promise<unknown> {
    const keys = withTicketAddress(this.options.prefix, sessionScriptKeys(this.options.prefix, sessionId), ticket)
    return this.turn.add(sessionId, keys, [op, keys.length, ticket === null ? '0' : ticket.weight, ...extra])
  }

  /**
   * Records the count a counted script returned; over the session's limit, or the client
   * address's (the count is then null), the request ends here with 429.
   */
  private counted (ticket: RateTicket | null, current: number | null, ttlMs: number): void {
    if (ticket === null) return
    if (current === null) throw rateLimited(this.options.addressRateLimitMax, this.options.rateLimitWindowMs, ttlMs)
    ticket.counted = { current, ttlMs }
    if (current > this.options.rateLimitMax) throw rateLimited(this.options.rateLimitMax, this.options.rateLimitWindowMs, ttlMs)
  }
}

export function createSessionStore (redis: Redis, options: SessionStoreOptions): SessionStore {
  return new SessionStore(redis, options)
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
