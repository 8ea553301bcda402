import type { ResultSet } from './api.js'
import { cellText, isNumericType, numberOf } from './values.js'
import { initialWidth, MIN_WIDTH, showsWhole } from './column-widths.js'

const ROW_HEIGHT = 26
/** Rows drawn beyond the visible ones, above and below, so a fast scroll shows no gap. */
const OVERSCAN = 20

interface Cell { row: number, col: number }

/**
 * A result grid (WAI-ARIA grid): only the rows in view (and a few around them) are in the DOM,
 * whatever the result's size, at a fixed row height. Columns sort (click a header; numbers as
 * numbers, NULL last) and resize (drag a header's edge); numbers are right-aligned, NULL is
 * styled apart from the empty string, rows are numbered. Arrow keys move the active cell,
 * Shift extends a selection, and copying gives the selection as tab-separated values. The
 * windowing is these few lines rather than TanStack Virtual: used without a framework, its
 * Virtualizer is driven through its underscore lifecycle methods (TanStack/virtual#699), and a
 * fixed row height needs no measuring.
 */
export class ResultGrid {
  readonly element = document.createElement('div')
  private readonly head = document.createElement('div')
  private readonly body = document.createElement('div')
  private readonly spacer = document.createElement('div')
  private set: ResultSet = { columns: [], rows: [], row_count: 0, truncated: false }
  /** Row order: indexes into set.rows. */
  private order: number[] = []
  private sort: { col: number, dir: 1 | -1 } | null = null
  private widths: number[] = []
  private anchor: Cell = { row: 0, col: 0 }
  private active: Cell = { row: 0, col: 0 }
  private drawn = ''

  constructor () {
    this.element.className = 'grid'
    this.element.setAttribute('role', 'grid')
    this.element.tabIndex = 0
    this.head.className = 'grid-head'
    this.head.setAttribute('role', 'rowgroup')
    this.body.className = 'grid-body'
    this.body.setAttribute('role', 'rowgroup')
    this.spacer.className = 'grid-spacer'
    this.body.append(this.spacer)
    this.element.append(this.head, this.body)
    this.body.addEventListener('scroll', () => this.draw())
    this.element.addEventListener('keydown', (event) => this.key(event))
    this.element.addEventListener('copy', (event) => {
      event.clipboardData?.setData('text/plain', this.selectionTsv())
      event.preventDefault()
    })
    this.body.addEventListener('mousedown', (event) => this.click(event))
  }

  show (set: ResultSet): void {
    this.set = set
    this.order = set.rows.map((_, i) => i)
    this.sort = null
    this.widths = set.columns.map((_, col) => initialWidth(set, col))
    this.anchor = this.active = { row: 0, col: 0 }
    this.element.setAttribute('aria-rowcount', String(set.rows.length + 1))
    this.element.setAttribute('aria-colcount', String(set.columns.length + 1))
    this.spacer.style.height = `${set.rows.length * ROW_HEIGHT}px`
    this.body.scrollTop = 0
    this.body.scrollLeft = 0
    this.layout()
    this.drawHead()
    this.drawn = ''
    this.draw()
  }

  /** The columns' widths, as one CSS grid template for the header and every row. */
  private layout (): void {
    const digits = String(this.set.rows.length).length
    this.element.style.setProperty('--grid-columns', `${digits * 9 + 20}px ${this.widths.map((w) => `${w}px`).join(' ')}`)
  }

  private drawHead (): void {
    const row = document.createElement('div')
    row.className = 'grid-row'
    row.setAttribute('role', 'row')
    row.setAttribute('aria-rowindex', '1')
    const corner = Object.assign(document.createElement('div'), { className: 'rownum', textContent: '#' })
    corner.setAttribute('role', 'columnheader')
    row.append(corner, ...this.set.columns.map((column, col) => {
      const header = document.createElement('div')
      header.setAttribute('role', 'columnheader')
      header.setAttribute('aria-sort', this.sort?.col !== col ? 'none' : this.sort.dir === 1 ? 'ascending' : 'descending')
      if (isNumericType(column.type)) header.classList.add('number')
      const button = Object.assign(document.createElement('button'), { type: 'button', className: 'sort', title: `Sort by ${column.name}` })
      button.append(Object.assign(document.createElement('span'), { className: 'name', textContent: column.name }), Object.assign(document.createElement('span'), { className: 'type', textContent: column.type }))
      button.addEventListener('click', () => this.sortBy(col))
      const resizer = Object.assign(document.createElement('span'), { className: 'resizer', title: 'Drag to resize' })
      resizer.addEventListener('pointerdown', (event) => this.resize(event, col))
      header.append(button, resizer)
      return header
    }))
    this.head.replaceChildren(row)
  }

  /** The rows in view, drawn again only when the range or the rows' order changed. */
  private draw (): void {
    const first = Math.max(0, Math.floor(this.body.scrollTop / ROW_HEIGHT) - OVERSCAN)
    const last = Math.min(this.order.length, Math.ceil((this.body.scrollTop + this.body.clientHeight) / ROW_HEIGHT) + OVERSCAN)
    const key = `${first}:${last}:${this.sort?.col}:${this.sort?.dir}:${this.active.row}:${this.active.col}:${this.anchor.row}:${this.anchor.col}`
    if (key === this.drawn) return
    this.drawn = key
    const rows: HTMLElement[] = []
    for (let position = first; position < last; position++) rows.push(this.drawRow(position))
    this.spacer.replaceChildren(...rows)
  }

  private drawRow (position: number): HTMLElement {
    const values = this.set.rows[this.order[position]!]!
    const row = document.createElement('div')
    row.className = 'grid-row'
    row.setAttribute('role', 'row')
    row.setAttribute('aria-rowindex', String(position + 2))
    row.style.transform = `translateY(${position * ROW_HEIGHT}px)`
    const number = Object.assign(document.createElement('div'), { className: 'rownum', textContent: String(position + 1) })
    number.setAttribute('role', 'rowheader')
    row.append(number)
    const [top, bottom, left, right] = this.bounds()
    this.set.columns.forEach((column, col) => {
      const value = values[col]
      const text = cellText(value)
      const cell = Object.assign(document.createElement('div'), { textContent: text })
      if (!showsWhole(text, this.widths[col]!)) cell.title = text.slice(0, 4000)
      cell.setAttribute('role', 'gridcell')
      cell.dataset.row = String(position)
      cell.dataset.col = String(col)
      if (value === null) cell.classList.add('null')
      if (isNumericType(column.type)) cell.classList.add('number')
      if (position >= top && position <= bottom && col >= left && col <= right) cell.setAttribute('aria-selected', 'true')
      if (position === this.active.row && col === this.active.col) cell.classList.add('active')
      row.append(cell)
    })
    return row
  }

  private sortBy (col: number): void {
    const dir = this.sort?.col === col && this.sort.dir === 1 ? -1 : 1
    this.sort = { col, dir }
    const numeric = isNumericType(this.set.columns[col]!.type)
    const rows = this.set.rows
    const compare = (a: unknown, b: unknown): number => {
      if (a === null || b === null) return a === null ? (b === null ? 0 : 1) : -1
      if (numeric) return (numberOf(a) - numberOf(b)) * dir
      return cellText(a).localeCompare(cellText(b), undefined, { numeric: true }) * dir
    }
    this.order.sort((x, y) => compare(rows[x]![col], rows[y]![col]))
    this.drawHead()
    this.draw()
  }

  private resize (event: PointerEvent, col: number): void {
    event.preventDefault()
    const startX = event.clientX
    const startWidth = this.widths[col]!
    const move = (e: PointerEvent) => {
      this.widths[col] = Math.max(MIN_WIDTH, startWidth + e.clientX - startX)
      this.layout()
    }
    const up = () => {
      window.removeEventListener('pointermove', move)
      window.removeEventListener('pointerup', up)
      // The drawn cells' tooltips follow the new width.
      this.drawn = ''
      this.draw()
    }
    window.addEventListener('pointermove', move)
    window.addEventListener('pointerup', up)
  }

  private click (event: MouseEvent): void {
    const cell = (event.target as HTMLElement).closest<HTMLElement>('[role="gridcell"]')
    if (cell === null) return
    const at = { row: Number(cell.dataset.row), col: Number(cell.dataset.col) }
    this.active = at
    if (!event.shiftKey) this.anchor = at
    this.drawn = ''
    this.draw()
    this.element.focus()
  }

  private key (event: KeyboardEvent): void {
    const moves: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1], PageUp: [-20, 0], PageDown: [20, 0] }
    const move = moves[event.key]
    if (move === undefined || this.order.length === 0) return
    event.preventDefault()
    this.active = {
      row: Math.min(this.order.length - 1, Math.max(0, this.active.row + move[0])),
      col: Math.min(this.set.columns.length - 1, Math.max(0, this.active.col + move[1]))
    }
    if (!event.shiftKey) this.anchor = this.active
    const top = this.active.row * ROW_HEIGHT
    if (top < this.body.scrollTop) this.body.scrollTop = top
    else if (top + ROW_HEIGHT > this.body.scrollTop + this.body.clientHeight) this.body.scrollTop = top + ROW_HEIGHT - this.body.clientHeight
    this.drawn = ''
    this.draw()
  }

  /** The selection's rows and columns: from the anchor to the active cell. */
  private bounds (): [number, number, number, number] {
    return [Math.min(this.anchor.row, this.active.row), Math.max(this.anchor.row, this.active.row), Math.min(this.anchor.col, this.active.col), Math.max(this.anchor.col, this.active.col)]
  }

  /** The selected cells as tab-separated values, a row a line; NULL as an empty field. */
  private selectionTsv (): string {
    const [top, bottom, left, right] = this.bounds()
    const lines: string[] = []
    for (let position = top; position <= bottom; position++) {
      const values = this.set.rows[this.order[position]!]!
      const fields: string[] = []
      for (let col = left; col <= right; col++) fields.push(values[col] === null ? '' : cellText(values[col]).replace(/[\t\r\n]/g, ' '))
      lines.push(fields.join('\t'))
    }
    return lines.join('\n')
  }
}
