import type { ExportFormat } from './export-run.js'

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  ndjson: 'application/x-ndjson',
  json: 'application/json'
}

/** The trailers that end an export: how many rows it holds, and whether max_rows cut them. */
export const ROW_COUNT_TRAILER = 'x-export-row-count'
export const TRUNCATED_TRAILER = 'x-export-truncated'
export const EXPORT_TRAILERS = [ROW_COUNT_TRAILER, TRUNCATED_TRAILER] as const

const EXTENSIONS: Record<ExportFormat, string> = { csv: '.csv', ndjson: '.ndjson', json: '.json' }

/**
 * A download's file name that no browser or file system reads as anything but a name: letters,
 * digits, `.`, `-` and `_` (anything else becomes `_`), no leading dot, at most 200 characters,
 * ending in the format's extension. Without one asked for: the database's name and the time.
 */
export function exportFileName (asked: string | undefined, database: string, format: ExportFormat, now: Date): string {
  const extension = EXTENSIONS[format]
  const base = asked ?? `${database}-${now.toISOString().slice(0, 19).replace(/[:T]/g, '-')}`
  let name = base.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[.]+/, '').slice(0, 200 - extension.length)
  if (name === '' || /^_+$/.test(name)) name = 'export'
  return name.toLowerCase().endsWith(extension) ? name : name + extension
}

/** The Content-Disposition of an export: an attachment, under a name that needs no quoting. */
export function attachmentHeader (asked: string | undefined, database: string, format: ExportFormat, now: Date): string {
  return `attachment; filename="${exportFileName(asked, database, format, now)}"`
}
