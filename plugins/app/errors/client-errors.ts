import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { AppError } from './errors.js'
import type { ErrorCode } from './catalogue.js'
import { API_HEADERS } from '../edge/security-headers.js'

/** The API's own headers (plugins/app/edge/security-headers.ts), as the lines of a raw answer. */
const HEADER_LINES = Object.entries(API_HEADERS).map(([name, value]) => `${name}: ${value}\r\n`).join('')

/**
 * Requests Node's HTTP parser ends before Fastify sees them, answered in the one error envelope
 * (`{ statusCode, error, code, message }`) instead of Fastify's default body, which has no `code`:
 * - 408 `request_timeout`: the request (headers and body) took longer than `REQUEST_TIMEOUT_MS`
 *   to arrive, as a client that trickles its body to hold a connection does;
 * - 431 `header_too_large`: the headers are over Node's limit (16 kB);
 * - 400 `bad_request`: the request is not valid HTTP/1.1.
 * The connection is closed after the answer: what follows on it cannot be read as a request.
 */
export function clientErrorHandler (this: FastifyInstance, err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const [code, message]: [ErrorCode, string] = err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? ['request_timeout', 'The request took too long to arrive: send its headers and body within the server\'s request timeout.']
    : err.code === 'HPE_HEADER_OVERFLOW'
      ? ['header_too_large', 'The request\'s headers are too large (16 kB at most, all together).']
      : ['bad_request', 'The request is not valid HTTP/1.1.']
  this.log.debug({ err, code }, 'client error')
  if (socket.writable) {
    const error = new AppError(code, message)
    const body = JSON.stringify(error)
    const statusCode = error.statusCode
    socket.write(`HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode]!}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n${HEADER_LINES}Connection: close\r\n\r\n${body}`)
  }
  socket.destroy()
}
