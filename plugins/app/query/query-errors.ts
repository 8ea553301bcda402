import { AppError } from '../errors/errors.js'
import type { Statement } from './sql/classifier.js'
import { ABANDON_AFTER_MS } from './statement-watchdog.js'

/** The errors of running a statement, beyond what the server itself refuses (../errors/mysql-errors.ts). */

/** A write left a transaction open; `rolledBack`: whether ROLLBACK ended it (not an XA transaction in its PREPARED state). */
export function transactionLeftOpen (rolledBack: boolean): AppError {
  return new AppError('transaction_left_open', rolledBack
    ? 'The statement began a transaction and did not end it (a procedure\'s START TRANSACTION without COMMIT): it was rolled back, so nothing it wrote to transactional tables was kept. Each request runs on its own, in autocommit mode: COMMIT inside the procedure.'
    : 'The statement left a transaction that ROLLBACK cannot end (a procedure\'s XA PREPARE): what it wrote is neither kept nor undone, and the rows it wrote stay locked, until an administrator ends it (XA RECOVER, then XA COMMIT or XA ROLLBACK). Each request runs on its own, in autocommit mode: end the transaction inside the procedure.')
}

export function paramCountMismatch (expected: number, given: number): AppError {
  return new AppError('param_count_mismatch',
    `The statement has ${expected} placeholder${expected === 1 ? '' : 's'} (?) but ${given} value${given === 1 ? ' was' : 's were'} given in params; nothing ran.`,
    { placeholders: expected, params: given })
}

/**
 * A statement with `?` placeholders and no `params` would go as text, and the server would answer
 * a syntax error near '?': the count is named instead, and nothing is sent.
 */
export function requireParams (statement: Pick<Statement, 'placeholders'>, params: readonly unknown[] | undefined): void {
  if (statement.placeholders > 0 && (params === undefined || params.length === 0)) throw paramCountMismatch(statement.placeholders, 0)
}

/** A write that may or may not have taken effect: the connection was lost, or (with `timeoutMs`) the statement outlived its KILL. */
export function writeOutcomeUnknown (timeoutMs?: number): AppError {
  const what = timeoutMs === undefined
    ? 'The connection to the database was lost while the statement ran'
    : `The statement ran past its timeout (${timeoutMs} ms) and had not ended ${ABANDON_AFTER_MS} ms after KILL QUERY`
  return new AppError('write_outcome_unknown', `${what}: it may or may not have taken effect. Check before running it again.`,
    timeoutMs === undefined ? undefined : { timeout_ms: timeoutMs })
}

/**
 * The client closed its connection before the answer (nginx's 499): never sent, since nobody is
 * there to read it; the history records it.
 */
export function clientClosedRequest (): AppError {
  return new AppError('client_closed_request', 'The client closed its connection before the answer: the read was stopped on the database server.')
}

/** The client closed its connection while its (large) answer was being written: the rest is not written. */
export function clientClosedDuringAnswer (): AppError {
  return new AppError('client_closed_request', 'The client closed its connection before the answer was written.')
}

export function queryTimeout (timeoutMs: number): AppError {
  return new AppError('query_timeout',
    `The statement ran longer than its timeout (${timeoutMs} ms) and was stopped on the database server.`,
    { timeout_ms: timeoutMs })
}

/** Marks an error with what becomes of the connection it came from: closed (`discard`) or reset. */
export function withDiscard<E extends Error> (err: E, discard: boolean): E & { discard: boolean } {
  return Object.assign(err, { discard })
}
