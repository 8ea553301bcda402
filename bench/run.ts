/**
 * npm run bench: sqlgate against a bare Node baseline (bench/baseline.ts), in one run, loaded in
 * alternating rounds (A B A B ...) so machine drift hits both alike. Ratios, not absolute numbers:
 * the load generator, Redis, MariaDB and both servers share this machine's cores.
 *
 * Each server's CPU per request comes from /proc, and so do the Redis and MariaDB servers' when
 * they run on this machine (their pids from INFO server and @@pid_file).
 *
 * Settings (environment): BENCH_ROUNDS (3), BENCH_SECONDS (8), BENCH_CONNECTIONS (32), BENCH_RATE,
 * plus MYSQL_URL / REDIS_URL for where the services are. BENCH_AGAINST=<git ref> also builds
 * that commit in a temporary worktree and loads it in the same rounds, for before/after figures.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import autocannon from 'autocannon'
import mysql from 'mysql2/promise'
import { Redis } from 'ioredis'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32)
/**
 * BENCH_RATE=<req/s>: every server is loaded at that fixed rate instead of flat out. Throughput
 * then says nothing (each server gets the rate, or fails it); CPU per request at the same rate is
 * the steadiest figure this machine gives, for changes worth a few percent.
 */
const RATE = process.env.BENCH_RATE === undefined ? undefined : Number(process.env.BENCH_RATE)
const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306'
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/12'
const DATABASE = 'sqlgate_bench'
const PREFIX = `sqlgate-bench-${randomBytes(4).toString('hex')}:`
const POINT_SELECT = 'SELECT id, name, price, created_at FROM items WHERE id = 4242'
const AGAINST = process.env.BENCH_AGAINST
const root = new URL('..', import.meta.url).pathname

interface Load { rps: number, p50: number, p99: number, errors: number, non2xx: number, cpuUs: number, redisCpuUs: number | null, mysqlCpuUs: number | null, clientCpuUs: number }

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** CPU time (user + system) a process has used so far, in microseconds. */
function cpuUs (pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 1e6 / 100 // clock ticks: 100 per second on Linux
}

function rssMb (pid: number): { rss: number, peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024
  return { rss: field('VmRSS'), peak: field('VmHWM') }
}

/**
 * The Redis server's pid when it runs on this machine (its CPU then counts against the same cores),
 * or null: the run reports Redis's CPU per request only when it can read it.
 */
async function localRedisPid (): Promise<number | null> {
  const redis = new Redis(REDIS_URL)
  try {
    const pid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1])
    cpuUs(pid)
    return pid
  } catch {
    return null
  } finally {
    redis.disconnect()
  }
}
let redisPid: number | null = null

/**
 * The MariaDB (or MySQL) server's pid when it runs on this machine: its pid file is readable here
 * and names a live mariadbd or mysqld. Otherwise null, and its CPU per request is not reported.
 */
async function localMysqlPid (): Promise<number | null> {
  const admin = await mysql.createConnection({ uri: MYSQL_URL })
  try {
    const [rows] = await admin.query<Array<{ file: string | null } & mysql.RowDataPacket>>('SELECT @@pid_file AS file')
    const pid = Number(readFileSync(rows[0]?.file ?? '', 'utf8').trim())
    const name = readFileSync(`/proc/${pid}/comm`, 'utf8').trim()
    return name === 'mariadbd' || name === 'mysqld' ? pid : null
  } catch {
    return null
  } finally {
    await admin.end()
  }
}
let mysqlPid: number | null = null

async function waitFor (url: string, timeoutMs = 20_000): Promise<number> {
  const started = performance.now()
  while (performance.now() - started < timeoutMs) {
    const ok = await fetch(url).then((res) => res.ok, () => false)
    if (ok) return performance.now() - started
    await sleep(10)
  }
  throw new Error(`${url} did not answer`)
}

let stopping = false

/** A server for the run; if it exits before the run stops it (a port in use, say), the run fails. */
function start (args: string[], env: Record<string, string>, cwd = root): ChildProcess {
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] })
  child.once('exit', (code, signal) => {
    if (stopping) return
    console.error(`${args.join(' ')} exited early (${signal ?? code}); is its port (${env.PORT}) in use?`)
    process.exit(1)
  })
  process.on('exit', () => child.kill('SIGKILL'))
  return child
}

/** `ref` checked out in a temporary worktree (sharing this checkout's node_modules) and built. */
function buildRef (ref: string): { dir: string, remove: () => void } {
  const dir = join(mkdtempSync(join(tmpdir(), 'sqlgate-bench-')), 'tree')
  execFileSync('git', ['worktree', 'add', '--detach', dir, ref], { cwd: root, stdio: 'ignore' })
  const remove = () => { execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: root, stdio: 'ignore' }) }
  try {
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'))
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] })
  } catch (err) {
    remove()
    // tsc's errors went to stderr above.
    throw new Error(`${ref} did not build. Its worktree shares this checkout's node_modules, so a commit whose dependencies differ needs them installed first (npm install --no-save <package>@<version>).`, { cause: err })
  }
  return { dir, remove }
}

async function load (pid: number, url: string, options: { method?: 'GET' | 'POST', body?: (i: number) => string, headers?: (i: number) => Record<string, string> }, seconds = SECONDS): Promise<Load> {
  let client = 0
  const cpuBefore = cpuUs(pid)
  const redisBefore = redisPid === null ? 0 : cpuUs(redisPid)
  const mysqlBefore = mysqlPid === null ? 0 : cpuUs(mysqlPid)
  const clientBefore = process.cpuUsage()
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    method: options.method ?? 'GET',
    ...(RATE === undefined ? {} : { overallRate: RATE }),
    // One session per connection, as 32 separate clients would have.
    setupClient: (c) => {
      const i = client++
      if (options.body !== undefined) c.setBody(options.body(i))
      c.setHeaders({ 'content-type': 'application/json', ...options.headers?.(i) })
    }
  })
  const cpu = cpuUs(pid) - cpuBefore
  const clientCpu = process.cpuUsage(clientBefore)
  const requests = Math.max(1, result.requests.total)
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
    cpuUs: cpu / requests,
    redisCpuUs: redisPid === null ? null : (cpuUs(redisPid) - redisBefore) / requests,
    mysqlCpuUs: mysqlPid === null ? null : (cpuUs(mysqlPid) - mysqlBefore) / requests,
    clientCpuUs: (clientCpu.user + clientCpu.system) / requests
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

function summary (runs: Load[]): Load {
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

const KINDS = ['query', 'context', 'mcp'] as const

async function main (): Promise<void> {
  redisPid = await localRedisPid()
  mysqlPid = await localMysqlPid()
  const admin = await mysql.createConnection({ uri: MYSQL_URL, multipleStatements: true })
  await admin.query(`DROP DATABASE IF EXISTS ${DATABASE}; CREATE DATABASE ${DATABASE}; USE ${DATABASE};
    CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40), price DECIMAL(10,2), created_at DATETIME(3));
    INSERT INTO items SELECT seq, CONCAT('item ', seq), seq / 100, '2026-01-01 00:00:00.000' + INTERVAL seq SECOND FROM seq_1_to_10000`)
  await admin.end()

  const sessions = Array.from({ length: CONNECTIONS }, (_, i) => `bench_${i}_${randomBytes(8).toString('hex')}`)
  const common = { REDIS_URL, REDIS_KEY_PREFIX: PREFIX, MYSQL_URL, LOG_LEVEL: 'info' }
  const sqlgateEnv = {
    ...common,
    PORT: '3201',
    NODE_ENV: 'production',
    COOKIE_SECRET: randomBytes(32).toString('hex'),
    // The rate limit stays on (its Redis round trip is measured) but is set out of reach.
    RATE_LIMIT_MAX: '1000000000',
    RATE_LIMIT_ADDRESS_MAX: '1000000000'
  }
  const sqlgate = start(['--heap-growing-percent=25', 'dist/server.js'], sqlgateEnv)
  const baseline = start(['--import', 'tsx', 'bench/baseline.ts'], { ...common, PORT: '3202', BENCH_DATABASE: DATABASE })
  const servers: Array<{ name: string, child: ChildProcess, port: number }> = [
    { name: 'sqlgate', child: sqlgate, port: 3201 },
    { name: 'baseline', child: baseline, port: 3202 }
  ]
  let refTree: ReturnType<typeof buildRef> | undefined
  if (AGAINST !== undefined) {
    console.log(`building ${AGAINST} in a temporary worktree…`)
    refTree = buildRef(AGAINST)
    servers.push({ name: `sqlgate@${AGAINST}`, child: start(['--heap-growing-percent=25', 'dist/server.js'], { ...sqlgateEnv, PORT: '3204' }, refTree.dir), port: 3204 })
  }
  await waitFor('http://127.0.0.1:3201/ready')
  await waitFor('http://127.0.0.1:3202/api/database/context').catch(() => {})
  if (refTree !== undefined) await waitFor('http://127.0.0.1:3204/ready')

  for (const session of sessions) {
    for (const { port } of servers.filter((server) => server.name !== 'baseline')) {
      await fetch(`http://127.0.0.1:${port}/api/database/select`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ database_name: DATABASE, session_id: session }) })
    }
  }

  const query = { method: 'POST' as const, body: (i: number) => JSON.stringify({ query: POINT_SELECT, session_id: sessions[i % sessions.length] }) }
  const context = { headers: (i: number) => ({ 'x-session-id': sessions[i % sessions.length]! }) }
  // The same point SELECT as an MCP agent runs it: a tools/call of run_query in the MCP session.
  const mcpCall = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'run_query', arguments: { query: POINT_SELECT } } })
  const mcp = { method: 'POST' as const, body: () => mcpCall, headers: (i: number) => ({ accept: 'application/json, text/event-stream', 'mcp-session-id': sessions[i % sessions.length]! }) }
  const kinds = { query: { path: '/api/query', options: query }, context: { path: '/api/database/context', options: context }, mcp: { path: '/mcp', options: mcp } } as const
  type Kind = keyof typeof kinds
  /** The baseline has no MCP endpoint: MCP is measured against sqlgate's own HTTP path. */
  const serves = (server: { name: string }, kind: Kind) => kind !== 'mcp' || server.name !== 'baseline'
  const url = (port: number, kind: Kind) => `http://127.0.0.1:${port}${kinds[kind].path}`

  // Both routes, so that no server's first measured round of either is also its JIT's warm-up.
  console.log(`warming up (${CONNECTIONS} connections)…`)
  for (const server of servers) {
    for (const kind of KINDS) if (serves(server, kind)) await load(server.child.pid!, url(server.port, kind), kinds[kind].options, 3)
  }

  const runs: Record<Kind, Load[][]> = { query: servers.map(() => []), context: servers.map(() => []), mcp: servers.map(() => []) }
  let peakRss = 0
  for (let round = 1; round <= ROUNDS; round++) {
    for (const kind of KINDS) {
      for (const [side, server] of servers.entries()) {
        if (!serves(server, kind)) continue
        const result = await load(server.child.pid!, url(server.port, kind), kinds[kind].options)
        runs[kind][side]!.push(result)
        if (side === 0) peakRss = Math.max(peakRss, rssMb(sqlgate.pid!).peak)
        console.log(`round ${round} ${kind.padEnd(7)} ${server.name.padEnd(10)} ${result.rps.toFixed(0).padStart(6)} req/s  p50 ${result.p50} ms  p99 ${result.p99} ms  ${result.cpuUs.toFixed(0)} µs CPU/req${result.redisCpuUs === null ? '' : ` (+ Redis ${result.redisCpuUs.toFixed(0)} µs)`}${result.mysqlCpuUs === null ? '' : ` (+ MariaDB ${result.mysqlCpuUs.toFixed(0)} µs)`}, load generator ${result.clientCpuUs.toFixed(0)} µs/answer${result.non2xx + result.errors > 0 ? `  (${result.non2xx} non-2xx, ${result.errors} errors)` : ''}`)
      }
    }
  }

  // Memory while a million-row SELECT is capped: it must stay flat.
  const before = rssMb(sqlgate.pid!).rss
  let during = before
  const sampler = setInterval(() => { during = Math.max(during, rssMb(sqlgate.pid!).rss) }, 20)
  for (let i = 0; i < 5; i++) {
    await fetch('http://127.0.0.1:3201/api/query', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: "SELECT seq, REPEAT('x', 200) AS pad FROM seq_1_to_1000000 LIMIT 1000000", session_id: sessions[0], max_rows: 10000 })
    })
  }
  clearInterval(sampler)

  stopping = true
  for (const server of servers) server.child.kill('SIGTERM')
  await sleep(500)
  refTree?.remove()

  // Start-up time: a fresh process until its first /ready 200.
  const startedAt = performance.now()
  const fresh = start(['--heap-growing-percent=25', 'dist/server.js'], { ...sqlgateEnv, PORT: '3203' })
  await waitFor('http://127.0.0.1:3203/ready', 30_000)
  const startupMs = performance.now() - startedAt
  fresh.kill('SIGTERM')

  const q = runs.query.map(summary) as [Load, Load, ...Load[]]
  const c = runs.context.map(summary) as [Load, Load, ...Load[]]
  const m = runs.mcp.map((loads) => loads.length === 0 ? undefined : summary(loads))
  const ratio = (a: number, b: number) => (a / b).toFixed(2)
  // Each round loads the servers back to back, so a round's ratio compares them under the same
  // machine state; the spread of those says how far to trust the ratio of medians above.
  const byRound = (kind: 'query' | 'context') => {
    const ratios = runs[kind][0]!.map((mine, i) => mine.rps / runs[kind][1]![i]!.rps)
    return `${ratios.map((r) => r.toFixed(2)).join(', ')} (median ${median(ratios).toFixed(2)}, lowest ${Math.min(...ratios).toFixed(2)})`
  }
  const against = (name: string, [now, , then]: Array<Load | undefined>) => now === undefined || then === undefined
    ? ''
    : `| ${name} | ${then.rps.toFixed(0)} req/s, p99 ${then.p99} ms, ${then.cpuUs.toFixed(0)} µs CPU/req | ${ratio(now.rps, then.rps)} | ${ratio(now.cpuUs, then.cpuUs)} | ${now.redisCpuUs === null || then.redisCpuUs === null ? 'n/a' : ratio(now.redisCpuUs, then.redisCpuUs)} |\n`
  const beforeAfter = q[2] === undefined
    ? ''
    : `
### this tree vs ${AGAINST}

| request | ${AGAINST} | throughput, this tree / ${AGAINST} | CPU per request, this tree / ${AGAINST} | Redis CPU per request, this tree / ${AGAINST} |
|---|---|---|---|---|
${against('POST /api/query', q)}${against('GET /api/database/context', c)}${against('POST /mcp (run_query)', m)}`
  console.log(`
## sqlgate vs bare baseline — ${new Date().toISOString().slice(0, 10)}, ${ROUNDS} rounds × ${SECONDS} s, ${CONNECTIONS} connections${RATE === undefined ? '' : `, a fixed ${RATE} req/s (compare CPU per request, not throughput)`} (medians)

| request | sqlgate req/s | baseline req/s | throughput ratio | sqlgate p50 / p99 ms | baseline p50 / p99 ms | p99 ratio | CPU µs/req sqlgate / baseline |
|---|---|---|---|---|---|---|---|
| POST /api/query (point SELECT) | ${q[0].rps.toFixed(0)} | ${q[1].rps.toFixed(0)} | ${ratio(q[0].rps, q[1].rps)} | ${q[0].p50} / ${q[0].p99} | ${q[1].p50} / ${q[1].p99} | ${ratio(q[0].p99, q[1].p99)} | ${q[0].cpuUs.toFixed(0)} / ${q[1].cpuUs.toFixed(0)} |
| GET /api/database/context | ${c[0].rps.toFixed(0)} | ${c[1].rps.toFixed(0)} | ${ratio(c[0].rps, c[1].rps)} | ${c[0].p50} / ${c[0].p99} | ${c[1].p50} / ${c[1].p99} | ${ratio(c[0].p99, c[1].p99)} | ${c[0].cpuUs.toFixed(0)} / ${c[1].cpuUs.toFixed(0)} |

${q[0].redisCpuUs === null ? '- Redis CPU per request: not measured (Redis is not a local process this run can read)' : `- Redis CPU per request (the Redis server shares these cores): query ${q[0].redisCpuUs.toFixed(0)} / ${q[1].redisCpuUs!.toFixed(0)} µs, context ${c[0].redisCpuUs!.toFixed(0)} / ${c[1].redisCpuUs!.toFixed(0)} µs (sqlgate / baseline)`}
${q[0].mysqlCpuUs === null ? '- MariaDB CPU per request: not measured (the database server is not a local process this run can read)' : `- MariaDB CPU per query (it shares these cores too): ${q[0].mysqlCpuUs.toFixed(0)} / ${q[1].mysqlCpuUs!.toFixed(0)} µs (sqlgate / baseline)`}
- the load generator's own CPU per answer (autocannon, in this process, on the same cores): query ${q[0].clientCpuUs.toFixed(0)} / ${q[1].clientCpuUs.toFixed(0)} µs, context ${c[0].clientCpuUs.toFixed(0)} / ${c[1].clientCpuUs.toFixed(0)} µs (sqlgate / baseline): parsing sqlgate's longer answers (security, cookie and rate-limit headers) costs it more, and that CPU is not the servers'
- MCP (a run_query tools/call of the same point SELECT): ${m[0]!.rps.toFixed(0)} req/s, p50 / p99 ${m[0]!.p50} / ${m[0]!.p99} ms, ${m[0]!.cpuUs.toFixed(0)} µs CPU per call, ${ratio(m[0]!.cpuUs, q[0].cpuUs)}× the HTTP query's
- throughput ratio round by round: query ${byRound('query')}; context ${byRound('context')}
- peak RSS under load: ${peakRss.toFixed(0)} MB
- RSS while capping a million-row SELECT (5 runs, max_rows 10000): ${before.toFixed(0)} MB before, ${during.toFixed(0)} MB at most (+${(during - before).toFixed(0)} MB)
- start-up to first /ready 200: ${startupMs.toFixed(0)} ms
- non-2xx answers: ${servers.map((server, i) => `${server.name} ${q[i]!.non2xx + c[i]!.non2xx}`).join(', ')}
${beforeAfter}`)
  const redis = new Redis(REDIS_URL)
  const keys = await redis.keys(`${PREFIX}*`)
  if (keys.length > 0) await redis.del(...keys)
  await redis.quit()
  process.exit(0)
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
