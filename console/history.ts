import type { HistoryEntry } from './api.js'

/**
 * The history panel: one line per entry (time, status, rows, duration; the whole statement on
 * hover, or what the history kept of a long one, marked cut), filtered by the search box; a click
 * puts the statement back in the editor.
 */
export function renderHistory (list: HTMLElement, empty: HTMLElement, entries: HistoryEntry[], search: string, load: (query: string) => void): void {
  const wanted = search.trim().toLowerCase()
  const shown = entries.filter((entry) => wanted === '' || entry.query.toLowerCase().includes(wanted))
  list.replaceChildren(...shown.map((entry) => {
    const li = document.createElement('li')
    const cut = entry.query_truncated === true ? '\n… (the statement was longer: the history keeps its first 2,048 bytes)' : ''
    const button = Object.assign(document.createElement('button'), { type: 'button', textContent: entry.query, title: entry.query + cut })
    if (entry.status === 'error') button.className = 'status-error'
    button.addEventListener('click', () => load(entry.query))
    const time = new Date(entry.executed_at)
    const what = entry.format === undefined ? '' : `${entry.format.toUpperCase()} download · `
    const outcome = entry.status === 'ok'
      ? `${entry.row_count} rows${entry.truncated === true ? ' (cut)' : ''} · ${Math.round(entry.execution_time_ms)} ms`
      : `${entry.error_code ?? 'error'}${entry.format === undefined ? '' : ` after ${entry.row_count} rows`}`
    const meta = Object.assign(document.createElement('span'), { className: 'meta' })
    meta.append(Object.assign(document.createElement('time'), { dateTime: entry.executed_at, textContent: time.toLocaleTimeString() }), document.createTextNode(` · ${what}${outcome}${cut === '' ? '' : ' · statement cut'}`))
    li.append(button, meta)
    return li
  }))
  empty.hidden = shown.length > 0
  empty.textContent = entries.length === 0 ? 'No queries yet in this session.' : 'No query matches the search.'
}
