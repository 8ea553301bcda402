import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

/**
 * PATCH of mysql2 3.x (no public API gives it): how many warnings a statement's result set left,
 * and its status flags. Both are in the EOF packet that ends the result set, which mysql2 reads and
 * drops (an OK packet's it keeps, as `warningStatus` and `serverStatus`). Its two row readers, the
 * text protocol's and the binary protocol's (one function), are wrapped here once to note them on
 * the command; mysql2 reaches them through its prototypes on every packet.
 *
 * Why: a read's warnings are answered with it (`SHOW WARNINGS` on its connection only when there
 * are some), and a read whose stored function changed its session (SERVER_SESSION_STATE_CHANGED)
 * has its connection reset. Without the count, every read would need a second round trip
 * (`SELECT @@warning_count`) to learn whether it left warnings.
 *
 * mysql2's package exports do not name its command classes: they are loaded by file path, from
 * the same installed copy as the pool's. test/plugins/app/patches/mysql2-result-status.test.ts fails if that
 * breaks, and once mysql2 hands the EOF packet's warnings to its callers: then this file can go.
 */
const require = createRequire(import.meta.url)
const root = dirname(require.resolve('mysql2'))

interface EofPacket { isEOF: () => boolean, eofWarningCount: () => number, eofStatusFlags: () => number }
type RowReader = (this: object, packet: EofPacket, connection: unknown) => unknown
interface CommandClass { prototype: { row: RowReader } }

/**
 * One property per command, as before the status was noted too (every property added to mysql2's
 * command objects is a change of shape in its hot code): the last result set's warning count in
 * the low 16 bits, every result set's status flags together in the next 16.
 */
const kEof = Symbol('sqlgate.eof')
type Noted = object & { [kEof]?: number }

const Query = require(join(root, 'lib/commands/query.js')) as CommandClass
const Execute = require(join(root, 'lib/commands/execute.js')) as CommandClass
const row = Query.prototype.row
if (typeof row !== 'function' || Execute.prototype.row !== row) {
  throw new Error('mysql2 changed: its Query and Execute commands no longer share one row reader (plugins/app/patches/mysql2-result-status.ts)')
}
const rowNotingWarnings: RowReader = function (this: Noted, packet, connection) {
  if (packet.isEOF()) {
    const status = ((this[kEof] ?? 0) >>> 16) | (packet.eofStatusFlags() & 0xffff)
    this[kEof] = status * 0x10000 + (packet.eofWarningCount() & 0xffff)
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
  return ((command as Noted)[kEof] ?? 0) >>> 16
}

/** The warnings of the result set `command` read last (0 when it read none). */
export function resultSetWarnings (command: object): number {
  return ((command as Noted)[kEof] ?? 0) & 0xffff
}
