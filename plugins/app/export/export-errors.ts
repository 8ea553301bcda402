import { AppError, retryLater } from '../errors/errors.js'

/** The errors of an export, beyond a query's (../query/query-errors.ts). */

export const exportsBusy = (concurrency: number): AppError =>
  new AppError('exports_busy',
    `This instance streams ${concurrency} export${concurrency === 1 ? '' : 's'} at once (one per session), and that many are running: retry shortly.`,
    undefined, { 'retry-after': '2' })

export const exportRequiresRead = (kind: string): AppError =>
  new AppError('export_requires_read',
    `An export streams the rows of a read (SELECT, WITH … SELECT, SHOW, DESCRIBE, EXPLAIN); this statement is ${kind === 'write' ? 'a write' : 'not a read'}, and nothing ran.`)

export const exportTicketNotFound = (): AppError =>
  new AppError('export_ticket_not_found',
    'No such export ticket for this session: it was used already (a ticket serves one download), expired, or was never issued. Ask for a new one.')

export const tooManyExportTickets = (maxBytes: number, retryMs: number): AppError =>
  retryLater('too_many_export_tickets', retryMs, (seconds) =>
    `The export tickets of this client address hold ${maxBytes / 1024 / 1024} MiB of requests, all it may ask for in a minute: download with the tickets you have, or retry in ${seconds} s.`)

export const readerStalled = (stallMs: number): AppError =>
  new AppError('reader_stalled',
    `The client read nothing of the export for ${stallMs} ms: its connection was closed and the statement stopped on the database server.`,
    { stalled_ms: stallMs })
