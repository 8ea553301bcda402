import type { ResultSet } from './api.js'
import { cellText } from './values.js'

/**
 * The grid's column widths at first: each column as wide as its header and the values of its
 * first rows need, within bounds. A value wider than its column shows cut, and the grid gives its
 * cell the whole text as a tooltip (`showsWhole`).
 */

export const MIN_WIDTH = 48
const MAX_WIDTH = 360
/** About how wide a character of the grid's monospace font is (12.5 px × 0.6), and what a cell adds (padding, border). */
const CHAR_WIDTH = 7.5
const CELL_EXTRA = 18
/** The rows whose values size the columns. */
const SIZED_ROWS = 100

/** The characters a column at MAX_WIDTH holds, and a few more: a value's first line is measured that far. */
const MEASURED_CHARS = Math.ceil(MAX_WIDTH / CHAR_WIDTH) + 4

/** How wide a cell must be to show `text`'s first line uncut (a row shows one line), up to a little past MAX_WIDTH. */
export function textWidth (text: string): number {
  const head = text.length > MEASURED_CHARS ? text.slice(0, MEASURED_CHARS) : text
  const end = head.indexOf('\n')
  return (end === -1 ? head.length : end) * CHAR_WIDTH + CELL_EXTRA
}

/** Whether a cell `width` wide shows all of `text`: one line that fits. */
export const showsWhole = (text: string, width: number): boolean =>
  text.length * CHAR_WIDTH + CELL_EXTRA <= width && !text.includes('\n')

/**
 * A column's first width: enough for its header (name, type, sort arrow, resize handle) and for
 * the values of the first rows, between MIN_WIDTH and MAX_WIDTH.
 */
export function initialWidth (set: ResultSet, col: number): number {
  const column = set.columns[col]!
  let width = column.name.length * CHAR_WIDTH + column.type.length * 6.3 + 48
  const rows = Math.min(set.rows.length, SIZED_ROWS)
  for (let i = 0; i < rows && width < MAX_WIDTH; i++) width = Math.max(width, textWidth(cellText(set.rows[i]![col])))
  return Math.round(Math.min(MAX_WIDTH, Math.max(MIN_WIDTH + 24, width)))
}
