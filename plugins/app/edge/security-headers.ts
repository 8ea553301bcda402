import helmet, { type HelmetOptions } from 'helmet'

/**
 * The security headers of sqlgate's answers, computed by helmet once (plugins/external/helmet.ts
 * sets them).
 *
 * Pages: a content security policy the console lives under: its script, styles and icon come from
 * this origin, and it talks only to this origin. (The /docs pages set their own policy:
 * @fastify/swagger-ui's staticCSP.)
 */
export const PAGE_OPTIONS: Readonly<HelmetOptions> = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      fontSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"]
    }
  },
  crossOriginResourcePolicy: { policy: 'same-site' },
  referrerPolicy: { policy: 'no-referrer' }
}

/**
 * The headers helmet(options) writes, read off once: with these options every answer gets the
 * same ones (no nonces, nothing computed from the request), so there is nothing to redo per request.
 */
export function staticHelmetHeaders (options: Readonly<HelmetOptions>): Record<string, string> {
  const headers: Record<string, string> = {}
  const response = {
    setHeader (name: string, value: string | number | readonly string[]) { headers[name.toLowerCase()] = String(value) },
    removeHeader (name: string) { delete headers[name.toLowerCase()] }
  }
  let failed: unknown
  helmet(options)({} as never, response as never, (err?: unknown) => { failed = err })
  if (failed !== undefined) throw failed
  return headers
}

/**
 * The JSON API's answers are data, never pages: they need what keeps a browser from sniffing,
 * framing, caching or cross-site loading them (OWASP's REST security headers), not the headers that
 * govern a document (opener policy, referrer, DNS prefetch, IE and Flash switches). Half the headers,
 * computed by helmet all the same, plus `Cache-Control: no-store`: answers hold query results and
 * session ids. Each header costs on every answer, for the server and for every client parsing it.
 */
const API_OPTIONS: Readonly<HelmetOptions> = {
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  crossOriginResourcePolicy: { policy: 'same-site' },
  xFrameOptions: { action: 'deny' },
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  referrerPolicy: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false
}

/** Answers under this prefix get the API headers; everything else (the console, /docs, health) the page headers. */
export const API_PREFIX = '/api/'

/** Whether a route's answers are data (the API headers: no caching, no framing, nothing to run): /api/ and /mcp. */
export function isDataRoute (url: string): boolean {
  return url.startsWith(API_PREFIX) || url === '/mcp' || url.startsWith('/mcp/')
}

export const PAGE_HEADERS: Readonly<Record<string, string>> = staticHelmetHeaders(PAGE_OPTIONS)
export const API_HEADERS: Readonly<Record<string, string>> = { ...staticHelmetHeaders(API_OPTIONS), 'cache-control': 'no-store' }
