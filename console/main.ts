// sqlgate console: an analyst's SQL workbench on the cookie session. The session lives only in
// the HttpOnly `sid` cookie the service sets; this page never sees, stores or sends a session id.
// Every value from the server is rendered as text.
import './styles.css'
import { api, useApiKey, type ErrorBody, type HistoryEntry, type QueryAnswer, type TableSchema } from './api.js'
import type { SqlServer } from '../plugins/app/query/sql/server.js'
import { createEditor } from './editor.js'
import { renderHistory } from './history.js'
import { analystMessage, errorLine } from './messages.js'
import { renderSchemaTree } from './schema-tree.js'
import { ResultView } from './results.js'

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T
/** Work started from an event: a failure of the page's own is shown, never lost. */
const later = (work: Promise<unknown>): void => { work.catch((err: unknown) => showError({ code: 'page_error', message: `Something went wrong in this page: ${String(err)}` })) }
const meta = (name: string) => document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content ?? ''
const picker = $<HTMLSelectElement>('database')
const status = $('session-status')
const errorBox = $('error')
const runButton = $<HTMLButtonElement>('run')
const stopButton = $<HTMLButtonElement>('stop')

// Max rows and Timeout: the service's defaults, within its limits.
const [defaultRows, maxRows, defaultTimeoutMs, maxTimeoutMs] = meta('query-limits').split(' ').map(Number)
const rowsInput = $<HTMLInputElement>('max-rows')
const timeoutInput = $<HTMLInputElement>('timeout')
if (Number.isFinite(maxRows)) Object.assign(rowsInput, { max: String(maxRows), value: String(defaultRows), title: `1 to ${maxRows}` })
if (Number.isFinite(maxTimeoutMs)) Object.assign(timeoutInput, { max: String(Math.floor(maxTimeoutMs! / 1000)), value: String(Math.ceil(defaultTimeoutMs! / 1000)), title: `1 to ${Math.floor(maxTimeoutMs! / 1000)} s` })
const clamp = (input: HTMLInputElement) => Math.min(Number(input.max || Infinity), Math.max(1, Math.floor(input.valueAsNumber || 1)))

const [dialect, version] = meta('sql-server').split(' ')
const server: SqlServer = { dialect: dialect as SqlServer['dialect'], version: Number(version) }
const editor = createEditor($('editor'), { server, nonce: meta('csp-nonce'), run: () => { later(run()) } })
const results = new ResultView((err) => { showError({ code: 'page_error', message: `Something went wrong in this page: ${String(err)}` }) })
let history: HistoryEntry[] = []
/** The running query's: Stop aborts its request, and the service then stops the query. */
let running: AbortController | null = null
/**
 * Picks of a database so far. A read of the session's context that began before the latest pick
 * answers for an older state: applied, it would put the picker back to what the session had then.
 */
let picks = 0

function showContext (name: string | null): void {
  status.textContent = name === null ? 'No database selected yet.' : `Database: ${name}`
}

function clearError (): void {
  errorBox.hidden = true
  errorBox.replaceChildren()
  editor.markErrorLine(null)
}

/** The last result is not the answer to what runs now: gone the moment it starts, or fails. */
const clearResult = (): void => { results.clear() }

function showError (body: ErrorBody, ranFromLine?: number): void {
  clearResult()
  if (body.code === 'database_context_changed') return showContextChanged(body)
  if (body.code === 'database_context_missing') {
    picker.value = ''
    showContext(null)
  }
  const line = errorLine(body)
  if (line !== null && ranFromLine !== undefined) editor.markErrorLine(ranFromLine + line - 1)
  errorBox.replaceChildren(document.createTextNode(analystMessage(body) + ' '), Object.assign(document.createElement('code'), { textContent: `(${body.code})` }))
  errorBox.hidden = false
}

/** Another tab of this browser's session selected another database: told before any row, with one click back. */
function showContextChanged (body: ErrorBody): void {
  const expected = String(body.expected_database)
  const back = Object.assign(document.createElement('button'), { type: 'button', textContent: `Switch back to ${expected}` })
  back.addEventListener('click', () => {
    picker.value = expected
    later(selectDatabase())
  })
  errorBox.replaceChildren(document.createTextNode(`This tab shows ${expected}, but the session now uses ${String(body.database_name)} (switched in another tab). Nothing ran. `), back)
  errorBox.hidden = false
}

/** The database this tab shows: the service refuses to run a query in another one. */
const expected = () => picker.value === '' ? {} : { expect_database: picker.value }
const limits = () => ({ max_rows: clamp(rowsInput), timeout_ms: clamp(timeoutInput) * 1000 })

async function run (): Promise<void> {
  const { text: query, line: firstLine } = editor.statement()
  if (query === '' || runButton.disabled) return
  clearError()
  clearResult()
  runButton.disabled = true
  stopButton.hidden = false
  running = new AbortController()
  const started = performance.now()
  const timer = setInterval(() => { $('timer').textContent = `${((performance.now() - started) / 1000).toFixed(1)} s` }, 100)
  try {
    const answer = await api<QueryAnswer>('POST', 'api/query', { query, row_format: 'array', ...limits(), ...expected() }, running.signal)
    if (answer.ok) results.show(answer.body)
    else showError(answer.body, firstLine)
  } finally {
    clearInterval(timer)
    $('timer').textContent = ''
    const stopped = running.signal.aborted
    running = null
    stopButton.hidden = true
    runButton.disabled = false
    // The service notices a stopped read within half a second and records it.
    if (stopped) await new Promise((resolve) => setTimeout(resolve, 1000))
    await loadHistory()
  }
}

/**
 * The whole result as a file, through a single-use ticket: the browser downloads it to disk, never
 * through this page. A CSV is made for opening in a spreadsheet, so its fields that a spreadsheet
 * would run as formulas are escaped.
 */
async function download (format: 'csv' | 'ndjson'): Promise<void> {
  const { text: query, line: firstLine } = editor.statement()
  if (query === '') return
  clearError()
  const answer = await api<{ ticket: string }>('POST', 'api/query/export/ticket', { query, format, escape_formulas: format === 'csv', ...expected() })
  if (!answer.ok) return showError(answer.body, firstLine)
  const link = Object.assign(document.createElement('a'), { href: `api/query/export/${encodeURIComponent(answer.body.ticket)}`, download: '' })
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => { later(loadHistory()) }, 1500)
}

/** Reads of the history so far: an answer older than the latest read is not drawn over it. */
let historyReads = 0

async function loadHistory (): Promise<void> {
  const read = ++historyReads
  const answer = await api<{ queries: HistoryEntry[] }>('GET', 'api/query/history')
  if (!answer.ok || read !== historyReads) return
  history = answer.body.queries
  drawHistory()
}

function drawHistory (): void {
  renderHistory($('history'), $('history-empty'), history, $<HTMLInputElement>('history-search').value, (query) => {
    // The editor's text is replaced only when it is a statement the history holds: a draft, a
    // comment or a scratchpad of several statements is kept, the statement added after it.
    const current = editor.view.state.doc.toString().trim().replace(/;+$/, '').trim()
    editor.loadStatement(query, current !== '' && !history.some((entry) => entry.query.trim() === current))
  })
}

async function loadSchema (): Promise<void> {
  const asked = picks
  const answer = await api<{ database_name: string, tables: TableSchema[] }>('GET', 'api/database/schema')
  // Picked again meanwhile: that pick draws its own database's tables.
  if (picks !== asked) return
  const tables = answer.ok ? answer.body.tables : []
  renderSchemaTree($('schema'), answer.ok ? answer.body.database_name : '', tables, (name) => { editor.insertName(name) })
  $('schema-empty').hidden = tables.length > 0
  editor.setSchema(tables.map((table) => ({ name: table.name, columns: table.columns.map((column) => column.name) })))
}

async function loadDatabases (): Promise<void> {
  const answer = await api<{ databases: Array<{ name: string }> }>('GET', 'api/database/list')
  if (!answer.ok) return showError(answer.body)
  picker.replaceChildren(picker.options[0]!, ...answer.body.databases.map(({ name }) => Object.assign(document.createElement('option'), { value: name, textContent: name })))
}

async function loadContext (): Promise<void> {
  const asked = picks
  const answer = await api<{ database_context: { database_name: string } | null }>('GET', 'api/database/context')
  if (picks !== asked) return
  if (!answer.ok) return showError(answer.body)
  const name = answer.body.database_context?.database_name ?? null
  picker.value = name ?? ''
  showContext(name)
  if (name !== null) await loadSchema()
}

async function selectDatabase (): Promise<void> {
  const name = picker.value
  if (name === '') return
  picks++
  clearError()
  clearResult()
  const answer = await api<{ database_name: string, total_tables: number }>('POST', 'api/database/select', { database_name: name })
  if (!answer.ok) return showError(answer.body)
  showContext(answer.body.database_name)
  status.textContent += ` (${answer.body.total_tables} ${answer.body.total_tables === 1 ? 'table' : 'tables'})`
  await loadSchema()
}

/**
 * Back in this tab: if another tab moved the session to another database meanwhile, this one
 * says so now, before anything is run in it.
 */
async function checkContext (): Promise<void> {
  if (picker.value === '') return
  const asked = picks
  const answer = await api<{ database_context: { database_name: string } | null }>('GET', 'api/database/context')
  if (!answer.ok || picks !== asked) return
  const name = answer.body.database_context?.database_name ?? null
  if (name === null) showError({ code: 'database_context_missing', message: '' })
  else if (name !== picker.value) showContextChanged({ code: 'database_context_changed', message: '', expected_database: picker.value, database_name: name })
}

document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') later(checkContext()) })
picker.addEventListener('change', () => { later(selectDatabase()) })
runButton.addEventListener('click', () => { later(run()) })
stopButton.addEventListener('click', () => running?.abort())
$('download-csv').addEventListener('click', () => { later(download('csv')) })
$('download-ndjson').addEventListener('click', () => { later(download('ndjson')) })
$('history-search').addEventListener('input', drawHistory)

const keyForm = $<HTMLFormElement>('api-key-form')
useApiKey(null, () => { keyForm.hidden = false })
keyForm.addEventListener('submit', (event) => {
  event.preventDefault()
  useApiKey($<HTMLInputElement>('api-key').value.trim() || null)
  keyForm.hidden = true
  clearError()
  later(start())
})

async function start (): Promise<void> {
  // The list must exist before the context can select its entry.
  await loadDatabases()
  await Promise.all([loadContext(), loadHistory()])
}

later(start())
