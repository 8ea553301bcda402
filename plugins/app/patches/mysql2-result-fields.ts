import type { FieldPacket } from 'mysql2'

/**
 * PATCH of mysql2 3.x (no public API does this): prepares a result's fields, on its command's
 * `fields` event, for the row parser mysql2 compiles right after that event, and gives them back
 * after the statement (`restore`).
 *
 * - A column named `__proto__` (or one of four other names mysql2 keeps from its row objects)
 *   makes mysql2 throw while compiling the parser, whatever the row format: a fatal error that
 *   closed the connection and answered 503 for `SELECT 1 AS __proto__`. The field is renamed to a
 *   stand-in while the parser is built (rows are read as arrays; plugins/app/query/values.ts names them).
 * - A result wider than WIDE_RESULT_COLUMNS is read by mysql2's interpreting parser instead of one
 *   compiled for its shape: compiled parsers are cached per shape and grow with the columns (about
 *   120 kB at 64 columns, several MB at the thousands a long SELECT can ask for; 100 shapes of
 *   1,000 columns held 17 MB), and each took tens of milliseconds to compile. mysql2 has only a
 *   connection-wide disableEval.
 *
 * test/plugins/app/patches/mysql2-result-fields.test.ts fails once mysql2 reads such names on its own, or
 * offers a per-query disableEval: then this file can go.
 */

/** Results wider than this are read by mysql2's interpreting row parser. */
export const WIDE_RESULT_COLUMNS = 64

/** Names mysql2's row parsers refuse (its `privateObjectProps`). */
export const REFUSED_NAMES = new Set(['__proto__', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__'])

/** A name no column has: a NUL and a fixed tag. */
const STAND_IN = '\u0000sqlgate:'

export const noRestore = (): void => {}

/** Prepares `fields` for the parser `command` builds next; returns what gives them back. */
export function prepareResultFields (command: object, fields: FieldPacket[]): () => void {
  ;(command as { options: { disableEval?: boolean } }).options.disableEval = fields.length > WIDE_RESULT_COLUMNS
  let renamed: Array<[FieldPacket, string]> | null = null
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!
    if (!REFUSED_NAMES.has(field.name)) continue
    ;(renamed ??= []).push([field, field.name])
    field.name = STAND_IN + String(i)
  }
  if (renamed === null) return noRestore
  const changed = renamed
  return () => { for (const [field, name] of changed) field.name = name }
}
