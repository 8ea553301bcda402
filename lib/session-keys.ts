/**
 * Where a session lives in Redis. Every key holds the session id inside a hash tag, so all keys
 * of one session share a Redis Cluster slot and multi-key commands on them stay legal.
 */
export function sessionKeys (prefix: string, sessionId: string) {
  const base = `${prefix}session:{${sessionId}}`
  return {
    context: `${base}:context`,
    history: `${base}:history`
  }
}
