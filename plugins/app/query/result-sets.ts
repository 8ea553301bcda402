import type { FieldPacket } from 'mysql2'
import { columnTypeName, isNullableField } from './column-types.js'
import { cutToFit, cuttableColumns, rowSize } from './answer-size.js'
import { longTextColumns, weighsWithin } from './long-values.js'
import { clientNames, type SelectItems } from './sql/column-names.js'
import { resultReader, type Row, type RowConverter } from './values.js'
import type { ResultColumn, ResultSet } from '../../../schemas/query.js'

/** A result set as it is read: its rows converted, capped at max_rows and at the answer's byte budget. */
export interface ReadSet {
  fields: FieldPacket[]
  /** The columns' names; where two share one, object rows' keys (the answer's `columns` name them so). */
  keys: readonly string[] | null
  rows: Row[]
  truncated: boolean
  convert: RowConverter
  /** What each row's keys add to the answer (object rows). */
  keyBytes: number
  /** Which columns may be cut to fit the answer's budget (./answer-size.ts). */
  cuttable: boolean[]
  /** The columns of its first row that were cut to fit the budget, or null. */
  cut: string[] | null
  /** Text columns whose values arrive as bytes (./long-values.ts), decoded as far as the budget holds. */
  longText: number[]
}

export interface AnswerLimits {
  maxRows: number
  /** About how large the answer's rows may be as JSON (./answer-size.ts); a first row past it is cut to fit. */
  maxBytes: number
  rowsAsArray: boolean
  /** The rows come from a prepared statement (the binary protocol). */
  binary: boolean
  /** The statement's select list as written: the columns are named after it (./sql/column-names.ts). */
  columns: SelectItems | null
}

/**
 * The result sets of one statement's answer as their rows arrive, within the answer's limits:
 * each set at most `maxRows` rows, all of them together about `maxBytes` of JSON. What does not fit
 * is not kept, and the set it would have gone to says `truncated`.
 */
export class ResultSets {
  readonly sets: ReadSet[] = []
  /** The result set whose rows are coming. */
  private current: ReadSet | undefined
  private bytes = 0

  constructor (private readonly limits: AnswerLimits) {}

  /**
   * A result set's fields arrived: its rows come next. False when the answer is full already, so
   * neither this set nor any later one is kept.
   */
  open (fields: FieldPacket[]): boolean {
    const { rowsAsArray, binary, maxBytes, columns } = this.limits
    const named = clientNames(fields.map((field) => field.name), columns)
    const reader = resultReader(fields, named, rowsAsArray, binary)
    const names = reader.keys ?? named
    const keyBytes = rowsAsArray ? 0 : names.reduce((sum, key) => sum + key.length + 3, 0)
    const set: ReadSet = { fields, keys: names, rows: [], truncated: false, convert: reader.convert, keyBytes, cuttable: cuttableColumns(fields), cut: null, longText: longTextColumns(fields) }
    this.current = set
    if (this.sets.length > 0) {
      // A later result set (a CALL's) counts toward the answer's size with its columns, so a
      // procedure that SELECTs in a loop cannot build an answer of millions of empty sets.
      this.bytes += setSize(fields)
      if (this.bytes > maxBytes) {
        this.sets[this.sets.length - 1]!.truncated = true
        set.truncated = true
        return false
      }
    }
    this.sets.push(set)
    return true
  }

  /**
   * A row of the current set, as the driver read it. False when it is past the answer's limits
   * and a read can stop here: the rows that follow would not be kept either.
   */
  add (row: unknown[]): boolean {
    const set = this.current!
    const { maxRows, maxBytes } = this.limits
    if (!set.truncated) {
      if (set.rows.length < maxRows) {
        // A long value is decoded only if it fits what is left of the budget; one that does not
        // stays bytes, and the row cannot fit whole: it is cut (the first) or left out.
        let fits = true
        for (const index of set.longText) {
          const value = row[index]
          if (!Buffer.isBuffer(value)) continue
          if (weighsWithin(value, maxBytes - this.bytes)) row[index] = value.toString('utf8')
          else fits = false
        }
        const size = fits ? rowSize(row, maxBytes - this.bytes) + set.keyBytes : maxBytes + 1
        if (this.bytes + size <= maxBytes) {
          this.bytes += size
          set.rows.push(set.convert(row))
          return true
        }
        if (set.rows.length === 0 && set === this.sets[0]) {
          // A first row larger than the whole budget: its long values are cut to fit, and the
          // answer says which; never sent whole.
          const fitted = cutToFit(row, set.keys ?? [], set.cuttable, set.longText, maxBytes - this.bytes - set.keyBytes)
          this.bytes = maxBytes
          set.cut = fitted.cut
          set.truncated = true
          set.rows.push(set.convert(fitted.row as unknown[]))
          return true
        }
        this.bytes += size // past the budget: no later result set is kept either
      }
      set.truncated = true
      // The one row past max_rows that sql_select_limit lets through: the result ends next.
      if (set.rows.length === maxRows) return true
    }
    return false
  }

  /** A row is coming (a status packet comes with no result set open). */
  get reading (): boolean {
    return this.current !== undefined
  }
}

/** About the JSON size of a result set in `more_results` without its rows: its columns and fixed fields. */
function setSize (fields: FieldPacket[]): number {
  let size = 64
  for (let i = 0; i < fields.length; i++) size += fields[i]!.name.length + 48
  return size
}

export function columnsOf ({ fields, keys }: ReadSet): ResultColumn[] {
  return fields.map((field, i) => ({ name: keys === null ? field.name : keys[i]!, type: columnTypeName(field), nullable: isNullableField(field) }))
}

export function resultSet (set: ReadSet): ResultSet {
  return {
    columns: columnsOf(set),
    rows: set.rows,
    row_count: set.rows.length,
    truncated: set.truncated
  }
}
