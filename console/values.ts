/**
 * A number as the answer wrote it, where JavaScript would show it otherwise: a JSON value's
 * 9007199254740993 (sqlgate sends it exactly) would read 9007199254740992.
 */
export class ExactNumber {
  constructor (readonly text: string) {}
}

/** JSON.parse reviver: keeps a number's own text where the browser lets it see it (JSON.parse source text access). */
export function keepDigits (_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value === 'number' && typeof context?.source === 'string' && context.source !== String(value)) return new ExactNumber(context.source)
  return value
}

/** A value as JSON text, its numbers as the answer wrote them. */
export function exactJson (value: unknown): string {
  if (value instanceof ExactNumber) return value.text
  if (Array.isArray(value)) return `[${value.map(exactJson).join(',')}]`
  if (typeof value === 'object' && value !== null) return `{${Object.entries(value).map(([key, item]) => `${JSON.stringify(key)}:${exactJson(item)}`).join(',')}}`
  return JSON.stringify(value)
}

/** What a cell shows: NULL for null (styled apart from the empty string), JSON as its text. */
export function cellText (value: unknown): string {
  if (value === null || value === undefined) return 'NULL'
  if (typeof value === 'object') return exactJson(value)
  return String(value)
}

const NUMERIC = new Set(['TINYINT', 'SMALLINT', 'MEDIUMINT', 'INT', 'BIGINT', 'DECIMAL', 'FLOAT', 'DOUBLE', 'YEAR', 'BIT'])
const TEMPORAL = new Set(['DATE', 'DATETIME', 'TIMESTAMP'])

/** The column holds numbers (right-aligned, sorted and charted as numbers), whatever its JSON form. */
export const isNumericType = (type: string): boolean => NUMERIC.has(type.replace(/ UNSIGNED$/, ''))
export const isTemporalType = (type: string): boolean => TEMPORAL.has(type)

/** A value as a number, for sorting and charts: NaN when it is none. */
export function numberOf (value: unknown): number {
  if (value instanceof ExactNumber) return Number(value.text)
  if (typeof value === 'number') return value
  if (typeof value === 'string' && value.trim() !== '') return Number(value)
  return Number.NaN
}
