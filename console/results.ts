import type { QueryAnswer } from './api.js'
import type { ResultChart } from './chart.js'
import { ResultGrid } from './grid.js'

const $ = (id: string) => document.getElementById(id)!

/**
 * The current result, as a table (the grid, and a grid per further result set of a CALL) or as a
 * chart (Chart.js, loaded with the first chart, not with the page); the Table and Chart tabs
 * switch between them. Cleared the moment another query starts.
 */
export class ResultView {
  private readonly grid = new ResultGrid()
  private current: QueryAnswer | null = null
  private chart: ResultChart | null = null

  constructor (private readonly failed: (err: unknown) => void) {
    $('grid').append(this.grid.element)
    $('view-table').addEventListener('click', () => this.view('table'))
    $('view-chart').addEventListener('click', () => this.view('chart'))
  }

  clear (): void {
    $('results').hidden = true
    $('chart-panel').hidden = true
    this.current = null
  }

  show (answer: QueryAnswer): void {
    this.current = answer
    const rows = answer.row_count === 1 ? 'row' : 'rows'
    $('result-meta').textContent = `${answer.row_count} ${rows} in ${answer.execution_time_ms} ms`
    const truncated = $('truncated')
    truncated.hidden = !answer.truncated
    truncated.textContent = answer.truncated ? `Only the first ${answer.row_count} rows are shown: the query returned more. Raise Max rows, or download all rows.` : ''
    const warnings = $('warnings')
    warnings.hidden = answer.warnings === undefined
    warnings.replaceChildren(...(answer.warnings ?? []).map((w) => Object.assign(document.createElement('li'), { textContent: `${w.level} ${w.code}: ${w.message}` })))
    // Shown first: a hidden grid cannot be scrolled back to its top, nor measure its rows in view.
    if (!this.chartSelected()) $('results').hidden = false
    this.grid.show(answer)
    $('more-results').replaceChildren(...(answer.more_results ?? []).flatMap((set, i) => {
      const more = new ResultGrid()
      more.show(set)
      return [Object.assign(document.createElement('p'), { className: 'muted', textContent: `Result set ${i + 2}: ${set.row_count} ${set.row_count === 1 ? 'row' : 'rows'}` }), more.element]
    }))
    this.view(this.chartSelected() ? 'chart' : 'table')
  }

  private chartSelected (): boolean {
    return $('view-chart').getAttribute('aria-selected') === 'true'
  }

  private view (which: 'table' | 'chart'): void {
    $('view-table').setAttribute('aria-selected', String(which === 'table'))
    $('view-chart').setAttribute('aria-selected', String(which === 'chart'))
    $('results').hidden = this.current === null || which !== 'table'
    $('chart-panel').hidden = this.current === null || which !== 'chart'
    if (which === 'chart' && this.current !== null) this.drawChart(this.current).catch(this.failed)
  }

  private async drawChart (answer: QueryAnswer): Promise<void> {
    this.chart ??= new (await import('./chart.js')).ResultChart($('chart-panel'))
    this.chart.show(answer)
  }
}
