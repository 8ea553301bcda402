import { isIP } from 'node:net'

/**
 * Which host names the service answers for: the defence against DNS rebinding. A web page at
 * `evil.example` can point its own name at 127.0.0.1 and then call `http://evil.example:3000/api/…`
 * as its own origin: the browser sends the requests, with the page's Host, and lets the page read
 * the answers. A service on a developer's machine (its default address, with a root database user)
 * would run that page's queries. Only the Host tells such a request apart.
 *
 * A Host that is an IP address is always answered: a page cannot rename an address (its requests
 * to `127.0.0.1` are cross-origin, and CORS keeps their answers from it), and health probes
 * commonly name the address they connect to.
 */

/** An entry of ALLOWED_HOSTS: `*`, a name, `.example.com` (it and its subdomains), or an address. */
export const ALLOWED_HOST_PATTERN = /^(?:\*|\.?[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?|\[[0-9a-f:.]+\])$/i

/** ALLOWED_HOSTS when it is not set: `localhost` for a service bound to a loopback address, else any. */
export function defaultAllowedHosts (listenHost: string): string[] {
  return isLoopback(listenHost) ? ['localhost'] : ['*']
}

function isLoopback (host: string): boolean {
  const name = host.replace(/^\[|\]$/g, '').toLowerCase()
  return name === 'localhost' || name === '::1' || (isIP(name) === 4 && name.startsWith('127.'))
}

/** Whether ALLOWED_HOSTS lets every host name through (`*`): then no request is checked. */
export function anyHostAllowed (allowed: readonly string[]): boolean {
  return allowed.includes('*')
}

/**
 * A test of a request's host (`name[:port]`, as the Host header or a trusted proxy's
 * X-Forwarded-Host gives it) against the allowed names, or null when any is allowed.
 */
export function hostCheck (allowed: readonly string[]): ((host: string) => boolean) | null {
  if (anyHostAllowed(allowed)) return null
  const names = new Set<string>()
  const domains: string[] = []
  for (const entry of allowed) {
    const name = normalise(entry)
    if (name.startsWith('.')) {
      domains.push(name)
      names.add(name.slice(1))
    } else {
      names.add(name)
    }
  }
  return (host) => {
    // No Host at all (HTTP/1.0): not a browser's request, which always names its host.
    if (host === '') return true
    const bracket = host.startsWith('[') ? host.indexOf(']') : -1
    if (bracket !== -1) return isIP(host.slice(1, bracket)) === 6
    const colon = host.indexOf(':')
    const name = normalise(colon === -1 ? host : host.slice(0, colon))
    if (names.has(name) || isIP(name) === 4) return true
    for (const domain of domains) if (name.endsWith(domain)) return true
    return false
  }
}

/** Host names are case-insensitive, and `localhost.` is `localhost`. */
function normalise (name: string): string {
  const lower = name.toLowerCase()
  return lower.endsWith('.') ? lower.slice(0, -1) : lower
}
