import { Agent, request } from 'node:http'

/** A request as the bench sends it: its method, and its body and headers for the i-th client. */
export interface LoadOptions { method?: 'GET' | 'POST', body?: (i: number) => string, headers?: (i: number) => Record<string, string> }

export interface PacedResult { requests: number, latenciesMs: number[], errors: number, non2xx: number }

/**
 * `connections` keep-alive clients sending `rate` requests a second between them, evenly spaced:
 * client i sends at its own slots, every `connections / rate` s, offset by i / rate s from the
 * others, and each waits for its answer before its next request (after a late answer, that
 * client's next requests leave at once until it is back on its slots; none is added). autocannon's
 * rate instead lets each connection send its share of a second as fast as it can and then wait for
 * the next second: bursts of full load and idle gaps, which measure how a server recovers from
 * bursts more than what a request costs.
 *
 * A request's latency counts from its slot, so an answer that keeps the next request waiting
 * shows in the percentiles (no coordinated omission).
 */
export async function pacedLoad (url: string, options: LoadOptions, rate: number, connections: number, seconds: number): Promise<PacedResult> {
  const target = new URL(url)
  const intervalMs = connections / rate * 1000
  const started = performance.now()
  const ends = started + seconds * 1000
  const result: PacedResult = { requests: 0, latenciesMs: [], errors: 0, non2xx: 0 }
  await Promise.all(Array.from({ length: connections }, async (_, i) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const body = options.body?.(i)
    const headers = { 'content-type': 'application/json', ...options.headers?.(i), ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }) }
    for (let slot = started + i * intervalMs / connections; slot < ends; slot += intervalMs) {
      const wait = slot - performance.now()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      // A timer may fire a little before its slot: then the latency counts from the request.
      const from = Math.min(slot, performance.now())
      const status = await send(target, options.method ?? 'GET', headers, body, agent)
      result.requests++
      result.latenciesMs.push(performance.now() - from)
      if (status === null) result.errors++
      else if (status < 200 || status > 299) result.non2xx++
    }
    agent.destroy()
  }))
  return result
}

/** One request on `agent`'s connection: its status, or null when it failed. */
function send (url: URL, method: string, headers: Record<string, string>, body: string | undefined, agent: Agent): Promise<number | null> {
  return new Promise((resolve) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method, headers, agent }, (res) => {
      res.resume()
      res.once('end', () => resolve(res.statusCode ?? null))
      res.once('error', () => resolve(null))
    })
    req.once('error', () => resolve(null))
    req.end(body)
  })
}
