import type { ChildProcess } from 'node:child_process'
import { load, type Load, type LoadOptions, type ServicePids } from './load.js'
import { run, selectSessions, start, waitFor } from './servers.js'
import { median, PAIRS, RATE, SECONDS, SIDE_BY_SIDE } from './settings.js'
import { pointQuery } from './throughput.js'

/**
 * One build of a pair: its directory and start arguments, the path that answers once it is ready,
 * and whether its sessions select the bench database (the baseline reads the contexts sqlgate
 * stored under the same key prefix, so it selects nothing).
 */
export interface Side { name: string, dir: string, port: number, args: string[], ready: string, selects: boolean }
interface Figures { cpuUs: number, redisCpuUs: number | null, rps: number }

/** A fresh server of one side, its sessions in the bench database (when it selects), warmed up on the point query. */
async function freshServer (side: Side, env: Record<string, string>, sessions: string[], services: ServicePids, query: LoadOptions): Promise<ChildProcess> {
  const child = start(side.args, { ...env, PORT: String(side.port) }, side.dir)
  await waitFor(`http://127.0.0.1:${side.port}${side.ready}`)
  if (side.selects) await selectSessions(side.port, sessions)
  await load(child.pid!, services, `http://127.0.0.1:${side.port}/api/query`, query, 3)
  return child
}

/** Stops a server the run started; its exit is expected. */
function stop (child: ChildProcess): Promise<void> {
  run.stopping = true
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
}

/**
 * BENCH_PAIRS=<n> with BENCH_AGAINST: the point query on n pairs of fresh processes, this tree and
 * the ref, each pair started anew and loaded one after the other (the order alternating from pair
 * to pair). One process keeps its own state for its life (what V8 made of its hottest code, say),
 * which moves its CPU per request by up to a tenth; pairs of fresh processes average that out, as
 * alternating rounds on two long-lived processes cannot. With BENCH_RATE, CPU per request at that
 * rate is the figure to compare; flat out, the throughput ratio (against the bare baseline, say).
 * The first side starts the first pair. BENCH_SIDE_BY_SIDE=1 loads the two of a pair at once
 * instead (at BENCH_RATE): a moment when the shared machine is slower then weighs on both.
 */
export async function pairsSection (sides: [Side, Side], env: Record<string, string>, sessions: string[], services: ServicePids): Promise<string> {
  if (SIDE_BY_SIDE && RATE === undefined) throw new Error('BENCH_SIDE_BY_SIDE loads both processes at once: set BENCH_RATE too (flat out they would only split the cores)')
  const query = pointQuery(sessions)
  const figures: [Figures[], Figures[]] = [[], []]
  for (let pair = 1; pair <= PAIRS; pair++) {
    const order = pair % 2 === 1 ? [0, 1] as const : [1, 0] as const
    const results = SIDE_BY_SIDE
      ? await sideBySide(sides, env, sessions, services, query)
      : await oneAfterTheOther(sides, order, env, sessions, services, query)
    for (const i of order) {
      const result = results[i]
      figures[i].push({ cpuUs: result.cpuUs, redisCpuUs: result.redisCpuUs, rps: result.rps })
      console.log(`pair ${pair} ${sides[i].name.padEnd(16)} ${result.rps.toFixed(0).padStart(6)} req/s  ${result.cpuUs.toFixed(1)} µs CPU/req${result.redisCpuUs === null ? '' : ` (+ Redis ${result.redisCpuUs.toFixed(1)} µs)`}`)
    }
  }
  return pairsReport(sides, figures)
}

type Results = [Load, Load]

/** Each side started fresh, loaded and stopped in turn, in `order`. */
async function oneAfterTheOther (sides: [Side, Side], order: readonly [0 | 1, 0 | 1], env: Record<string, string>, sessions: string[], services: ServicePids, query: LoadOptions): Promise<Results> {
  const results: Load[] = []
  for (const i of order) {
    const side = sides[i]
    run.stopping = false
    const child = await freshServer(side, env, sessions, services, query)
    results[i] = await load(child.pid!, services, `http://127.0.0.1:${side.port}/api/query`, query)
    await stop(child)
  }
  return results as Results
}

/**
 * Both sides started fresh and loaded at the same time, each at BENCH_RATE. The Redis and
 * database servers' CPU cannot be told apart between them, so it is not reported.
 */
async function sideBySide (sides: [Side, Side], env: Record<string, string>, sessions: string[], services: ServicePids, query: LoadOptions): Promise<Results> {
  run.stopping = false
  const children = [await freshServer(sides[0], env, sessions, services, query), await freshServer(sides[1], env, sessions, services, query)]
  const shared = { redis: null, mysql: null }
  const results = await Promise.all(sides.map((side, i) => load(children[i]!.pid!, shared, `http://127.0.0.1:${side.port}/api/query`, query)))
  for (const child of children) await stop(child)
  return results as Results
}

function pairsReport (sides: [Side, Side], [mine, theirs]: [Figures[], Figures[]]): string {
  const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length
  const cpu = (f: Figures[]) => f.map((x) => x.cpuUs)
  const rps = (f: Figures[]) => f.map((x) => x.rps)
  const ratios = mine.map((m, i) => m.cpuUs / theirs[i]!.cpuUs)
  const throughputs = mine.map((m, i) => m.rps / theirs[i]!.rps)
  const lower = ratios.filter((r) => r < 1).length
  const redis = (f: Figures[]) => f.some((x) => x.redisCpuUs === null) ? 'n/a' : mean(f.map((x) => x.redisCpuUs!)).toFixed(1)
  const row = (name: string, f: Figures[]) => `| ${name} | ${mean(rps(f)).toFixed(0)} | ${mean(cpu(f)).toFixed(1)} | ${median(cpu(f)).toFixed(1)} | ${Math.min(...cpu(f)).toFixed(1)}–${Math.max(...cpu(f)).toFixed(1)} | ${redis(f)} |`
  return `
## Point query on ${PAIRS} pairs of fresh processes — ${new Date().toISOString().slice(0, 10)}, ${SECONDS} s each${RATE === undefined ? ', flat out' : `, an evenly paced ${RATE} req/s`}${SIDE_BY_SIDE ? ', the two of a pair at the same time' : ''}

| build | req/s (mean) | CPU µs/req (mean) | median | lowest–highest | Redis CPU µs/req (mean) |
|---|---|---|---|---|---|
${row(sides[0].name, mine)}
${row(sides[1].name, theirs)}

- CPU per request, this tree / ${sides[1].name}: ${(mean(cpu(mine)) / mean(cpu(theirs))).toFixed(3)} (means); pair by pair ${ratios.map((r) => r.toFixed(2)).join(', ')}; lower in ${lower} of ${ratios.length} pairs
- throughput, this tree / ${sides[1].name}: ${(mean(rps(mine)) / mean(rps(theirs))).toFixed(3)} (means), median of the pairs ${median(throughputs).toFixed(2)}; pair by pair ${throughputs.map((r) => r.toFixed(2)).join(', ')}
`
}
