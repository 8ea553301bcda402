import { isUtf8 } from 'node:buffer'
import type { FastifyRequest } from 'fastify'
import { AppError } from '../errors/errors.js'
import { duplicateKey } from './json-duplicate-keys.js'
import { inexactNumber } from './json-numbers.js'
import { trailersRefused } from './request-reading.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The bytes of the request's JSON body as it arrived (0 without one). */
    bodyBytes: number
  }
}

type Done = (err: Error | null, body?: unknown) => void
type TextParser = (request: FastifyRequest, body: string, done: Done) => void

/** Every `charset` parameter of a Content-Type, quoted or not. */
const CHARSET_PARAMETER = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/gi
const UTF8_NAMES = new Set(['utf-8', 'utf8'])

/**
 * A charset other than UTF-8 that the Content-Type declares, or null. The body is read as UTF-8
 * whatever it says; a reader in front (a proxy, a firewall) that decodes it as declared would read
 * another statement than the one that runs, so such a body is refused instead.
 */
function otherCharset (contentType: string | undefined): string | null {
  for (const match of (contentType ?? '').matchAll(CHARSET_PARAMETER)) {
    const name = match[1] ?? match[2] ?? ''
    if (!UTF8_NAMES.has(name.toLowerCase())) return name
  }
  return null
}

/** A lone half of a surrogate pair: not a character, so not Unicode text. */
const LONE_SURROGATE = /\p{Cs}/u

/**
 * JSON bodies as Unicode text (RFC 8259: JSON is UTF-8), parsed by Fastify's own parser
 * (`parseText`, with its prototype-poisoning rules). What Fastify would let through changed is
 * refused with 400 invalid_json instead:
 * - bytes that are not UTF-8, which it decodes as U+FFFD (a Latin-1 'José' reached the database
 *   as 'Jos�', and a write stored it so);
 * - an escaped lone surrogate (`"\ud800"`), which the driver sends as U+FFFD likewise. Only a body
 *   with a `\u` escape in it is looked through;
 * - a key named twice in one object, which has no one reading (./json-duplicate-keys.ts);
 * - a number a double cannot hold as written (`1.0000000000000001`, `1e-400`), which it would
 *   round (./json-numbers.ts).
 * A body with a Content-Encoding (gzip, ...) is refused with 415: it is not decompressed, and its
 * compressed bytes would otherwise be answered as "not UTF-8". So is one whose Content-Type
 * declares a charset other than UTF-8.
 * A body that ends with trailer fields is refused as ./request-reading.ts says, once it parsed.
 * An empty body of a DELETE is no body: fetch wrappers send their default
 * `Content-Type: application/json` with every call, and `DELETE /api/database/context` takes no
 * body. (Fastify parses a DELETE that has a Content-Type, and would refuse it as empty JSON.)
 */
export function utf8JsonParser (parseText: TextParser): (request: FastifyRequest, body: Buffer | string, done: Done) => void {
  return function parseUtf8Json (request, body, parsed) {
    // Trailers come with the body's end, so with the body: judged after everything else of it.
    const done: Done = (err, value) => { parsed(err ?? trailersRefused(request.raw), value) }
    const encoding = request.headers['content-encoding']
    if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
      // Bodies are not decompressed: a gzip body would be read as its compressed bytes.
      done(new AppError('unsupported_media_type',
        `Content-Encoding ${JSON.stringify(encoding.slice(0, 40))} is not supported: send the body uncompressed.`,
        undefined, { 'accept-encoding': 'identity' }))
      return
    }
    const charset = otherCharset(request.headers['content-type'])
    if (charset !== null) {
      done(new AppError('unsupported_media_type',
        `Content-Type charset ${JSON.stringify(charset.slice(0, 40))} is not supported: JSON is read as UTF-8, so send charset=utf-8 or none.`))
      return
    }
    const bytes = body as Buffer
    request.bodyBytes = bytes.length
    if (bytes.length === 0 && request.method === 'DELETE') {
      done(null, undefined)
      return
    }
    if (!isUtf8(bytes)) {
      done(new AppError('invalid_json', 'The body is not UTF-8: JSON must be sent in UTF-8.'))
      return
    }
    const text = bytes.toString('utf8')
    const escapes = text.includes('\\u')
    parseText(request, text, (err, value) => {
      if (err !== null) return done(saysWhere(err, text))
      if (escapes && !isUnicodeText(value)) return done(new AppError('invalid_json', 'The body holds a lone surrogate escape (such as "\\ud800"), which is not a character: strings must be Unicode text.'))
      const repeated = duplicateKey(text, value)
      if (repeated !== null) return done(repeatedKey(repeated))
      const inexact = inexactNumber(text)
      if (inexact !== null) return done(roundedNumber(inexact))
      done(null, value)
    })
  }
}

/** Names the key when it looks like a field name; other text of the body is not quoted back (errors are logged). */
function repeatedKey (key: string): AppError {
  const shown = /^[A-Za-z0-9_.-]{1,64}$/.test(key) ? `the key "${key}"` : 'a key'
  return new AppError('invalid_json',
    `The body names ${shown} twice in one object. JSON readers differ on which one counts (this service would take the last, a proxy in front of it perhaps the first), so each key must be sent once.`)
}

/** Names the number (digits, a point, an exponent: nothing else of the body). */
function roundedNumber (number: string): AppError {
  const shown = number.length <= 64 ? number : `${number.slice(0, 61)}...`
  return new AppError('invalid_json',
    `The body holds the number ${shown}, which reads as ${String(Number(number))}: JSON numbers are read as doubles, which hold 15 to 17 significant digits. Send it as a string ("${shown}"), which the database reads exactly.`)
}

/**
 * Fastify says only that a body is not valid JSON; `JSON.parse`'s own message says what and where
 * ("Expected double-quoted property name in JSON at position 21"), read again on that failure
 * only. The body's text that V8 quotes in some messages is left out: a body may hold anything, and
 * error messages are logged. A body that `JSON.parse` reads was refused by Fastify's prototype
 * poisoning rules (a `__proto__` key, or a `constructor` key holding a `prototype`), and says so.
 */
function saysWhere (err: Error, text: string): Error {
  if ((err as { code?: string }).code !== 'FST_ERR_CTP_INVALID_JSON_BODY') return err
  try {
    JSON.parse(text)
    return new AppError('invalid_json', 'The body holds a "__proto__" key, or a "constructor" key with a "prototype" key in it: JSON objects that could change other objects when merged are refused. No field of this service has either name.')
  } catch (syntax) {
    const what = (syntax as Error).message.replace(/, (\.\.\.)?".*$/s, '').slice(0, 200)
    return new AppError('invalid_json', `The body is not valid JSON: ${what}.`)
  }
}

/** True when no string in `value` (keys included) holds a lone surrogate. Iterative: JSON can nest deeper than the stack. */
function isUnicodeText (value: unknown): boolean {
  const pending: unknown[] = [value]
  while (pending.length > 0) {
    const item = pending.pop()
    if (typeof item === 'string') {
      if (LONE_SURROGATE.test(item)) return false
    } else if (Array.isArray(item)) {
      for (const element of item) pending.push(element)
    } else if (typeof item === 'object' && item !== null) {
      for (const [key, element] of Object.entries(item)) pending.push(key, element)
    }
  }
  return true
}
