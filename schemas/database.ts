import { Type, type Static } from '@sinclair/typebox'
import { DatabaseNameSchema, IsoTimestamp, NullableObject, OptionalBodySessionId, SessionIdSchema } from './common.js'

export const DatabaseListSchema = Type.Object({
  success: Type.Literal(true),
  databases: Type.Array(Type.Object({ name: Type.String() })),
  total_count: Type.Integer()
}, { description: 'The databases a session may select', examples: [{ success: true, databases: [{ name: 'sales_db' }, { name: 'hr' }], total_count: 2 }] })

export const SelectDatabaseBodySchema = Type.Object({
  database_name: DatabaseNameSchema,
  session_id: OptionalBodySessionId
}, { additionalProperties: false, examples: [{ database_name: 'sales_db' }] })
export type SelectDatabaseBody = Static<typeof SelectDatabaseBodySchema>

export const TableSummarySchema = Type.Object({
  name: Type.String(),
  type: Type.String({ description: 'BASE TABLE, VIEW, SYSTEM VIEW or SEQUENCE', examples: ['BASE TABLE'] }),
  rows_estimate: Type.Union([Type.Integer(), Type.Null()], { description: "The server's estimate; null for views, and for every table when the database has more than are listed (the estimates would open every table)" })
})
export type TableSummary = Static<typeof TableSummarySchema>

export const SelectDatabaseReplySchema = Type.Object({
  success: Type.Literal(true),
  session_id: SessionIdSchema,
  database_name: Type.String(),
  tables: Type.Array(TableSummarySchema, { description: 'The first CATALOG_MAX_TABLES tables by name (1,000 by default); their rows_estimate is null when the database has more' }),
  total_tables: Type.Integer({ description: 'All the tables of the database, listed or not' }),
  selected_at: IsoTimestamp
}, {
  description: "The database is now the session's context",
  examples: [{
    success: true,
    session_id: 'session_1757773211072_s4xhkug2tQ0dXk3mB1vZp9Aa',
    database_name: 'sales_db',
    tables: [{ name: 'orders', type: 'BASE TABLE', rows_estimate: 1200 }, { name: 'v_totals', type: 'VIEW', rows_estimate: null }],
    total_tables: 2,
    selected_at: '2026-11-24T10:15:30.123Z'
  }]
})

export const DatabaseContextSchema = Type.Object({
  database_name: Type.String(),
  selected_at: IsoTimestamp
})
export type DatabaseContext = Static<typeof DatabaseContextSchema>

export const ContextReplySchema = Type.Object({
  success: Type.Literal(true),
  session_id: SessionIdSchema,
  context_available: Type.Boolean(),
  database_context: NullableObject(DatabaseContextSchema)
}, {
  description: "The session's context; context_available is false until a database is selected",
  examples: [{
    success: true,
    session_id: 'session_1757773211072_s4xhkug2tQ0dXk3mB1vZp9Aa',
    context_available: true,
    database_context: { database_name: 'sales_db', selected_at: '2026-11-24T10:15:30.123Z' }
  }]
})

export const ContextParamsSchema = Type.Object({ session_id: SessionIdSchema })

/** GET /api/database/schema?table=…: one table (its exact name), or every table without it. */
export const SchemaQuerySchema = Type.Object({
  table: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Only this table (its exact name); an empty list when the database has no such table' }))
}, { additionalProperties: false })

/**
 * DELETE /api/database/context takes no body, or one naming the session (as every /api route may):
 * either way it is validated, so an unknown field or an array is refused rather than ignored.
 */
export const ClearContextBodySchema = Type.Union([
  Type.Object({ session_id: OptionalBodySessionId }, { additionalProperties: false, examples: [{}] }),
  Type.Null()
], { description: 'Optional: a JSON object naming the session, or no body' })

export const ClearContextReplySchema = Type.Object({
  success: Type.Literal(true),
  session_id: SessionIdSchema,
  cleared: Type.Boolean({ description: 'false when the session had no context' })
}, { description: 'The context is gone', examples: [{ success: true, session_id: 'session_1757773211072_s4xhkug2tQ0dXk3mB1vZp9Aa', cleared: true }] })

export const ColumnInfoSchema = Type.Object({
  name: Type.String(),
  type: Type.String({ description: 'The full column type', examples: ['bigint(20) unsigned', 'varchar(255)'] }),
  nullable: Type.Boolean(),
  key: Type.String({ description: "PRI, UNI, MUL or ''" }),
  default: Type.Union([Type.String(), Type.Null()]),
  comment: Type.String({ description: "The column's comment; '' when it has none" })
})
export type ColumnInfo = Static<typeof ColumnInfoSchema>

export const ForeignKeySchema = Type.Object({
  name: Type.String({ description: "The constraint's name" }),
  columns: Type.Array(Type.String(), { description: "This table's columns, in the key's order" }),
  references: Type.Object({
    database: Type.String(),
    table: Type.String(),
    columns: Type.Array(Type.String(), { description: 'The referenced columns, each matching the column at its place in columns' })
  })
})
export type ForeignKey = Static<typeof ForeignKeySchema>

export const TableSchemaSchema = Type.Object({
  name: Type.String(),
  type: Type.String(),
  comment: Type.String({ description: "The table's comment; '' when it has none, and for a view" }),
  columns: Type.Array(ColumnInfoSchema),
  foreign_keys: Type.Array(ForeignKeySchema, { description: 'The foreign keys the database enforces on this table, by name' })
})
export type TableSchema = Static<typeof TableSchemaSchema>

export const SchemaReplySchema = Type.Object({
  success: Type.Literal(true),
  session_id: SessionIdSchema,
  database_name: Type.String(),
  tables: Type.Array(TableSchemaSchema, { description: 'The first CATALOG_MAX_TABLES tables by name (1,000 by default), or the one asked for' }),
  total_tables: Type.Integer({ description: 'All the tables of the database (with ?table=, 1: a table that does not exist is 404 table_not_found), listed or not' })
}, {
  description: "The session database's tables, their columns and foreign keys",
  examples: [{
    success: true,
    session_id: 'session_1757773211072_s4xhkug2tQ0dXk3mB1vZp9Aa',
    database_name: 'sales_db',
    tables: [{
      name: 'orders',
      type: 'BASE TABLE',
      comment: 'one row per checkout',
      columns: [
        { name: 'id', type: 'bigint(20) unsigned', nullable: false, key: 'PRI', default: null, comment: '' },
        { name: 'customer_id', type: 'bigint(20) unsigned', nullable: false, key: 'MUL', default: null, comment: '' },
        { name: 'total', type: 'decimal(10,2)', nullable: false, key: '', default: '0.00', comment: 'in euros, tax included' }
      ],
      foreign_keys: [{ name: 'orders_customer', columns: ['customer_id'], references: { database: 'sales_db', table: 'customers', columns: ['id'] } }]
    }],
    total_tables: 1
  }]
})
