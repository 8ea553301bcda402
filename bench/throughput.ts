import type { ChildProcess } from 'node:child_process'
import { load, summary, type Load, type LoadOptions, type ServicePids } from './load.js'
import { rssMb } from './machine.js'
import { AGAINST, CONNECTIONS, median, RATE, ROUNDS, SECONDS } from './settings.js'

export interface Server { name: string, child: ChildProcess, port: number }

const POINT_SELECT = 'SELECT id, name, price, created_at FROM items WHERE id = 4242'
const KINDS = ['query', 'context', 'mcp'] as const
type Kind = typeof KINDS[number]
export type Runs = Record<Kind, Load[][]>

/** The point SELECT on `POST /api/query`, each connection in its own session. */
export function pointQuery (sessions: string[]): LoadOptions {
  return { method: 'POST', body: (i) => JSON.stringify({ query: POINT_SELECT, session_id: sessions[i % sessions.length] }) }
}

function kinds (sessions: string[]): Record<Kind, { path: string, options: LoadOptions }> {
  const query = pointQuery(sessions)
  const context = { headers: (i: number) => ({ 'x-session-id': sessions[i % sessions.length]! }) }
  // The same point SELECT as an MCP agent runs it: a tools/call of run_query in the MCP session.
  const mcpCall = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'run_query', arguments: { query: POINT_SELECT } } })
  const mcp = { method: 'POST' as const, body: () => mcpCall, headers: (i: number) => ({ accept: 'application/json, text/event-stream', 'mcp-session-id': sessions[i % sessions.length]! }) }
  return { query: { path: '/api/query', options: query }, context: { path: '/api/database/context', options: context }, mcp: { path: '/mcp', options: mcp } }
}

/**
 * The three request kinds loaded on each server, in alternating rounds (A B A B ...) so machine
 * drift hits all alike. The baseline has no MCP endpoint: MCP is measured against sqlgate's own
 * HTTP path. Returns every round's figures and sqlgate's peak RSS under load.
 */
export async function throughput (servers: Server[], sessions: string[], services: ServicePids): Promise<{ runs: Runs, peakRss: number }> {
  const routes = kinds(sessions)
  const serves = (server: Server, kind: Kind) => kind !== 'mcp' || server.name !== 'baseline'
  const url = (port: number, kind: Kind) => `http://127.0.0.1:${port}${routes[kind].path}`
  // Every route, so that no server's first measured round of one is also its JIT's warm-up.
  console.log(`warming up (${CONNECTIONS} connections)…`)
  for (const server of servers) {
    for (const kind of KINDS) if (serves(server, kind)) await load(server.child.pid!, services, url(server.port, kind), routes[kind].options, 3)
  }
  const runs: Runs = { query: servers.map(() => []), context: servers.map(() => []), mcp: servers.map(() => []) }
  let peakRss = 0
  for (let round = 1; round <= ROUNDS; round++) {
    for (const kind of KINDS) {
      for (const [side, server] of servers.entries()) {
        if (!serves(server, kind)) continue
        const result = await load(server.child.pid!, services, url(server.port, kind), routes[kind].options)
        runs[kind][side]!.push(result)
        if (side === 0) peakRss = Math.max(peakRss, rssMb(server.child.pid!).peak)
        console.log(`round ${round} ${kind.padEnd(7)} ${server.name.padEnd(10)} ${result.rps.toFixed(0).padStart(6)} req/s  p50 ${result.p50} ms  p99 ${result.p99} ms  ${result.cpuUs.toFixed(0)} µs CPU/req${result.redisCpuUs === null ? '' : ` (+ Redis ${result.redisCpuUs.toFixed(0)} µs)`}${result.mysqlCpuUs === null ? '' : ` (+ MariaDB ${result.mysqlCpuUs.toFixed(0)} µs)`}, load generator ${result.clientCpuUs.toFixed(0)} µs/answer${result.non2xx + result.errors > 0 ? `  (${result.non2xx} non-2xx, ${result.errors} errors)` : ''}`)
      }
    }
  }
  return { runs, peakRss }
}

const ratio = (a: number, b: number) => (a / b).toFixed(2)

/** The against-a-commit table: this tree's figures over BENCH_AGAINST's. */
function beforeAfter (q: Array<Load | undefined>, c: Array<Load | undefined>, m: Array<Load | undefined>): string {
  const row = (name: string, [now, , then]: Array<Load | undefined>) => now === undefined || then === undefined
    ? ''
    : `| ${name} | ${then.rps.toFixed(0)} req/s, p99 ${then.p99} ms, ${then.cpuUs.toFixed(0)} µs CPU/req | ${ratio(now.rps, then.rps)} | ${ratio(now.cpuUs, then.cpuUs)} | ${now.redisCpuUs === null || then.redisCpuUs === null ? 'n/a' : ratio(now.redisCpuUs, then.redisCpuUs)} |\n`
  if (q[2] === undefined) return ''
  return `
### this tree vs ${AGAINST}

| request | ${AGAINST} | throughput, this tree / ${AGAINST} | CPU per request, this tree / ${AGAINST} | Redis CPU per request, this tree / ${AGAINST} |
|---|---|---|---|---|
${row('POST /api/query', q)}${row('GET /api/database/context', c)}${row('POST /mcp (run_query)', m)}`
}

/**
 * Every process's CPU per point query on this machine, added up: where the server, Redis, the
 * database and the load generator share the cores, throughput flat out is about the cores over
 * that sum, so its ratio bounds the throughput ratio whatever the server alone spends.
 */
function machineBudget (mine: Load, base: Load): string {
  if (mine.redisCpuUs === null || mine.mysqlCpuUs === null || base.redisCpuUs === null || base.mysqlCpuUs === null) return ''
  const all = (l: Load) => l.cpuUs + l.redisCpuUs! + l.mysqlCpuUs! + l.clientCpuUs
  return `- every process's CPU per point query (server + Redis + MariaDB + load generator): sqlgate ${all(mine).toFixed(0)} µs, baseline ${all(base).toFixed(0)} µs; their ratio, ${ratio(all(base), all(mine))}, is the throughput ratio a machine whose cores they share allows\n`
}

/** The throughput section of the report, in Markdown. */
export function throughputReport (servers: Server[], runs: Runs, peakRss: number): string {
  const q = runs.query.map(summary) as [Load, Load, ...Load[]]
  const c = runs.context.map(summary) as [Load, Load, ...Load[]]
  const m = runs.mcp.map((loads) => loads.length === 0 ? undefined : summary(loads))
  // Each round loads the servers back to back, so a round's ratio compares them under the same
  // machine state; the spread of those says how far to trust the ratio of medians above.
  const byRound = (kind: 'query' | 'context') => {
    const ratios = runs[kind][0]!.map((mine, i) => mine.rps / runs[kind][1]![i]!.rps)
    return `${ratios.map((r) => r.toFixed(2)).join(', ')} (median ${median(ratios).toFixed(2)}, lowest ${Math.min(...ratios).toFixed(2)})`
  }
  return `
## sqlgate vs bare baseline — ${new Date().toISOString().slice(0, 10)}, ${ROUNDS} rounds × ${SECONDS} s, ${CONNECTIONS} connections${RATE === undefined ? '' : `, an evenly paced ${RATE} req/s (compare CPU per request, not throughput)`} (medians)

| request | sqlgate req/s | baseline req/s | throughput ratio | sqlgate p50 / p99 ms | baseline p50 / p99 ms | p99 ratio | CPU µs/req sqlgate / baseline |
|---|---|---|---|---|---|---|---|
| POST /api/query (point SELECT) | ${q[0].rps.toFixed(0)} | ${q[1].rps.toFixed(0)} | ${ratio(q[0].rps, q[1].rps)} | ${q[0].p50} / ${q[0].p99} | ${q[1].p50} / ${q[1].p99} | ${ratio(q[0].p99, q[1].p99)} | ${q[0].cpuUs.toFixed(0)} / ${q[1].cpuUs.toFixed(0)} |
| GET /api/database/context | ${c[0].rps.toFixed(0)} | ${c[1].rps.toFixed(0)} | ${ratio(c[0].rps, c[1].rps)} | ${c[0].p50} / ${c[0].p99} | ${c[1].p50} / ${c[1].p99} | ${ratio(c[0].p99, c[1].p99)} | ${c[0].cpuUs.toFixed(0)} / ${c[1].cpuUs.toFixed(0)} |

${q[0].redisCpuUs === null ? '- Redis CPU per request: not measured (Redis is not a local process this run can read)' : `- Redis CPU per request (the Redis server shares these cores): query ${q[0].redisCpuUs.toFixed(0)} / ${q[1].redisCpuUs!.toFixed(0)} µs, context ${c[0].redisCpuUs!.toFixed(0)} / ${c[1].redisCpuUs!.toFixed(0)} µs (sqlgate / baseline)`}
${q[0].mysqlCpuUs === null ? '- MariaDB CPU per request: not measured (the database server is not a local process this run can read)' : `- MariaDB CPU per query (it shares these cores too): ${q[0].mysqlCpuUs.toFixed(0)} / ${q[1].mysqlCpuUs!.toFixed(0)} µs (sqlgate / baseline)`}
- the load generator's own CPU per answer (autocannon, in this process, on the same cores): query ${q[0].clientCpuUs.toFixed(0)} / ${q[1].clientCpuUs.toFixed(0)} µs, context ${c[0].clientCpuUs.toFixed(0)} / ${c[1].clientCpuUs.toFixed(0)} µs (sqlgate / baseline): parsing sqlgate's longer answers (security, cookie and rate-limit headers) costs it more, and that CPU is not the servers'
${machineBudget(q[0], q[1])}- MCP (a run_query tools/call of the same point SELECT): ${m[0]!.rps.toFixed(0)} req/s, p50 / p99 ${m[0]!.p50} / ${m[0]!.p99} ms, ${m[0]!.cpuUs.toFixed(0)} µs CPU per call, ${ratio(m[0]!.cpuUs, q[0].cpuUs)}× the HTTP query's
- throughput ratio round by round: query ${byRound('query')}; context ${byRound('context')}
- peak RSS under load: ${peakRss.toFixed(0)} MB
- non-2xx answers: ${servers.map((server, i) => `${server.name} ${q[i]!.non2xx + c[i]!.non2xx}`).join(', ')}
${beforeAfter(q, c, m)}`
}
