import { randomUUID } from 'node:crypto'
import fp from 'fastify-plugin'
import type { FieldPacket, ResultSetHeader } from 'mysql2/promise'
import { columnTypeName, isNullableField } from '../../lib/column-types.js'
import { toAppError } from '../../lib/mysql-errors.js'
import type { ResultColumn } from '../../schemas/query.js'
import type { createMysql } from './mysql.js'

declare module 'fastify' {
  interface FastifyInstance {
    queryRunner: ReturnType<typeof createQueryRunner>
  }
}

export interface QueryRequest {
  database: string
  sql: string
}

export interface QueryResult {
  query_id: string
  columns: ResultColumn[]
  rows: Array<Record<string, unknown>>
  row_count: number
  affected_rows?: number
  execution_time_ms: number
}

type Mysql = ReturnType<typeof createMysql>

/** Runs one statement in a session's database, on a pooled connection. */
export function createQueryRunner (mysql: Mysql) {
  return {
    async run ({ database, sql }: QueryRequest): Promise<QueryResult> {
      const queryId = randomUUID()
      return mysql.withDatabase(database, async (conn) => {
        const started = performance.now()
        let result: unknown
        let fields: FieldPacket[] | undefined
        try {
          [result, fields] = await conn.query({ sql }) as [unknown, FieldPacket[] | undefined]
        } catch (err) {
          throw toAppError(err)
        }
        const executionTimeMs = Math.round((performance.now() - started) * 1000) / 1000

        if (Array.isArray(result)) {
          return {
            query_id: queryId,
            columns: (fields ?? []).map((field) => ({
              name: field.name,
              type: columnTypeName(field),
              nullable: isNullableField(field)
            })),
            rows: result as Array<Record<string, unknown>>,
            row_count: result.length,
            execution_time_ms: executionTimeMs
          }
        }

        const header = result as ResultSetHeader & { stateChanges?: { schema: string | null } }
        if (header.stateChanges?.schema != null) mysql.noteDatabaseChange(conn, header.stateChanges.schema)
        return {
          query_id: queryId,
          columns: [],
          rows: [],
          row_count: 0,
          affected_rows: header.affectedRows,
          execution_time_ms: executionTimeMs
        }
      })
    }
  }
}

export default fp(async function queryRunnerPlugin (fastify) {
  fastify.decorate('queryRunner', createQueryRunner(fastify.mysql))
}, { name: 'query-runner', dependencies: ['mysql'] })
