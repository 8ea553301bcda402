import autocannon from 'autocannon'
import { cpuUs } from './machine.js'
import { pacedLoad, type LoadOptions } from './paced-load.js'
import { CONNECTIONS, median, RATE, SECONDS } from './settings.js'

export interface Load { rps: number, p50: number, p99: number, errors: number, non2xx: number, cpuUs: number, redisCpuUs: number | null, mysqlCpuUs: number | null, clientCpuUs: number }

/** The Redis and database servers' pids, when they run on this machine (their CPU is then reported). */
export interface ServicePids { redis: number | null, mysql: number | null }

export type { LoadOptions }

interface Driven { requests: number, rps: number, p50: number, p99: number, errors: number, non2xx: number }

/** autocannon, flat out: one session per connection, as 32 separate clients would have. */
async function flatOut (url: string, options: LoadOptions, seconds: number): Promise<Driven> {
  let client = 0
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    method: options.method ?? 'GET',
    setupClient: (c) => {
      const i = client++
      if (options.body !== undefined) c.setBody(options.body(i))
      c.setHeaders({ 'content-type': 'application/json', ...options.headers?.(i) })
    }
  })
  return { requests: result.requests.total, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors, non2xx: result.non2xx }
}

/** At BENCH_RATE, evenly paced (./paced-load.ts says why not autocannon's rate). */
async function paced (url: string, options: LoadOptions, rate: number, seconds: number): Promise<Driven> {
  const result = await pacedLoad(url, options, rate, CONNECTIONS, seconds)
  const sorted = result.latenciesMs.sort((a, b) => a - b)
  const at = (q: number) => Math.round((sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0) * 10) / 10
  return { requests: result.requests, rps: result.requests / seconds, p50: at(0.5), p99: at(0.99), errors: result.errors, non2xx: result.non2xx }
}

/** `url` loaded flat out (or at BENCH_RATE) for `seconds`: throughput, latency, and CPU per request of the server `pid` and the services. */
export async function load (pid: number, services: ServicePids, url: string, options: LoadOptions, seconds = SECONDS): Promise<Load> {
  const cpuBefore = cpuUs(pid)
  const redisBefore = services.redis === null ? 0 : cpuUs(services.redis)
  const mysqlBefore = services.mysql === null ? 0 : cpuUs(services.mysql)
  const clientBefore = process.cpuUsage()
  const result = RATE === undefined ? await flatOut(url, options, seconds) : await paced(url, options, RATE, seconds)
  const cpu = cpuUs(pid) - cpuBefore
  const clientCpu = process.cpuUsage(clientBefore)
  const requests = Math.max(1, result.requests)
  return {
    rps: result.rps,
    p50: result.p50,
    p99: result.p99,
    errors: result.errors,
    non2xx: result.non2xx,
    cpuUs: cpu / requests,
    redisCpuUs: services.redis === null ? null : (cpuUs(services.redis) - redisBefore) / requests,
    mysqlCpuUs: services.mysql === null ? null : (cpuUs(services.mysql) - mysqlBefore) / requests,
    clientCpuUs: (clientCpu.user + clientCpu.system) / requests
  }
}

/** The medians of several loads' figures. */
export function summary (runs: Load[]): Load {
  return {
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    cpuUs: median(runs.map((r) => r.cpuUs)),
    redisCpuUs: runs.some((r) => r.redisCpuUs === null) ? null : median(runs.map((r) => r.redisCpuUs!)),
    mysqlCpuUs: runs.some((r) => r.mysqlCpuUs === null) ? null : median(runs.map((r) => r.mysqlCpuUs!)),
    clientCpuUs: median(runs.map((r) => r.clientCpuUs)),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0)
  }
}
