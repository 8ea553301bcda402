import type { FastifyInstance } from 'fastify'
import { memoize } from '../memo.js'
import { isValidSessionId } from './session-id.js'

/**
 * The session cookie's name. Over HTTPS (COOKIE_SECURE) it is `__Host-sid`: browsers take a cookie
 * of that name only from this host itself, Secure, with Path=/ and no Domain, so a sibling
 * subdomain cannot plant its own session in a victim's browser. Under another COOKIE_PATH the
 * `__Host-` prefix is not allowed; `__Secure-sid` then keeps out plain-HTTP pages only.
 */
export function sessionCookieName (secure: boolean, path: string): string {
  if (!secure) return 'sid'
  return path === '/' ? '__Host-sid' : '__Secure-sid'
}

/** Session cookies that hold different sessions: the request names no session by cookie. */
export const CONFLICTING = Symbol('sqlgate.conflictingCookies')

/** A session cookie's session; `renew`: signed with one of COOKIE_SECRETS_ACCEPTED, so the answer signs it anew. */
export interface CookieSession { id: string, renew: boolean }

/**
 * A signed sid cookie is an id (at most 128 characters), a dot and a 43-character signature.
 * Anything much longer cannot verify: it is ignored without an HMAC, and never remembered (10,000
 * remembered 16 kB cookies would be 160 MB).
 */
const MAX_SIGNED_COOKIE_LENGTH = 256

/**
 * Reads the session a Cookie header's cookies named `cookieName` hold: null when none is correctly
 * signed with a well-formed id (such a cookie counts as no cookie), CONFLICTING when two of them
 * hold different sessions. A browser sends a cookie of the name for each path and domain it keeps
 * one for: another application's `sid` is ignored whatever its place, and a signed cookie of
 * another session that a sibling subdomain or a network attacker planted (a session of their own,
 * so as to read what the victim runs there) is not taken over the browser's own.
 *
 * Checking a cookie is an HMAC: the checks of the last `memoSize` cookies seen are remembered.
 */
export function createCookieReader (fastify: FastifyInstance, cookieName: string, memoSize: number): (header: string | undefined) => CookieSession | null | typeof CONFLICTING {
  const cookieSession = memoize(memoSize, (raw): CookieSession | null => {
    const unsigned = fastify.unsignCookie(raw)
    return unsigned.valid && isValidSessionId(unsigned.value) ? { id: unsigned.value, renew: unsigned.renew } : null
  })
  return (header) => {
    if (header === undefined) return null
    let found: CookieSession | null = null
    for (const raw of cookieValues(header, cookieName, fastify.parseCookie)) {
      const cookie = raw.length > MAX_SIGNED_COOKIE_LENGTH ? null : cookieSession(raw)
      if (cookie === null) continue
      if (found !== null && found.id !== cookie.id) return CONFLICTING
      found ??= cookie
    }
    return found
  }
}

/**
 * Every value of the cookie `name` in a Cookie header, in order, each decoded as `parse` decodes
 * a header. Most headers hold the name once, and are parsed whole.
 */
export function cookieValues (header: string, name: string, parse: (header: string) => Record<string, string | undefined>): string[] {
  const needle = `${name}=`
  const first = header.indexOf(needle)
  if (first === -1) return []
  if (header.indexOf(needle, first + 1) === -1) {
    const value = parse(header)[name]
    return value === undefined ? [] : [value]
  }
  const values: string[] = []
  for (const pair of header.split(';')) {
    const value = parse(pair)[name]
    if (value !== undefined) values.push(value)
  }
  return values
}
