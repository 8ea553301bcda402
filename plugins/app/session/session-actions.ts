import { randomUUID } from 'node:crypto'
import fp from 'fastify-plugin'
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../../../config.js'
import { AppError, databaseContextChanged, databaseNotFound, NOTHING_MEANT, tableNotFound } from '../errors/errors.js'
import { isoNow } from '../iso-time.js'
import { addressBucket, type RateTicket } from './rate-keys.js'
import type { QueryBody, QueryHistoryEntry } from '../../../schemas/query.js'
import type { ExportBody } from '../../../schemas/export.js'
import type { Catalog } from '../database/catalog.js'
import { gated, withNamesMeant, type NameLookups } from '../database/names-meant.js'
import type { Caller, createQueryRunner } from '../query/query-runner.js'
import type { createSessionStore } from './session-store.js'
import type { Exporter, ExportRequest } from '../export/exporter.js'

declare module 'fastify' {
  interface FastifyInstance {
    sessionActions: SessionActions
  }
}

/** A query as a session asks for it: POST /api/query's body, its session apart. */
export type QueryInput = Omit<QueryBody, 'session_id'>

/** How long a query's slot stays claimed past its timeout (the KILL QUERY fallback included). */
const CLAIM_MARGIN_MS = 5000

/** The history entry of a query that failed (or was refused) with `code`. */
function failed (queryId: string, query: string, executedAt: string, code: string): QueryHistoryEntry {
  return { query_id: queryId, query, executed_at: executedAt, status: 'error', error_code: code, row_count: 0, execution_time_ms: 0 }
}

interface Dependencies {
  catalog: Catalog
  sessionStore: ReturnType<typeof createSessionStore>
  queryRunner: ReturnType<typeof createQueryRunner>
  exporter: Exporter
  config: Config
}

/** An export as a session asks for it: POST /api/query/export's body, its session and file name apart. */
export type ExportInput = Omit<ExportBody, 'session_id' | 'filename'>

/**
 * What a session can do, for every front end: the HTTP routes and the MCP tools call these, so
 * the same rules (allow-list, read-only, limits, history) hold whichever way a client comes in.
 * Answers have the shapes of the HTTP API's replies.
 */
export class SessionActions {
  private readonly catalog: Dependencies['catalog']
  private readonly sessionStore: Dependencies['sessionStore']
  private readonly queryRunner: Dependencies['queryRunner']
  private readonly exporter: Exporter
  private readonly config: Config
  /** Where a statement's error looks up the names it may have meant (../database/names-meant.ts). */
  private readonly names: NameLookups

  constructor ({ catalog, sessionStore, queryRunner, exporter, config }: Dependencies) {
    this.names = { catalog, namesIn: (sql) => queryRunner.namesIn(sql), inFlight: new Map(), client: '' }
    this.catalog = catalog
    this.sessionStore = sessionStore
    this.queryRunner = queryRunner
    this.exporter = exporter
    this.config = config
  }

  /**
   * Releases a query's slot (`claimedQueryId`, or null when it claimed none) and records it in the
   * history. The history is a record, not the answer: the answer does not wait for it, and if
   * Redis fails here the answer still goes out. Redis runs one connection's commands in order, so
   * a later read on this instance still sees it.
   */
  private end (sessionId: string, claimedQueryId: string | null, entry: QueryHistoryEntry, log: FastifyBaseLogger): void {
    this.sessionStore.endQuery(sessionId, claimedQueryId, entry)
      .catch((err: unknown) => { log.warn({ err }, 'query history not recorded') })
  }

  /**
   * A context names a database this instance must still serve: DATABASE_ALLOWLIST may have lost
   * it since it was selected (a redeploy, or an instance with other settings beside this one),
   * and a session lasts up to SESSION_MAX_AGE_SECONDS.
   */
  private served (database: string): void {
    if (!this.catalog.isAllowed(database)) throw databaseNotFound(database)
  }

  /** Where `caller`'s statement errors look up the names they may have meant, in its client's turn. */
  private namesFor (caller: Caller): NameLookups {
    const group = groupOf(caller)
    return { ...this.names, catalog: this.catalog.forClient(group), client: group ?? '' }
  }

  async listDatabases (caller: Caller = {}) {
    const names = await this.catalog.forClient(groupOf(caller)).listDatabases()
    return { success: true as const, databases: names.map((name) => ({ name })), total_count: names.length }
  }

  async selectDatabase (sessionId: string, name: string, caller: Caller = {}) {
    const catalog = this.catalog.forClient(groupOf(caller))
    if (!catalog.isAllowed(name)) {
      // Named only for its hint: a listing that fails leaves the answer as it is.
      throw databaseNotFound(name, (await catalog.findDatabase(name).catch(() => null))?.similar)
    }
    const [found, { tables, total }] = await Promise.all([catalog.findDatabase(name), catalog.listTables(name)])
    if (!found.exists) throw databaseNotFound(name, found.similar)
    const context = { database_name: name, selected_at: isoNow() }
    await this.sessionStore.setContext(sessionId, context)
    return { success: true as const, session_id: sessionId, database_name: name, tables, total_tables: total, selected_at: context.selected_at }
  }

  async context (sessionId: string, ticket: RateTicket | null = null) {
    const context = await this.sessionStore.getContext(sessionId, ticket)
    return { success: true as const, session_id: sessionId, context_available: context !== null, database_context: context }
  }

  async clearContext (sessionId: string) {
    return { success: true as const, session_id: sessionId, cleared: await this.sessionStore.clearContext(sessionId) }
  }

  /** The session database's tables with their columns; only `table` when given. */
  async describe (sessionId: string, table?: string, caller: Caller = {}) {
    const names = this.namesFor(caller)
    const { catalog } = names
    const context = await this.sessionStore.requireContext(sessionId)
    this.served(context.database_name)
    const { tables, total } = await catalog.describe(context.database_name, table)
    if (tables.length === 0) {
      // Perhaps no database either (dropped since it was selected), as a query would find.
      if (!(await catalog.databaseExists(context.database_name))) throw databaseNotFound(context.database_name)
      if (table !== undefined) throw tableNotFound(context.database_name, table, await gated(names, () => catalog.similarTables(context.database_name, table), NOTHING_MEANT))
    }
    return { success: true as const, session_id: sessionId, database_name: context.database_name, tables, total_tables: total }
  }

  /** The session's history, newest first: its newest `limit` entries when given. */
  async history (sessionId: string, limit?: number) {
    return { success: true as const, session_id: sessionId, queries: await this.sessionStore.history(sessionId, limit) }
  }

  /**
   * One statement in the session's database, with a query slot claimed and the history kept.
   * A request refused by the rate limit (with a ticket) claims nothing and is not in the history.
   * `budgetShare`: the part of QUERY_MAX_RESULT_BYTES the rows may weigh, for an answer that
   * carries them more than once (MCP's: routes/mcp/tools.ts).
   */
  async runQuery (sessionId: string, input: QueryInput, log: FastifyBaseLogger, ticket: RateTicket | null = null, caller: Caller = {}, budgetShare = 1) {
    const queryId = randomUUID()
    const executedAt = isoNow()
    const timeoutMs = input.timeout_ms ?? this.config.QUERY_TIMEOUT_MS

    let context
    try {
      // The claim outlives the statement's own limits, so a crashed instance cannot hold a slot for long.
      context = await this.sessionStore.beginQuery(sessionId, queryId, timeoutMs + CLAIM_MARGIN_MS, ticket)
    } catch (err) {
      if (err instanceof AppError && err.code === 'too_many_concurrent_queries') {
        this.end(sessionId, null, failed(queryId, input.query, executedAt, err.code), log)
      }
      throw err
    }

    log.debug({ query: input.query }, 'query')
    let result
    try {
      expectDatabase(input.expect_database, context.database_name)
      this.served(context.database_name)
      result = await this.queryRunner.run({
        queryId,
        owner: sessionId,
        group: groupOf(caller),
        database: context.database_name,
        sql: input.query,
        params: input.params,
        maxRows: input.max_rows ?? this.config.QUERY_MAX_ROWS,
        maxBytes: Math.floor(this.config.QUERY_MAX_RESULT_BYTES * budgetShare),
        timeoutMs,
        rowFormat: input.row_format ?? 'object',
        client: caller.client
      })
    } catch (err) {
      this.end(sessionId, queryId, failed(queryId, input.query, executedAt, err instanceof AppError ? err.code : 'internal_error'), log)
      throw await withNamesMeant(err, context.database_name, input.query, this.namesFor(caller))
    }
    this.end(sessionId, queryId, {
      query_id: queryId,
      query: input.query,
      executed_at: executedAt,
      status: 'ok',
      error_code: null,
      row_count: result.row_count,
      execution_time_ms: result.execution_time_ms
    }, log)
    return { success: true as const, session_id: sessionId, database_name: context.database_name, ...result }
  }

  /** What an export would be refused for before it runs: no context, a database not served, a statement that is not a read or lacks its params. */
  async checkExport (sessionId: string, input: Pick<ExportInput, 'query' | 'params' | 'expect_database'>): Promise<void> {
    const context = await this.sessionStore.requireContext(sessionId)
    expectDatabase(input.expect_database, context.database_name)
    this.served(context.database_name)
    await this.exporter.read(input.query, input.params)
  }

  /**
   * One statement's rows streamed as a file, under a query's rules: a query slot claimed, the
   * session's database, the same reading of the statement; refused before any byte otherwise.
   * The history records it when the last byte has gone (or why it stopped).
   */
  async exportRows (sessionId: string, input: ExportInput, log: FastifyBaseLogger, ticket: RateTicket | null, caller: Caller & Pick<ExportRequest, 'client'>) {
    const queryId = randomUUID()
    const executedAt = isoNow()
    const timeoutMs = input.timeout_ms ?? this.config.EXPORT_TIMEOUT_MAX_MS
    const maxRows = input.max_rows ?? this.config.EXPORT_MAX_ROWS
    const entry = (fields: Partial<QueryHistoryEntry>): QueryHistoryEntry =>
      ({ ...failed(queryId, input.query, executedAt, ''), status: 'ok', error_code: null, format: input.format, ...fields })
    const context = await this.sessionStore.beginQuery(sessionId, queryId, timeoutMs + CLAIM_MARGIN_MS, ticket)
    let run
    try {
      expectDatabase(input.expect_database, context.database_name)
      this.served(context.database_name)
      run = await this.exporter.start({ owner: sessionId, group: groupOf(caller), database: context.database_name, sql: input.query, params: input.params ?? [], format: input.format, escapeFormulas: input.escape_formulas === true, maxRows, timeoutMs, client: caller.client })
    } catch (err) {
      this.end(sessionId, queryId, entry({ status: 'error', error_code: err instanceof AppError ? err.code : 'internal_error' }), log)
      throw await withNamesMeant(err, context.database_name, input.query, this.namesFor(caller))
    }
    run.done.then(({ error, rowCount, truncated, executionTimeMs }) => {
      this.end(sessionId, queryId, entry({ status: error === null ? 'ok' : 'error', error_code: error?.code ?? null, row_count: rowCount, truncated, execution_time_ms: executionTimeMs }), log)
      if (error !== null) log.info({ code: error.code, rows: rowCount }, 'export stopped')
    }).catch(() => {})
    return { run, queryId, databaseName: context.database_name }
  }
}

/** The group a caller's statements share the database's connections in: its client address's bucket. */
const groupOf = (caller: Caller): string | undefined => caller.address === undefined ? undefined : addressBucket(caller.address)

/** Refuses a request whose client expects the session in another database than it is. */
function expectDatabase (expected: string | undefined, actual: string): void {
  if (expected !== undefined && expected !== actual) throw databaseContextChanged(expected, actual)
}

export function createSessionActions (dependencies: Dependencies): SessionActions {
  return new SessionActions(dependencies)
}

export default fp(async function sessionActionsPlugin (fastify) {
  const { catalog, sessionStore, queryRunner, exporter, config } = fastify
  fastify.decorate('sessionActions', createSessionActions({ catalog, sessionStore, queryRunner, exporter, config }))
}, { name: 'session-actions', dependencies: ['config', 'catalog', 'session-store', 'query-runner', 'exporter'] })
