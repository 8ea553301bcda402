import { hash, randomBytes } from 'node:crypto'

/** What a client-supplied session id must look like (body, header, cookie or URL). */
export const SESSION_ID_PATTERN = '^[A-Za-z0-9_-]{8,128}$'
const sessionIdRegExp = new RegExp(SESSION_ID_PATTERN)

export function isValidSessionId (value: unknown): value is string {
  return typeof value === 'string' && sessionIdRegExp.test(value)
}

/**
 * `session_<unix ms>_<random>`, the seed's shape, with 144 bits from the CSPRNG
 * (18 bytes = 24 base64url characters, no padding). Matches SESSION_ID_PATTERN.
 */
export function generateSessionId (): string {
  return `session_${Date.now()}_${randomBytes(18).toString('base64url')}`
}

/**
 * A session id is a bearer token: logs carry this short, stable digest instead.
 * 12 hex characters are enough to correlate log lines, far too few to recover the id.
 */
export function hashSessionId (sessionId: string): string {
  return hash('sha256', sessionId, 'hex').slice(0, 12)
}
