import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { AppError } from './errors.js'
import type { ErrorCode } from './catalogue.js'
import { API_HEADERS } from '../edge/security-headers.js'

/** The API's own headers (plugins/app/edge/security-headers.ts), as the lines of a raw answer. */
const HEADER_LINES = Object.entries(API_HEADERS).map(([name, value]) => `${name}: ${value}\r\n`).join('')

/**
 * Each connection's latest answer: the answer to the request Node parsed last on it. Answers on a
 * connection go out in the order of their requests, so once it is written, all before it are.
 */
const latestAnswers = new WeakMap<Socket, ServerResponse>()
/** A pipelined request's answer → the answer still being written when it arrived, which goes out first. */
const answersBefore = new WeakMap<ServerResponse, ServerResponse>()
/** Connections whose client error is answered, or will be once the answers before it are written. */
const answered = new WeakSet<Socket>()

/**
 * Notes each request's answer (a listener of the server's `request` event), so that a client
 * error on its connection can wait for the answers that are still owed before it.
 */
export function noteAnswer (req: IncomingMessage, res: ServerResponse): void {
  const previous = latestAnswers.get(req.socket)
  if (previous !== undefined && !previous.writableFinished) answersBefore.set(res, previous)
  latestAnswers.set(req.socket, res)
}

/**
 * Requests Node's HTTP parser ends before Fastify sees them, answered in the one error envelope
 * (`{ statusCode, error, code, message }`) instead of Fastify's default body, which has no `code`:
 * - 408 `request_timeout`: the request (headers and body) took longer than `REQUEST_TIMEOUT_MS`
 *   to arrive, as a client that trickles its body to hold a connection does;
 * - 431 `header_too_large`: the headers are over Node's limit (16 kB);
 * - 400 `bad_request`: the request is not valid HTTP/1.1.
 * The connection is closed after the answer: what follows on it cannot be read as a request.
 *
 * A client reads the answers on a connection in the order it sent its requests. So when the
 * request in error follows requests whose answers are still being written (pipelined after them),
 * its answer is written after theirs, not in their place: a client that sent a query and then a
 * malformed request reads the query's own answer first, never a 400 that says nothing ran while
 * the query runs (or its write commits). The connection reads no more meanwhile.
 */
export function clientErrorHandler (this: FastifyInstance, err: Error & { code?: string }, socket: Socket): void {
  // Node raises the error again for each later chunk the connection brings: it is answered once.
  if (err.code === 'ECONNRESET' || socket.destroyed || answered.has(socket)) return
  answered.add(socket)
  const error = clientError(err)
  this.log.debug({ err, code: error.code }, 'client error')
  const owed = answerOwedBefore(socket)
  if (owed === undefined) return answer(socket, error)
  socket.pause()
  owed.once('finish', () => answer(socket, error))
  owed.once('close', () => { if (!owed.writableFinished) socket.destroy() })
}

/**
 * The last answer that the request in error comes after and that is not written yet, if any. The
 * request in error is the latest one when the error is in its body (Node emitted it with its
 * headers), or one not emitted yet, after the latest, when the error is in its head.
 */
function answerOwedBefore (socket: Socket): ServerResponse | undefined {
  const latest = latestAnswers.get(socket)
  if (latest === undefined) return undefined
  const owed = latest.req.complete ? latest : answersBefore.get(latest)
  return owed === undefined || owed.writableFinished ? undefined : owed
}

function clientError (err: Error & { code?: string }): AppError {
  const [code, message]: [ErrorCode, string] = err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? ['request_timeout', 'The request took too long to arrive: send its headers and body within the server\'s request timeout.']
    : err.code === 'HPE_HEADER_OVERFLOW'
      ? ['header_too_large', 'The request\'s headers are too large (16 kB at most, all together).']
      : ['bad_request', 'The request is not valid HTTP/1.1.']
  return new AppError(code, message)
}

/**
 * Writes `error` as the connection's next answer, if it can still be written, and closes the
 * connection once what it holds is written: the answers before it may still be in its queue.
 */
function answer (socket: Socket, error: AppError): void {
  if (!socket.writable) {
    socket.destroy()
    return
  }
  const body = JSON.stringify(error)
  const statusCode = error.statusCode
  socket.end(`HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode]!}\r\nContent-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n${HEADER_LINES}Connection: close\r\n\r\n${body}`, () => socket.destroy())
}

const EXPECTATION_FAILED = JSON.stringify(new AppError('expectation_failed',
  'The request\'s Expect header asks for what this service cannot meet: only 100-continue is. Nothing was read or run.'))

/**
 * A request whose `Expect` is not `100-continue` (the server's `checkExpectation` event), answered
 * 417 in the error envelope where Node would answer an empty 417. Nothing of it is read or run;
 * the connection closes, as its body is not read.
 */
export function expectationFailed (_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(417, {
    ...API_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(EXPECTATION_FAILED),
    connection: 'close'
  })
  res.end(EXPECTATION_FAILED)
}
