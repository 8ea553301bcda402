import fp from 'fastify-plugin'
import type { Config } from '../../../config.js'
import { Mysql } from '../database/mysql.js'
import { clientClosedRequest, requireParams } from '../query/query-errors.js'
import type { createQueryRunner } from '../query/query-runner.js'
import type { Statement } from '../query/sql/classifier.js'
import { exportRequiresRead, exportsBusy } from './export-errors.js'
import { ExportRun, type ExportRunOptions } from './export-run.js'

declare module 'fastify' {
  interface FastifyInstance {
    exporter: Exporter
  }
}

/** An export as a session asks for it: the statement as the client wrote it, and where it runs. */
export interface ExportRequest extends Pick<ExportRunOptions, 'params' | 'format' | 'escapeFormulas' | 'maxRows' | 'timeoutMs' | 'client'> {
  /** The session: one export of a session streams on an instance at a time. */
  owner: string
  /** Its client address's bucket: the exports of one hold at most half the connections (`exportsPerAddress`). */
  group?: string | undefined
  database: string
  sql: string
}

/** The export connections one client address holds at most: half of them, rounded up. */
export const exportsPerAddress = (concurrency: number): number => Math.ceil(concurrency / 2)

/** How much longer than a reader may stall the server waits for it to read (its net_write_timeout). */
const SERVER_WRITE_GRACE_SECONDS = 30

/**
 * Streams exports on connections of their own: EXPORT_CONCURRENCY of them per instance, one per
 * session and half of them per client address, outside the queries' pool, so downloads never take
 * the connections queries need, and no client, however many sessions it names, the connections
 * other clients' downloads need. An export past them is refused at once (`exports_busy`) rather
 * than left waiting behind downloads of minutes: so no one is known to wait, and the pool's turns
 * cannot share them as they share the queries' pool. Its statement is read by the query runner,
 * by the same one-reading rules as a query, and must be a read.
 */
export class Exporter {
  private readonly mysql: Mysql

  constructor (private readonly config: Config, private readonly queryRunner: ReturnType<typeof createQueryRunner>) {
    const perAddress = exportsPerAddress(config.EXPORT_CONCURRENCY)
    this.mysql = new Mysql(config, {
      size: config.EXPORT_CONCURRENCY,
      maxWaiting: 0,
      groupCap: perAddress,
      writeTimeoutSeconds: Math.ceil(config.REQUEST_TIMEOUT_MS / 1000) + SERVER_WRITE_GRACE_SECONDS,
      busy: (limit) => exportsBusy(config.EXPORT_CONCURRENCY, perAddress, limit),
      statementTypeCast: true
    })
  }

  /** The statement as an export runs it: read as a query is, and refused unless it reads with a value for each placeholder. */
  async read (sql: string, params: readonly unknown[] | undefined): Promise<Statement> {
    const statement = await this.queryRunner.read(sql)
    if (statement.kind !== 'read') throw exportRequiresRead(statement.kind)
    requireParams(statement, params)
    return statement
  }

  /** An export whose columns are known: its rows stream from it. Refused before any byte otherwise. */
  async start (request: ExportRequest): Promise<ExportRun> {
    const statement = await this.read(request.sql, request.params)
    const lease = await this.mysql.acquire(request.database, { timeoutMs: request.timeoutMs, selectLimit: request.maxRows + 1 }, request.owner, request.group, statement.resetsConnection)
    if (request.client.destroyed) {
      lease.release('keep')
      throw clientClosedRequest()
    }
    const run = new ExportRun(this.mysql, lease, {
      sql: statement.text,
      params: request.params,
      format: request.format,
      escapeFormulas: request.escapeFormulas,
      maxRows: request.maxRows,
      timeoutMs: request.timeoutMs,
      client: request.client,
      stallMs: this.config.REQUEST_TIMEOUT_MS,
      resetsConnection: statement.resetsConnection,
      columns: statement.columns
    })
    await run.started.catch((err: unknown) => { throw this.queryRunner.quotedAsWritten(err, request.sql, statement) })
    return run
  }

  /** Reads the connected server's version (and so its dialect) for the export connections. */
  async ready (): Promise<void> {
    await this.mysql.dialect()
  }

  /** Exports streaming now: for tests and diagnostics. */
  streaming (): number {
    return this.mysql.shareStats().inUse
  }

  async close (): Promise<void> {
    await this.mysql.close()
  }
}

export default fp(async function exporterPlugin (fastify) {
  const exporter = new Exporter(fastify.config, fastify.queryRunner)
  fastify.decorate('exporter', exporter)
  fastify.addHook('onClose', async () => { await exporter.close() })
  // The server's version is read once per pool, on one of its connections: read now, not by the
  // first exports, which would find both connections taken by themselves. Not fatal: an
  // unreachable database answers the first export instead.
  await exporter.ready().catch(() => {})
}, { name: 'exporter', dependencies: ['config', 'query-runner'] })
