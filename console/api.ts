import { keepDigits } from './values.js'

/** An error answer's envelope, as the service writes it (and the page's own, for a network failure). */
export interface ErrorBody {
  code: string
  message: string
  [field: string]: unknown
}

export type Answer<T> = { ok: true, status: number, body: T } | { ok: false, status: number, body: ErrorBody }

/** Only when the service has API_KEYS: the key lives in this variable, never in storage. */
let apiKey: string | null = null
/** Told when an answer is 401: the page asks for a key. */
let onUnauthorized = (): void => {}

export function useApiKey (key: string | null, unauthorized?: () => void): void {
  apiKey = key
  if (unauthorized !== undefined) onUnauthorized = unauthorized
}

/**
 * The JSON API with the cookie session. Paths are relative to the page, so the console works
 * behind a proxy that serves sqlgate under a path (/sqlgate/).
 */
export async function api<T> (method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Answer<T>> {
  const headers: Record<string, string> = {}
  if (apiKey !== null) headers.authorization = `Bearer ${apiKey}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  let response: Response
  try {
    response = await fetch(path, { method, credentials: 'same-origin', headers, body: body === undefined ? null : JSON.stringify(body), ...(signal === undefined ? {} : { signal }) })
  } catch (error) {
    if ((error as Error)?.name === 'AbortError') return { ok: false, status: 0, body: { code: 'client_closed_request', message: 'Stopped. A read is cancelled on the database server.' } }
    return { ok: false, status: 0, body: { code: 'network_error', message: 'The sqlgate service cannot be reached.' } }
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(await response.text(), keepDigits as never)
  } catch {
    parsed = { code: 'invalid_response', message: `Unexpected answer (HTTP ${response.status}).` }
  }
  if (response.status === 401) onUnauthorized()
  return response.ok ? { ok: true, status: response.status, body: parsed as T } : { ok: false, status: response.status, body: parsed as ErrorBody }
}

export interface Column { name: string, type: string, nullable?: boolean }
export interface ResultSet { columns: Column[], rows: unknown[][], row_count: number, truncated: boolean }
export interface QueryAnswer extends ResultSet {
  database_name: string
  execution_time_ms: number
  truncated_values?: number
  warnings?: Array<{ level: string, code: number, message: string }>
  more_results?: ResultSet[]
}
export interface HistoryEntry { query: string, query_truncated?: true, status: 'ok' | 'error', error_code: string | null, row_count: number, execution_time_ms: number, executed_at: string, truncated?: boolean, format?: string }
export interface ForeignKey { name: string, columns: string[], references: { database: string, table: string, columns: string[] } }
export interface TableSchema { name: string, comment?: string, columns: Array<{ name: string, type: string, nullable: boolean, key?: string | null, comment?: string }>, foreign_keys?: ForeignKey[] }
