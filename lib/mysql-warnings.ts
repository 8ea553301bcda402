import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

/**
 * How many warnings a statement's result set left, and its status flags: both are in the EOF packet
 * that ends it, which mysql2 reads and drops (an OK packet's it keeps, as `warningStatus` and
 * `serverStatus`). Its two row
 * readers, the text protocol's and the binary protocol's (one function), are wrapped here once
 * to note the count on the command. mysql2 reaches them through its prototypes on every packet
 * (`return Query.prototype.row`), so the wrapper stays in place for the whole result.
 *
 * mysql2's package exports do not name its command classes: they are loaded by file path, from
 * the same installed copy as the pool's (test/routes/query-warnings.test.ts fails if that breaks).
 */
const require = createRequire(import.meta.url)
const root = dirname(require.resolve('mysql2'))

interface EofPacket { isEOF: () => boolean, eofWarningCount: () => number, eofStatusFlags: () => number }
type RowReader = (this: object, packet: EofPacket, connection: unknown) => unknown
interface CommandClass { prototype: { row: RowReader } }

const kWarnings = Symbol('sqlgate.warningCount')
const kStatus = Symbol('sqlgate.statusFlags')
type Noted = object & { [kWarnings]?: number, [kStatus]?: number }

const Query = require(join(root, 'lib/commands/query.js')) as CommandClass
const Execute = require(join(root, 'lib/commands/execute.js')) as CommandClass
const row = Query.prototype.row
if (typeof row !== 'function' || Execute.prototype.row !== row) {
  throw new Error('mysql2 changed: its Query and Execute commands no longer share one row reader (lib/mysql-warnings.ts)')
}
const rowNotingWarnings: RowReader = function (this: Noted, packet, connection) {
  if (packet.isEOF()) {
    this[kWarnings] = packet.eofWarningCount()
    this[kStatus] = (this[kStatus] ?? 0) | (packet.eofStatusFlags() & 0xffff)
  }
  return row.call(this, packet, connection)
}
Query.prototype.row = rowNotingWarnings
Execute.prototype.row = rowNotingWarnings

/**
 * The server status flags of every result set `command` read, together (0 when it read none): a
 * read's only sign that it changed its session (SERVER_SESSION_STATE_CHANGED: a stored function
 * that set a user variable).
 */
export function resultSetStatus (command: object): number {
  return (command as Noted)[kStatus] ?? 0
}

/** The warnings of the result set `command` read last (0 when it read none). */
export function resultSetWarnings (command: object): number {
  return (command as Noted)[kWarnings] ?? 0
}
