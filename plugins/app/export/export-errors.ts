import type { BusyLimit } from '../database/fair-share.js'
import { AppError, retryLater } from '../errors/errors.js'

/** The errors of an export, beyond a query's (../query/query-errors.ts). */

/** Why an export found no connection: its session streams one, its client address its share, or the instance all it may. */
const BUSY_REASONS: Record<BusyLimit, (concurrency: number, perAddress: number) => string> = {
  owner: () => 'This session is streaming an export on this instance already (one per session at a time): retry once it has ended.',
  group: (concurrency, perAddress) => `This client address is streaming ${perAddress} export${perAddress === 1 ? '' : 's'} on this instance already, its share of the ${concurrency} it streams at once (the rest stays for other clients): retry once one has ended.`,
  pool: (concurrency) => `This instance streams ${concurrency} export${concurrency === 1 ? '' : 's'} at once, and that many are running: retry shortly.`
}

export const exportsBusy = (concurrency: number, perAddress: number, limit: BusyLimit): AppError =>
  new AppError('exports_busy', BUSY_REASONS[limit](concurrency, perAddress), undefined, { 'retry-after': '2' })

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
