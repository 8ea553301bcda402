import { AppError } from '../../errors/errors.js'
import type { Token } from './lexer.js'
import { afterCtes, isCall, isPunct, keyword, looseName, pastOptions } from './tokens.js'

/**
 * What a read may be: SELECT (also parenthesised and with UNION), WITH … SELECT, TABLE, VALUES,
 * SHOW, DESCRIBE/DESC, and EXPLAIN of a read; and inside it nothing that writes, locks or leaves
 * state on the connection: INTO (OUTFILE, DUMPFILE, @variables), FOR UPDATE / FOR SHARE / LOCK IN
 * SHARE MODE, `:=` assignments, sequence advances, lock and file functions, however their names
 * are spelled (case, backticks, comments before the parenthesis).
 */

export const READ_STARTS = new Set(['SELECT', 'WITH', 'TABLE', 'VALUES', 'SHOW', 'DESCRIBE', 'DESC', 'EXPLAIN'])

/** Functions that take locks, read the server's files, advance sequences or wait on replication. */
const DENIED_FUNCTIONS = new Set([
  'GET_LOCK', 'RELEASE_LOCK', 'RELEASE_ALL_LOCKS',
  'LOAD_FILE',
  'NEXTVAL', 'SETVAL',
  'MASTER_POS_WAIT', 'SOURCE_POS_WAIT', 'MASTER_GTID_WAIT', 'WAIT_FOR_EXECUTED_GTID_SET', 'WAIT_UNTIL_SQL_THREAD_AFTER_GTIDS',
  'WSREP_SYNC_WAIT_UPTO_GTID',
  'SYS_EXEC', 'SYS_EVAL', 'SERVICE_GET_READ_LOCKS', 'SERVICE_GET_WRITE_LOCKS', 'SERVICE_RELEASE_LOCKS'
])

const EXPLAIN_MODIFIERS = new Set(['ANALYZE', 'EXTENDED', 'PARTITIONS', 'FORMAT', 'VERBOSE'])
/** What may stand between EXPLAIN and what it explains: its modifiers, and MySQL's FOR SCHEMA | DATABASE db. */
const EXPLAIN_OPTIONS = new Set([...EXPLAIN_MODIFIERS, 'FOR'])
/** The statements EXPLAIN may describe here: reads. */
const EXPLAINABLE_READS = new Set(['SELECT', 'TABLE', 'VALUES', 'WITH'])

/** Throws read_only_violation unless the statement (its first keyword `word`) only reads. */
export function checkRead (statement: readonly Token[], word: string): void {
  if (!READ_STARTS.has(word)) throw readOnlyViolation(`${word} statements are refused`)
  if (word === 'WITH') checkWithBody(statement)
  if (word === 'EXPLAIN' || word === 'DESCRIBE' || word === 'DESC') checkExplained(statement)
  checkTokens(statement)
}

/** Everything inside a read that writes, locks or leaves state behind. */
function checkTokens (tokens: readonly Token[]): void {
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!
    if (isPunct(token, ':=') || isPunct(token, ':')) throw readOnlyViolation('assignments (:=) are refused')
    if (isCall(tokens, i)) checkCall(tokens, i)
    const next = keyword(tokens[i + 1])
    switch (keyword(token)) {
      case 'INTO':
        throw readOnlyViolation('SELECT … INTO (OUTFILE, DUMPFILE or variables) is refused')
      case 'FOR':
        if (next === 'UPDATE' || next === 'SHARE') throw readOnlyViolation(`locking reads (FOR ${next}) are refused`)
        if (next === 'CONNECTION') throw readOnlyViolation('EXPLAIN FOR CONNECTION is refused')
        break
      case 'LOCK':
        throw readOnlyViolation('locking reads (LOCK IN SHARE MODE) are refused')
      case 'PROCEDURE':
        throw readOnlyViolation('SELECT … PROCEDURE is refused')
      case 'NEXT':
        if (next === 'VALUE') throw readOnlyViolation('NEXT VALUE FOR advances a sequence and is refused')
        break
    }
  }
}

function checkCall (tokens: readonly Token[], i: number): void {
  const name = looseName(tokens[i])
  if (DENIED_FUNCTIONS.has(name)) throw readOnlyViolation(`${name}() is refused`)
  if (name === 'LAST_INSERT_ID' && !isPunct(tokens[i + 2], ')')) throw readOnlyViolation('LAST_INSERT_ID(expr) sets session state and is refused')
}

/** WITH …: the statement after the CTEs must be a read. */
function checkWithBody (tokens: readonly Token[]): void {
  const main = keyword(tokens[afterCtes(tokens, tokens.findIndex((token) => keyword(token) === 'WITH'))])
  if (!['SELECT', 'TABLE', 'VALUES'].includes(main)) {
    throw readOnlyViolation(`WITH … ${main === '' ? 'anything but SELECT' : main} is refused`)
  }
}

/**
 * EXPLAIN/DESCRIBE of a table (`DESC t [column | 'pattern']`) or of a read, and nothing else. What
 * else a server explains differs by server and version (MySQL's `FOR SCHEMA db` before a
 * multi-table DELETE, TiDB's ALTER TABLE, IMPORT INTO and plan digests), and with ANALYZE some of
 * them run: so the statement explained is named by what it may be, not by what it may not.
 */
function checkExplained (tokens: readonly Token[]): void {
  if (describesTable(tokens)) return
  let i = pastOptions(tokens, 1, EXPLAIN_OPTIONS)
  while (isPunct(tokens[i], '(')) i++
  const target = keyword(tokens[i])
  if (!EXPLAINABLE_READS.has(target)) {
    throw readOnlyViolation(`EXPLAIN of ${target === '' ? 'anything but a read or a table' : target} is refused`)
  }
  if (target === 'WITH') checkWithBody(tokens.slice(i))
}

/**
 * `DESC name[.name] [column | 'pattern']`: the columns of a table. A lone word is a table's name
 * (`DESC format`); before more, an EXPLAIN modifier is one (`EXPLAIN ANALYZE 'digest'`).
 */
function describesTable (tokens: readonly Token[]): boolean {
  const isName = (token: Token | undefined) => token?.kind === 'ident' || token?.kind === 'word'
  if (!isName(tokens[1])) return false
  if (tokens.length === 2) return true
  if (EXPLAIN_MODIFIERS.has(keyword(tokens[1]))) return false
  let i = 2
  if (isPunct(tokens[i], '.') && isName(tokens[i + 1])) i += 2
  if (isName(tokens[i]) || tokens[i]?.kind === 'string') i++
  return i === tokens.length
}

export function readOnlyViolation (reason: string): AppError {
  return new AppError('read_only_violation',
    `This gateway is read-only: ${reason}. Only SELECT, WITH … SELECT, SHOW, DESCRIBE and EXPLAIN run here; nothing was sent to the database.`)
}
