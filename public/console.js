// sqlgate console: pick a database, run SQL, see the session's history.
// The session lives only in the HttpOnly `sid` cookie the service sets; this page never sees,
// stores or sends a session id itself. Every value from the server is rendered as text.

const $ = (id) => document.getElementById(id)
const databaseSelect = $('database')
const sqlInput = $('sql')
const runButton = $('run')
const stopButton = $('stop')
const errorBox = $('error')
const sessionStatus = $('session-status')
const apiKeyForm = $('api-key-form')

/** Only when the service has API_KEYS: the key lives in this variable, never in storage. */
let apiKey = null
/** The running query's: Stop aborts its request, and the service then stops the query (KILL QUERY). */
let running = null

/**
 * fetch the JSON API with the cookie; resolves to { ok, status, body }. Paths are relative to the
 * page, so the console works behind a proxy that serves sqlgate under a path (/sqlgate/).
 */
async function api (method, path, body, signal) {
  const init = { method, credentials: 'same-origin', headers: {}, signal }
  if (apiKey !== null) init.headers.authorization = `Bearer ${apiKey}`
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json'
    init.body = JSON.stringify(body)
  }
  let response
  try {
    response = await fetch(path, init)
  } catch (error) {
    if (error?.name === 'AbortError') return { ok: false, status: 0, body: { code: 'client_closed_request', message: 'Stopped. A read is cancelled on the database server; a write (where this sqlgate allows writes) runs to its end.' } }
    return { ok: false, status: 0, body: { code: 'network_error', message: 'The sqlgate service cannot be reached.' } }
  }
  let parsed = null
  try {
    parsed = JSON.parse(await response.text(), keepDigits)
  } catch {
    parsed = { code: 'invalid_response', message: `Unexpected answer (HTTP ${response.status}).` }
  }
  if (response.status === 401) apiKeyForm.hidden = false
  return { ok: response.ok, status: response.status, body: parsed }
}

function showError (body) {
  const code = body?.code ?? 'error'
  // An error never sits over an old result: whatever was shown is not this query's answer.
  $('results').hidden = true
  if (code === 'database_context_changed') return showContextChanged(body)
  if (code === 'database_context_missing') {
    // The session lost its database (it expired, or was cleared): the picker says so too, and
    // picking the database again selects it.
    databaseSelect.value = ''
    showContext(null)
  }
  let lead = ''
  if (code === 'read_only_violation') lead = 'Refused: this console is read-only. '
  else if (code === 'database_context_missing') lead = 'Pick a database first (the Database list above). '
  else if (code === 'query_timeout') lead = 'The query took too long and was stopped. '
  else if (code === 'unauthorized') lead = 'Enter this sqlgate\'s API key above. '
  errorBox.replaceChildren(
    document.createTextNode(lead + (body?.message ?? 'Something went wrong.') + ' '),
    Object.assign(document.createElement('code'), { textContent: `(${code})` })
  )
  errorBox.hidden = false
}

function clearError () {
  errorBox.hidden = true
  errorBox.replaceChildren()
}

/**
 * Another tab (or client) of this browser's session selected another database: this tab shows
 * its own, and says so before any row, with one click to switch the session back.
 */
function showContextChanged (body) {
  const back = Object.assign(document.createElement('button'), { type: 'button', textContent: `Switch back to ${body.expected_database}` })
  back.addEventListener('click', async () => {
    databaseSelect.value = body.expected_database
    await selectDatabase()
  })
  errorBox.replaceChildren(
    document.createTextNode(`This tab shows ${body.expected_database}, but the session now uses ${body.database_name} (switched in another tab). Nothing ran. `),
    back,
    document.createTextNode(' '),
    Object.assign(document.createElement('code'), { textContent: '(database_context_changed)' })
  )
  errorBox.hidden = false
}

function showContext (databaseName) {
  sessionStatus.textContent = databaseName === null
    ? 'No database selected for this session yet.'
    : `Session database: ${databaseName}`
}

/**
 * A number as the answer wrote it, where JavaScript would show it otherwise: a JSON value's
 * 9007199254740993 (sqlgate sends it exactly) would read 9007199254740992.
 */
class ExactNumber {
  constructor (text) { this.text = text }
}

/** JSON.parse reviver: keeps a number's own text where the browser lets it see it (JSON.parse source text access). */
function keepDigits (_key, value, context) {
  if (typeof value === 'number' && typeof context?.source === 'string' && context.source !== String(value)) return new ExactNumber(context.source)
  return value
}

/** A value as JSON text, its numbers as the answer wrote them. */
function exactJson (value) {
  if (value instanceof ExactNumber) return value.text
  if (Array.isArray(value)) return `[${value.map(exactJson).join(',')}]`
  if (typeof value === 'object' && value !== null) return `{${Object.entries(value).map(([key, item]) => `${JSON.stringify(key)}:${exactJson(item)}`).join(',')}}`
  return JSON.stringify(value)
}

function cellText (value) {
  if (value === null) return 'NULL'
  if (typeof value === 'object') return exactJson(value)
  return String(value)
}

/** A result set's columns (with their types) and rows into `table`. */
function fillTable (table, set) {
  const head = document.createElement('tr')
  for (const column of set.columns) {
    const th = document.createElement('th')
    th.scope = 'col'
    th.append(document.createTextNode(column.name))
    th.append(Object.assign(document.createElement('span'), { className: 'type', textContent: column.type }))
    head.append(th)
  }
  const rows = set.rows.map((row) => {
    const tr = document.createElement('tr')
    const values = Array.isArray(row) ? row : set.columns.map((column) => row[column.name])
    for (const value of values) {
      const td = document.createElement('td')
      td.textContent = cellText(value)
      if (value === null) td.className = 'null'
      tr.append(td)
    }
    return tr
  })
  table.tHead.replaceChildren(head)
  table.tBodies[0].replaceChildren(...rows)
}

/** A CALL's result sets after the first, each under a line that says which it is. */
function moreResultsElements (sets) {
  return sets.flatMap((set, i) => {
    const rowWord = set.row_count === 1 ? 'row' : 'rows'
    const meta = Object.assign(document.createElement('p'), {
      className: 'muted',
      textContent: `Result set ${i + 2}: ${set.row_count} ${rowWord}${set.truncated ? ' (truncated: the query returned more)' : ''}`
    })
    const table = document.createElement('table')
    table.append(document.createElement('thead'), document.createElement('tbody'))
    fillTable(table, set)
    const wrap = Object.assign(document.createElement('div'), { className: 'table-wrap' })
    wrap.append(table)
    return [meta, wrap]
  })
}

function showResult (result) {
  fillTable($('result-table'), result)
  $('more-results').replaceChildren(...moreResultsElements(result.more_results ?? []))

  const rowWord = result.row_count === 1 ? 'row' : 'rows'
  const affected = (result.affected_rows === undefined ? '' : `, ${result.affected_rows} affected`) +
    (result.insert_id === undefined ? '' : `, id ${result.insert_id}`)
  $('result-meta').textContent = `${result.row_count} ${rowWord}${affected} in ${result.execution_time_ms} ms · ${result.database_name}`
  const warnings = $('warnings')
  warnings.hidden = result.warnings === undefined
  warnings.replaceChildren(...(result.warnings ?? []).map((warning) => {
    const li = document.createElement('li')
    li.textContent = `${warning.level} ${warning.code}: ${warning.message}`
    return li
  }))
  const truncated = $('truncated')
  truncated.hidden = !result.truncated
  truncated.textContent = result.truncated
    ? `Truncated: only the first ${result.row_count} rows are shown; the query returned more.`
    : ''
  $('results').hidden = false
}

async function loadHistory () {
  const { ok, body } = await api('GET', 'api/query/history')
  if (!ok) return
  const items = body.queries.map((entry) => {
    const li = document.createElement('li')
    const button = Object.assign(document.createElement('button'), { type: 'button', textContent: entry.query, title: 'Put this query back in the editor' })
    if (entry.status === 'error') button.className = 'status-error'
    button.addEventListener('click', () => {
      sqlInput.value = entry.query
      sqlInput.focus()
    })
    const exported = entry.format === undefined ? '' : `${entry.format.toUpperCase()} download · `
    const meta = exported + (entry.status === 'ok'
      ? `${entry.row_count} rows${entry.truncated === true ? ' (cut at max_rows)' : ''} · ${entry.execution_time_ms} ms`
      : `${entry.error_code}${entry.format === undefined ? '' : ` after ${entry.row_count} rows`}`)
    li.append(button, Object.assign(document.createElement('span'), { className: 'meta', textContent: meta }))
    return li
  })
  $('history').replaceChildren(...items)
  $('history-empty').hidden = items.length > 0
}

async function loadDatabases () {
  const { ok, body } = await api('GET', 'api/database/list')
  if (!ok) {
    showError(body)
    return
  }
  const options = body.databases.map(({ name }) => Object.assign(document.createElement('option'), { value: name, textContent: name }))
  databaseSelect.replaceChildren(databaseSelect.options[0], ...options)
}

async function loadContext () {
  const { ok, body } = await api('GET', 'api/database/context')
  if (!ok) {
    showError(body)
    return
  }
  const name = body.database_context?.database_name ?? null
  if (name !== null) databaseSelect.value = name
  showContext(name)
}

async function selectDatabase () {
  const name = databaseSelect.value
  if (name === '') return
  clearError()
  $('results').hidden = true
  const { ok, body } = await api('POST', 'api/database/select', { database_name: name })
  if (!ok) {
    showError(body)
    return
  }
  showContext(body.database_name)
  sessionStatus.textContent += ` (${body.total_tables} ${body.total_tables === 1 ? 'table' : 'tables'})`
}

/** The database this tab shows: the service refuses to run a query in another one. */
function expectedDatabase () {
  return databaseSelect.value === '' ? {} : { expect_database: databaseSelect.value }
}

async function run () {
  const query = sqlInput.value.trim()
  if (query === '' || runButton.disabled) return
  clearError()
  // The last result is not this query's: gone the moment it starts.
  $('results').hidden = true
  runButton.disabled = true
  runButton.textContent = 'Running…'
  running = new AbortController()
  stopButton.hidden = false
  try {
    // Arrays: a join's columns that share a name are shown under the names the server gave them.
    const { ok, body } = await api('POST', 'api/query', { query, row_format: 'array', ...expectedDatabase() }, running.signal)
    if (ok) showResult(body)
    else showError(body)
  } finally {
    const stopped = running.signal.aborted
    running = null
    stopButton.hidden = true
    runButton.disabled = false
    runButton.textContent = 'Run'
    // The service notices a stopped read within half a second and records it: then it is in the history.
    if (stopped) await new Promise((resolve) => setTimeout(resolve, 1000))
    await loadHistory()
  }
}

/**
 * Downloads the statement's rows as a file. The page asks for a single-use ticket (the statement
 * is checked then, so a refusal shows here), and the browser follows its link: the file streams
 * to disk, never through this page's memory.
 */
async function download () {
  const query = sqlInput.value.trim()
  if (query === '') return
  clearError()
  const { ok, body } = await api('POST', 'api/query/export/ticket', { query, format: $('export-format').value, ...expectedDatabase() })
  if (!ok) {
    showError(body)
    return
  }
  const link = Object.assign(document.createElement('a'), { href: `api/query/export/${encodeURIComponent(body.ticket)}`, download: '' })
  document.body.append(link)
  link.click()
  link.remove()
  // The export's outcome (its rows, or why it stopped) is in the history once it ends.
  setTimeout(loadHistory, 1500)
}

databaseSelect.addEventListener('change', selectDatabase)
$('download').addEventListener('click', download)
runButton.addEventListener('click', run)
// The request's connection closes, and the service stops a read whose client has gone.
stopButton.addEventListener('click', () => running?.abort())
sqlInput.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
    event.preventDefault()
    run()
  }
})

apiKeyForm.addEventListener('submit', async (event) => {
  event.preventDefault()
  apiKey = $('api-key').value.trim() || null
  apiKeyForm.hidden = true
  clearError()
  await start()
})

async function start () {
  // Order matters: the list must exist before the context can select its entry.
  await loadDatabases()
  await Promise.all([loadContext(), loadHistory()])
}

await start()
