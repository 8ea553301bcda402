import { sessionRateKey } from './rate-keys.js'

/** What a session keeps in Redis: when it began, its context, its history, its queries in flight. */
export type SessionPart = 'born' | 'context' | 'history' | 'inflight'

/**
 * The key of one part of a session. Every key holds the session id inside a hash tag, so all keys
 * of one session share a Redis Cluster slot and the scripts that touch several stay legal.
 */
export function sessionKey (prefix: string, sessionId: string, part: SessionPart): string {
  return `${prefix}session:{${sessionId}}:${part}`
}

/**
 * The key of one of a session's export tickets. It lives under the session's hash tag, so a
 * ticket is found only by a lookup that names both: another session that learns the ticket looks
 * up a key of its own and finds nothing, and cannot use the ticket up.
 */
export function exportTicketKey (prefix: string, sessionId: string, ticket: string): string {
  return `${prefix}session:{${sessionId}}:export-ticket:${ticket}`
}

/** A session's four keys, in the order its scripts take them. */
export function sessionKeys (prefix: string, sessionId: string) {
  return [sessionKey(prefix, sessionId, 'born'), sessionKey(prefix, sessionId, 'context'), sessionKey(prefix, sessionId, 'history'), sessionKey(prefix, sessionId, 'inflight')] as const
}

/** The five keys of a session script call: the session's four and its rate-limit count. */
export function sessionScriptKeys (prefix: string, sessionId: string): string[] {
  return [...sessionKeys(prefix, sessionId), sessionRateKey(prefix, sessionId)]
}
