import { request, type IncomingHttpHeaders } from 'node:http'

/** An export as its client received it: the bytes, the trailers, and whether its final chunk came. */
export interface Download {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
  trailers: Record<string, string | undefined>
  /** The response ended with its final chunk (a cut-short export does not). */
  complete: boolean
}

/**
 * POSTs `body` as JSON to `base + path` (or GETs it, without a body) and reads the whole
 * response over real HTTP, trailers and all (inject and fetch do not give trailers); from
 * `localAddress` (another loopback address, 127.0.0.2, is another client) when given.
 */
export function download (base: string, path: string, body: unknown, headers: Record<string, string> = {}, localAddress?: string): Promise<Download> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const req = request(base + path, {
      method: payload === undefined ? 'GET' : 'POST',
      ...(localAddress === undefined ? {} : { localAddress }),
      headers: { ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...headers }
    }, (res) => {
      const chunks: Buffer[] = []
      const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), trailers: res.trailers, complete: res.complete })
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', done)
      res.on('error', done)
      res.on('aborted', done)
    })
    req.on('error', reject)
    req.end(payload)
  })
}

/**
 * RFC 4180 CSV: records of fields; quoted fields may hold commas, quotes (doubled), CR and LF. A
 * field that was quoted starts with a NUL here, so "" (the empty string) and nothing (NULL) differ.
 */
export function parseCsv (text: string): string[][] {
  const records: string[][] = []
  let record: string[] = []
  let field = ''
  let quoted = false
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue }
      if (c === '"') { quoted = false; i++; continue }
      field += c
      i++
      continue
    }
    if (c === '"') { quoted = true; field += '\u0000'; i++; continue }
    if (c === ',') { record.push(field); field = ''; i++; continue }
    if (c === '\r' && text[i + 1] === '\n') { record.push(field); records.push(record); record = []; field = ''; i += 2; continue }
    field += c
    i++
  }
  if (field !== '' || record.length > 0) { record.push(field); records.push(record) }
  return records
}

/** A CSV field as the export writes it: null is nothing, "" is the empty string (read as NUL by parseCsv). */
export function csvField (value: unknown): string {
  if (value === null) return ''
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return /[",\r\n]/.test(text) || text === '' ? '\u0000' + text : text
}
