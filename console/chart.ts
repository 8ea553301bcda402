import { Chart, registerables, type ChartConfiguration } from 'chart.js'
import type { ResultSet } from './api.js'
import { cellText, isNumericType, isTemporalType, numberOf } from './values.js'

Chart.register(...registerables)

const KINDS = ['bar', 'line', 'area', 'scatter', 'pie'] as const
type Kind = typeof KINDS[number]
/** Points drawn at most: a chart of more says nothing more, and would take long to draw. */
const MAX_POINTS = 5000

/**
 * A chart of the current result (Chart.js, loaded with the first chart): bar, line, area,
 * scatter or pie, x and y picked from the columns and suggested from their types (a date and a
 * number: a line; a text and a number: bars). Saved as PNG.
 */
export class ResultChart {
  private chart: Chart | null = null
  private set: ResultSet | null = null
  private readonly kind = select('Chart type', KINDS.map((k) => [k, k[0]!.toUpperCase() + k.slice(1)]))
  private readonly x = select('X', [])
  private readonly y = select('Y', [])
  private readonly canvas = document.createElement('canvas')
  private readonly save = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Save PNG' })
  private readonly note = Object.assign(document.createElement('p'), { className: 'muted' })

  constructor (private readonly panel: HTMLElement) {
    const controls = Object.assign(document.createElement('div'), { className: 'chart-controls' })
    controls.append(this.kind.field, this.x.field, this.y.field, this.save)
    const frame = Object.assign(document.createElement('div'), { className: 'chart-frame' })
    this.canvas.setAttribute('role', 'img')
    frame.append(this.canvas)
    panel.append(controls, this.note, frame)
    for (const control of [this.kind, this.x, this.y]) control.select.addEventListener('change', () => this.draw())
    this.save.addEventListener('click', () => {
      if (this.chart === null) return
      const link = Object.assign(document.createElement('a'), { href: this.chart.toBase64Image('image/png', 1), download: 'chart.png' })
      link.click()
    })
  }

  show (set: ResultSet): void {
    this.set = set
    const options = set.columns.map((column, i): [string, string] => [String(i), `${column.name} (${column.type})`])
    this.x.set(options)
    this.y.set(options)
    const numeric = set.columns.findIndex((column) => isNumericType(column.type))
    const temporal = set.columns.findIndex((column) => isTemporalType(column.type))
    const text = set.columns.findIndex((column, i) => i !== numeric && !isNumericType(column.type))
    const xIndex = temporal !== -1 ? temporal : text !== -1 ? text : set.columns.findIndex((_, i) => i !== numeric)
    this.x.select.value = String(Math.max(0, xIndex))
    this.y.select.value = String(Math.max(0, set.columns.findIndex((column, i) => isNumericType(column.type) && i !== xIndex)))
    this.kind.select.value = temporal !== -1 && numeric !== -1 ? 'line' : 'bar'
    this.draw()
  }

  private draw (): void {
    this.chart?.destroy()
    this.chart = null
    const set = this.set
    if (set === null || set.columns.length === 0) return
    const kind = this.kind.select.value as Kind
    const xi = Number(this.x.select.value)
    const yi = Number(this.y.select.value)
    const rows = set.rows.slice(0, MAX_POINTS)
    this.note.textContent = set.rows.length > MAX_POINTS ? `The first ${MAX_POINTS} of ${set.rows.length} rows.` : ''
    const labels = rows.map((row) => cellText(row[xi]))
    const values = rows.map((row) => numberOf(row[yi]))
    const label = set.columns[yi]!.name
    const config: ChartConfiguration = kind === 'scatter'
      ? { type: 'scatter', data: { datasets: [{ label, data: rows.map((row) => ({ x: numberOf(row[xi]), y: numberOf(row[yi]) })) }] }, options: { animation: false } }
      : { type: kind === 'area' ? 'line' : kind, data: { labels, datasets: [{ label, data: values, fill: kind === 'area' }] }, options: { animation: false, maintainAspectRatio: false } }
    this.canvas.setAttribute('aria-label', `${kind} chart of ${label} by ${set.columns[xi]!.name}`)
    this.chart = new Chart(this.canvas, config)
  }
}

function select (name: string, options: Array<[string, string]>) {
  const id = `chart-${name.toLowerCase().replace(/\W+/g, '-')}`
  const label = Object.assign(document.createElement('label'), { htmlFor: id, textContent: name })
  const element = Object.assign(document.createElement('select'), { id })
  const set = (list: Array<[string, string]>) => element.replaceChildren(...list.map(([value, text]) => Object.assign(document.createElement('option'), { value, textContent: text })))
  set(options)
  // A label and its control wrap onto a new line together, never apart.
  const field = Object.assign(document.createElement('span'), { className: 'field' })
  field.append(label, element)
  return { field, select: element, set }
}
