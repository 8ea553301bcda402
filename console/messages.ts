import type { ErrorBody } from './api.js'

/**
 * An error as an analyst reads it: what happened and what to do, without API paths or session
 * ids. The server's own words are kept where they are about the SQL (a syntax error, an unknown
 * column); the code stays visible for anyone who reports it.
 */
const WORDS: Record<string, string> = {
  read_only_violation: 'Refused: this console is read-only. Only SELECT, WITH … SELECT, SHOW, DESCRIBE and EXPLAIN run here; nothing was changed.',
  database_context_missing: 'Pick a database first: this session has none selected (it may have expired).',
  query_timeout: 'The query took longer than its timeout and was stopped. Raise the timeout next to Run, or narrow the query.',
  client_closed_request: 'Stopped. The query was cancelled on the database server.',
  unauthorized: 'Enter this sqlgate\'s API key above.',
  rate_limited: 'Too many requests for now: wait a moment and run again.',
  too_many_concurrent_queries: 'Other queries of this session are still running: wait for them, or stop them.',
  exports_busy: 'Other downloads are running: try again in a moment.',
  database_unavailable: 'The database does not answer right now. Try again shortly.',
  session_store_unavailable: 'The service cannot reach its session store right now. Try again shortly.',
  database_not_found: 'That database is not available here (anymore). Pick another.',
  network_error: 'The sqlgate service cannot be reached.',
  export_requires_read: 'Only a query that reads (SELECT, SHOW, …) can be downloaded.',
  param_count_mismatch: 'A ? in the statement is a placeholder for a value that API clients send apart (params); this console sends none. Write the value itself in its place (text in quotes).',
  validation_error: 'That request is not valid: check Max rows and Timeout (whole numbers within the service\'s limits).'
}

export function analystMessage (body: ErrorBody): string {
  return WORDS[body.code] ?? body.message ?? 'Something went wrong.'
}

/** The line an error names (MariaDB and MySQL: "… at line 3"), or null. */
export function errorLine (body: ErrorBody): number | null {
  const match = /at line (\d+)/.exec(body.message ?? '')
  return match === null ? null : Number(match[1])
}
