/**
 * Every error a client can see, once: its stable code, its HTTP status, when it is answered and,
 * for the codes the OpenAPI document shows as a status's example, a typical message. `AppError`
 * takes its status from here, the OpenAPI error responses (schemas/common.ts) describe each
 * status with its codes from here, and docs/errors.md is generated from here
 * (`npm run docs:generate`), so the code, the schema and the documentation cannot drift.
 */
export interface ErrorEntry {
  status: number
  /** When the code is answered, in Markdown (docs/errors.md, the OpenAPI descriptions). */
  when: string
  /** A typical answer's message and extra fields, for the OpenAPI document's examples. */
  example?: { message: string, extra?: Record<string, unknown> }
}

export const ERRORS = {
  invalid_session_id: { status: 400, when: 'a session id in the body, header or URL does not match `^[A-Za-z0-9_-]{8,128}$`' },
  session_id_conflict: { status: 400, when: 'the body\'s `session_id` and the `X-Session-Id` header name different sessions (a proxy or a log in front could take either for the request\'s session); on `/mcp`, an `X-Session-Id` header names another session than `Mcp-Session-Id`, or comes with `initialize`; or, when neither the body nor a header names the session, the request carries two session cookies this service signed for different sessions (one planted by another site of the domain, say). Nothing ran' },
  validation_error: {
    status: 400,
    when: 'the body, header or URL does not match the route\'s schema; `message` and `details[].field` name the field (an unknown field by its own name, also beside a missing one the client may have meant) and say what it must be',
    example: { message: 'body/database_name must NOT have fewer than 1 characters', extra: { details: [{ field: 'body/database_name', message: 'must NOT have fewer than 1 characters' }] } }
  },
  invalid_json: { status: 400, when: 'the body is not valid JSON (the message says what and at which position, without quoting the body), not UTF-8, escapes a lone surrogate, names one key twice in an object (JSON readers differ on which one counts), holds a number a double cannot hold as written (`1.0000000000000001`, `9007199254740993`: send it as a string), or holds a `__proto__` key or a `constructor` key with a `prototype` in it' },
  sql_error: { status: 400, when: 'the database refused the statement; adds the server\'s `errno` and `sql_state`. A table that does not exist (errno 1146) in a database the gateway serves adds `similar_tables`, the tables that the name may have meant (spelt in another case, or else a few edits away), and in a database misspelt so, the table in the database meant (`sales_db.orders`); a column that does not exist (errno 1054) adds `similar_columns`, the columns of the tables the statement names that are within a few edits of it or hold it, as the statement can write them (`o.total` where orders is called `o`, else `orders.total`); a function that does not exist (errno 1305), called without a database, adds `similar_functions`, the built-in functions and the session database\'s own near it (`CONCAT` for `CONCATE`); an unknown database (errno 1049, `SHOW TABLES FROM x`) adds `similar_databases`; each is also named after the message' },
  multiple_statements: { status: 400, when: 'more than one statement in `query`; none of them ran' },
  param_count_mismatch: { status: 400, when: '`params` holds more or fewer values than the statement has `?` placeholders (as the server counts them), or is missing or empty when it has some; adds `placeholders` and `params`; nothing ran' },
  empty_query: { status: 400, when: '`query` holds only comments or whitespace (after executable comments are resolved as the connected server resolves them)' },
  syntax_error: { status: 400, when: 'the statement cannot be read with certainty (an unterminated string, quoted name or comment, a control character outside a string, a malformed `X\'…\'`/`B\'…\'` literal), or its first word begins no SQL statement (`SELCT`: `message` names it, and `near` holds it); nothing was sent' },
  unsupported_statement: { status: 400, when: '`USE` (select a database with `POST /api/database/select`); `READ_ONLY=false`, and the statement needs a session the gateway does not keep (`SET`, transactions, ...); in either mode, `SHOW WARNINGS`, `SHOW ERRORS`, `GET DIAGNOSTICS`, and `FOUND_ROWS()`, `ROW_COUNT()`, `LAST_INSERT_ID()` (and `@@identity`, `@@last_insert_id`), the last value a sequence gave the connection (`LASTVAL()`, `PREVIOUS VALUE FOR`), `@@warning_count`, `@@error_count`, MariaDB\'s `@@last_gtid`, Galera\'s `WSREP_LAST_WRITTEN_GTID()` and `WSREP_LAST_SEEN_GTID()`, and TiDB\'s `@@tidb_last_*` and `@@last_plan_from_*` (they describe the previous statement of a pooled connection, not the session\'s), and `SHOW [SESSION] STATUS` (its counters count every session\'s statements on the connection); what shows the statements other connections run, which serve other sessions: `SHOW PROCESSLIST`, `SHOW EXPLAIN`/`ANALYZE … FOR`, `EXPLAIN … FOR CONNECTION`, `SHOW ENGINE`, `SHOW BINLOG EVENTS`, `SHOW PROFILES`, `information_schema.PROCESSLIST` and its kin, `performance_schema`, `mysql.general_log`; what shows the credentials the server keeps: `SHOW CREATE USER`, MariaDB\'s `SHOW GRANTS` (it carries the database user\'s password hash), `mysql.user` and the other tables of password hashes and other servers\' passwords, TiDB\'s `SHOW SESSION_STATES` (its session token logs in as the database user); SQL the server would run from a string: the `sys` schema, a `CALL` of a routine of `mysql`, `PREPARE … FROM` and `EXECUTE IMMEDIATE` in a stored program; what reads or writes the database server\'s files (`INTO OUTFILE`, `LOAD DATA INFILE`, `LOAD_FILE()`, `DATA DIRECTORY`), connects it to other servers (`CREATE SERVER`, `ENGINE=FEDERATED`, replication), manages its accounts (`GRANT`, `CREATE USER`), stops it or loads code into it (`SHUTDOWN`, `INSTALL PLUGIN`, `… SONAME`), which read-only mode refuses as writes; and optimizer hints other than those that steer the planner, above all those that would lift the statement\'s limits: `/*+ MAX_EXECUTION_TIME(n) */`, `SET_VAR(...)`, TiDB\'s `MEMORY_QUOTA(...)` and `RESOURCE_GROUP(...)`' },
  export_requires_read: { status: 400, when: 'the statement of `POST /api/query/export` is not a read (SELECT, WITH … SELECT, SHOW, DESCRIBE, EXPLAIN), whatever `READ_ONLY` says: an export streams rows and may be stopped part-way, which a write must not be; nothing ran' },
  transaction_left_open: { status: 400, when: '`READ_ONLY=false`: the statement (a procedure\'s `START TRANSACTION` without `COMMIT`) left a transaction open; it was rolled back, so nothing it wrote to transactional tables was kept (an XA transaction a procedure made elsewhere prepared, which ROLLBACK cannot end, is left to `XA RECOVER`, and the message says so)' },
  invalid_preflight: { status: 400, when: '`CORS_ORIGINS` is set and a CORS preflight (`OPTIONS`) lacks `Origin` or `Access-Control-Request-Method`' },
  invalid_request: { status: 400, when: 'the URL does not decode, a header contradicts the body (`Content-Length`), the URL\'s path holds a percent-escape (`/api/query/%65xport`: no path needs one), the request target holds a `#` (a fragment, never part of a request), the request target names another host than `Host` (`GET http://other.example/… HTTP/1.1`) or a user part, or no path right after its host, the request is neither HTTP/1.1 nor HTTP/1.0 (`GET / HTTP/2.0` in HTTP/1 form, or a request line without a version), an HTTP/1.1 request has no `Host`, the request names `Host`, `Content-Type` or `Authorization` more than once, a `GET` or `HEAD` carries a body, or a chunked body ends with trailer fields; a proxy in front may have read either otherwise. Nothing was read or run' },
  bad_request: { status: 400, when: 'the request is not valid HTTP/1.1; the connection is closed. Sent after the answers still owed to requests before it on the connection (pipelined), so each of those is read as its own' },
  mcp_batch_not_supported: { status: 400, when: 'a JSON-RPC batch (an array of messages) to `/mcp`; send one message per request. Nothing of it ran' },
  mcp_session_required: { status: 400, when: 'a request to `/mcp` other than `initialize` without the `Mcp-Session-Id` header' },
  unauthorized: {
    status: 401,
    when: '`API_KEYS` is set and the request has no valid `Authorization: Bearer <key>`',
    example: { message: 'A valid API key is required: Authorization: Bearer <key>.' }
  },
  host_not_allowed: { status: 403, when: 'the request names a host (`Host`, or a trusted proxy\'s `X-Forwarded-Host`) that is not in `ALLOWED_HOSTS`; nothing was read or run' },
  read_only_violation: {
    status: 403,
    when: '`READ_ONLY=true` and the statement is not a read; nothing was sent to the database',
    example: { message: 'This gateway is read-only: DELETE statements are refused. Only SELECT, WITH … SELECT, SHOW, DESCRIBE and EXPLAIN run here; nothing was sent to the database.' }
  },
  database_not_found: {
    status: 404,
    when: 'the database does not exist, is a system schema, or is not in `DATABASE_ALLOWLIST`; also for the queries and `/schema` of a session whose selected database was dropped since, or that this instance\'s `DATABASE_ALLOWLIST` does not hold (a session outlives a redeploy): select another. A selected name that a served database spells in another case, or a few edits away, adds `similar_databases`, also named in the message',
    example: { message: "Database 'sales_db' does not exist or is not available through this gateway." }
  },
  table_not_found: {
    status: 404,
    when: '`GET /api/database/schema?table=` (MCP: `describe_schema` with `table`) names no table or view of the session\'s database; names are exact, and `similar_tables` lists those the server would take for it (another case, trailing spaces), or else those a few edits away',
    example: { message: "Table 'Orders' does not exist in database 'sales_db'. Names are exact: did you mean 'orders'?", extra: { similar_tables: ['orders'] } }
  },
  not_found: { status: 404, when: 'no such route' },
  export_ticket_not_found: { status: 404, when: '`GET /api/query/export/:ticket` names a ticket that does not exist, was used already (a ticket serves one download), expired (after 60 s), or belongs to another session' },
  session_not_found: { status: 404, when: '`SESSION_STRICT=true` and an MCP session (or a tool\'s `session_id`, or the session of `GET /api/database/context/:session_id`) this service did not issue' },
  unknown_tool: { status: 404, when: 'an MCP `tools/call` names a tool this server does not have (a tool result with `isError: true`)' },
  method_not_allowed: { status: 405, when: 'the route exists but not with this method (`GET /api/query`); `Allow` lists the methods it takes. Also `GET` or `DELETE /mcp`: the endpoint opens no event streams' },
  request_timeout: { status: 408, when: 'the request (headers and body) took longer than `REQUEST_TIMEOUT_MS` to arrive; the connection is closed' },
  database_context_missing: {
    status: 409,
    when: 'the session has no database selected; adds `recovery_action: "select_database"`',
    example: { message: 'No database context found for session session_1757773211072_s4xhkug2t. Select a database first (POST /api/database/select; MCP: select_database).', extra: { recovery_action: 'select_database' } }
  },
  database_context_changed: { status: 409, when: 'the request\'s `expect_database` is not the session\'s database (another tab or client selected another since); adds `expected_database`, `database_name` and `recovery_action: "select_database"`; nothing ran' },
  lock_conflict: { status: 409, when: '`READ_ONLY=false`: the statement waited past the lock wait timeout for another transaction, or was chosen as a deadlock\'s victim (errno 1205, 1213; TiDB\'s write conflicts, 8002 and 9007), and the server rolled it back: run it again; adds `errno` and `sql_state`, with `Retry-After`' },
  payload_too_large: {
    status: 413,
    when: 'the body is over 1 MiB',
    example: { message: 'Request body is too large' }
  },
  uri_too_long: { status: 414, when: 'a part of the URL (a `:session_id`) is longer than 200 characters' },
  unsupported_media_type: {
    status: 415,
    when: 'the body is not `application/json`, its `Content-Type` declares a charset other than UTF-8 (JSON is read as UTF-8 whatever it says), or it is compressed (a `Content-Encoding` other than `identity`: bodies are not decompressed; with `Accept-Encoding: identity`)',
    example: { message: 'Content-Type "text/plain" is not accepted: send the body as JSON, with Content-Type: application/json.' }
  },
  expectation_failed: { status: 417, when: 'the request carries an `Expect` other than `100-continue`, which this service cannot meet; nothing was read or run' },
  rate_limited: {
    status: 429,
    when: 'over `RATE_LIMIT_MAX` requests of the session in the window, or `RATE_LIMIT_ADDRESS_MAX` of its client address (a long body counts once more for each 8 KiB), or new sessions from one address; with `Retry-After` and `retry_after_seconds`',
    example: { message: 'Rate limit exceeded: 300 requests per 60 s. Retry in 12 s.', extra: { retry_after_seconds: 12 } }
  },
  too_many_export_tickets: { status: 429, when: 'the export tickets one client address asked for in the last one to two minutes hold 16 MiB of requests together (`POST /api/query/export/ticket`), so a client cannot fill Redis with request bodies; with `Retry-After` and `retry_after_seconds`' },
  too_many_concurrent_queries: { status: 429, when: 'the session already has `SESSION_MAX_CONCURRENT_QUERIES` queries running; with `Retry-After`' },
  header_too_large: { status: 431, when: 'the request\'s headers are over 16 kB together (the connection is closed), or number 1,000 or more (Node reads no more than 1,000, so one after them would go unread while a proxy in front read it); nothing was read or run' },
  reader_stalled: { status: 408, when: 'never answered: an export\'s client stopped reading it (for `REQUEST_TIMEOUT_MS`, or while unread answers passed `UNREAD_ANSWERS_MAX_BYTES`); its connection was closed and the statement stopped on the server. In the query history and the request log only' },
  client_closed_request: { status: 499, when: 'never answered: the client closed its connection before the answer (a read still running was stopped); in the query history and the request log only' },
  internal_error: {
    status: 500,
    when: 'a bug; the message says nothing more, the log has the cause',
    example: { message: 'Internal server error' }
  },
  write_outcome_unknown: {
    status: 502,
    when: '`READ_ONLY=false`: the connection to the database was lost while a write ran, or the write had not ended 2 s after its timeout\'s `KILL QUERY`, so it may have committed or not; check before running it again (no `Retry-After`: a blind retry could apply it twice)',
    example: { message: 'The connection to the database was lost while the statement ran: it may or may not have taken effect. Check before running it again.' }
  },
  session_store_unavailable: {
    status: 503,
    when: 'Redis does not answer; with `Retry-After`',
    example: { message: 'The session store (Redis) is unavailable. Retry shortly.' }
  },
  database_unavailable: { status: 503, when: 'the database server does not answer (nothing ran, or a read did), or the gateway\'s database account cannot log in or run statements (a wrong or rotated password, a locked account, an expired password: the log says which); with `Retry-After`' },
  exports_busy: { status: 503, when: '`EXPORT_CONCURRENCY` exports are streaming on this instance already, or half of them for the client\'s address, or the session has one streaming here; nothing ran; with `Retry-After`' },
  database_busy: { status: 503, when: 'too many queries are waiting for a pooled connection, or the database server is out of a resource (memory, threads, `max_prepared_stmt_count`: errno 1037, 1041, 1135, 1461, with `errno` and `sql_state`); nothing ran; with `Retry-After`' },
  query_timeout: {
    status: 504,
    when: 'the statement ran past `timeout_ms` and was stopped on the server; adds `timeout_ms`',
    example: { message: 'The statement ran longer than its timeout (300 ms) and was stopped on the database server.', extra: { timeout_ms: 300 } }
  },
  catalog_timeout: { status: 504, when: 'reading the catalog for `list`, `select` or `schema` (databases, tables, columns) ran past `QUERY_TIMEOUT_MS` and was stopped on the database server; adds `timeout_ms`. Ask for one table (`?table=`), or raise `QUERY_TIMEOUT_MS`' }
} as const satisfies Record<string, ErrorEntry>

export type ErrorCode = keyof typeof ERRORS

/** The codes an answer of `status` can carry, in the catalogue's order. */
export function codesOf (status: number): ErrorCode[] {
  return (Object.keys(ERRORS) as ErrorCode[]).filter((code) => ERRORS[code].status === status)
}
