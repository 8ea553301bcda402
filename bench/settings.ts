import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'

/**
 * The run's settings, from the environment: BENCH_ROUNDS (3), BENCH_SECONDS (8),
 * BENCH_CONNECTIONS (32), BENCH_RATE, BENCH_AGAINST, BENCH_PAIRS, BENCH_SIDE_BY_SIDE, and
 * MYSQL_URL / REDIS_URL for where the services are.
 */
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 8)
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32)
/**
 * BENCH_RATE=<req/s>: every server is loaded at that fixed rate, evenly paced (./paced-load.ts),
 * instead of flat out. Throughput then says nothing (each server gets the rate, or fails it); CPU
 * per request at the same rate is the steadiest figure this machine gives, for changes worth a few
 * percent.
 */
export const RATE = process.env.BENCH_RATE === undefined ? undefined : Number(process.env.BENCH_RATE)
export const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306'
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/12'
export const DATABASE = 'sqlgate_bench'
export const PREFIX = `sqlgate-bench-${randomBytes(4).toString('hex')}:`
export const AGAINST = process.env.BENCH_AGAINST
/** BENCH_PAIRS=<n> (with BENCH_AGAINST): only the point query, on n pairs of fresh processes (./pairs.ts). */
export const PAIRS = Number(process.env.BENCH_PAIRS ?? 0)
/**
 * BENCH_SIDE_BY_SIDE=1 (with BENCH_PAIRS and BENCH_RATE): each pair's two processes loaded at the
 * same time, so whatever else the machine is doing that moment weighs on both alike.
 */
export const SIDE_BY_SIDE = process.env.BENCH_SIDE_BY_SIDE === '1'
export const root = new URL('..', import.meta.url).pathname

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

/** The Node flags `npm run start:prod` starts sqlgate with (package.json), so the bench runs it as production does. */
export function startFlags (): string[] {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> }
  const flags = /\bnode ((?:--\S+ )*)dist\/server\.js$/.exec(pkg.scripts['start:prod'] ?? '')?.[1]
  if (flags === undefined) throw new Error('package.json: start:prod does not read `node [--flags] dist/server.js`')
  return flags.split(' ').filter((flag) => flag !== '')
}
