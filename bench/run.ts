/**
 * npm run bench: sqlgate against a bare Node baseline (bench/baseline.ts), in one run, loaded in
 * alternating rounds (A B A B ...) so machine drift hits both alike. Ratios, not absolute numbers:
 * the load generator, Redis, MariaDB and both servers share this machine's cores.
 *
 * Each server's CPU per request comes from /proc, and so do the Redis and MariaDB servers' when
 * they run on this machine (their pids from INFO server and @@pid_file).
 *
 * Sections: throughput (./throughput.ts), memory while a million-row SELECT is capped, start-up
 * time, exports against the database's command-line client (./export.ts), and answer
 * amplification (./amplification.ts). Settings: ./settings.ts. BENCH_AGAINST=<git ref> also
 * builds that commit in a temporary worktree and loads it in the same rounds, for before/after
 * figures; with BENCH_PAIRS=<n> the run is only the point query on n pairs of fresh processes of
 * the two builds (./pairs.ts).
 */
import { randomBytes } from 'node:crypto'
import mysql from 'mysql2/promise'
import { Redis } from 'ioredis'
import { amplificationSection } from './amplification.js'
import { createExportTable, exportSection } from './export.js'
import type { ServicePids } from './load.js'
import { localMysqlPid, localRedisPid, rssDuring } from './machine.js'
import { pairsSection, type Side } from './pairs.js'
import { buildRef, run, selectSessions, start, waitFor } from './servers.js'
import { AGAINST, CONNECTIONS, DATABASE, MYSQL_URL, PAIRS, PREFIX, REDIS_URL, root, sleep, startFlags } from './settings.js'
import { throughput, throughputReport, type Server } from './throughput.js'

/** sqlgate started as `npm run start:prod` starts it: its V8 flags here, its environment below. */
const SERVER_ARGS = [...startFlags(), 'dist/server.js']
const BASELINE_ARGS = ['--import', 'tsx', 'bench/baseline.ts']

/** The bench database with the point query's table; the export section's table too unless `itemsOnly`. */
async function createBenchDatabase (itemsOnly = false): Promise<void> {
  const admin = await mysql.createConnection({ uri: MYSQL_URL, multipleStatements: true })
  await admin.query(`DROP DATABASE IF EXISTS ${DATABASE}; CREATE DATABASE ${DATABASE}; USE ${DATABASE};
    CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40), price DECIMAL(10,2), created_at DATETIME(3));
    INSERT INTO items SELECT seq, CONCAT('item ', seq), seq / 100, '2026-01-01 00:00:00.000' + INTERVAL seq SECOND FROM seq_1_to_10000`)
  await admin.end()
  if (!itemsOnly) await createExportTable()
}

function sqlgateEnv (): Record<string, string> {
  return {
    REDIS_URL,
    REDIS_KEY_PREFIX: PREFIX,
    MYSQL_URL,
    LOG_LEVEL: 'info',
    PORT: '3201',
    NODE_ENV: 'production',
    MALLOC_MMAP_THRESHOLD_: '131072',
    COOKIE_SECRET: randomBytes(32).toString('hex'),
    // The rate limit stays on (its Redis round trip is measured) but is set out of reach.
    RATE_LIMIT_MAX: '1000000000',
    RATE_LIMIT_ADDRESS_MAX: '1000000000'
  }
}

async function startServers (env: Record<string, string>): Promise<{ servers: Server[], removeRef: () => void }> {
  const servers: Server[] = [
    { name: 'sqlgate', child: start(SERVER_ARGS, env), port: 3201 },
    { name: 'baseline', child: start(BASELINE_ARGS, { REDIS_URL, REDIS_KEY_PREFIX: PREFIX, MYSQL_URL, LOG_LEVEL: 'info', PORT: '3202', BENCH_DATABASE: DATABASE }), port: 3202 }
  ]
  let removeRef = () => {}
  if (AGAINST !== undefined) {
    console.log(`building ${AGAINST} in a temporary worktree…`)
    const ref = buildRef(AGAINST)
    removeRef = ref.remove
    servers.push({ name: `sqlgate@${AGAINST}`, child: start(SERVER_ARGS, { ...env, PORT: '3204' }, ref.dir), port: 3204 })
  }
  await waitFor('http://127.0.0.1:3201/ready')
  await waitFor('http://127.0.0.1:3202/api/database/context').catch(() => {})
  if (AGAINST !== undefined) await waitFor('http://127.0.0.1:3204/ready')
  return { servers, removeRef }
}

/** RSS while a million-row SELECT is capped at 10,000 rows, five times: it must stay flat. */
async function cappedSelect (pid: number, sessionId: string): Promise<string> {
  const { before, max } = await rssDuring(pid, async () => {
    for (let i = 0; i < 5; i++) {
      await fetch('http://127.0.0.1:3201/api/query', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: "SELECT seq, REPEAT('x', 200) AS pad FROM seq_1_to_1000000 LIMIT 1000000", session_id: sessionId, max_rows: 10000 })
      })
    }
  })
  return `- RSS while capping a million-row SELECT (5 runs, max_rows 10000): ${before.toFixed(0)} MB before, ${max.toFixed(0)} MB at most (+${(max - before).toFixed(0)} MB)\n`
}

/** Start-up time: a fresh process until its first /ready 200. */
async function startup (env: Record<string, string>): Promise<string> {
  const startedAt = performance.now()
  const fresh = start(SERVER_ARGS, { ...env, PORT: '3203' })
  await waitFor('http://127.0.0.1:3203/ready', 30_000)
  const ms = performance.now() - startedAt
  fresh.kill('SIGTERM')
  return `- start-up to first /ready 200: ${ms.toFixed(0)} ms\n`
}

/**
 * BENCH_PAIRS: only the point query, this tree and BENCH_AGAINST on pairs of fresh processes.
 * BENCH_AGAINST=baseline pairs it with the bare baseline instead of another build.
 */
async function pairsRun (services: ServicePids, sessions: string[]): Promise<string> {
  if (AGAINST === undefined) throw new Error('BENCH_PAIRS compares two builds: set BENCH_AGAINST=<git ref> (or baseline) too')
  await createBenchDatabase(true)
  const mine: Side = { name: 'this tree', dir: root, port: 3201, args: SERVER_ARGS, ready: '/ready', selects: true }
  const env = { ...sqlgateEnv(), BENCH_DATABASE: DATABASE }
  if (AGAINST === 'baseline') {
    return await pairsSection([mine, { name: 'baseline', dir: root, port: 3202, args: BASELINE_ARGS, ready: '/api/database/context', selects: false }], env, sessions, services)
  }
  console.log(`building ${AGAINST} in a temporary worktree…`)
  const ref = buildRef(AGAINST)
  try {
    return await pairsSection([mine, { ...mine, name: `sqlgate@${AGAINST}`, dir: ref.dir, port: 3204 }], env, sessions, services)
  } finally {
    ref.remove()
  }
}

async function main (): Promise<void> {
  const services = { redis: await localRedisPid(), mysql: await localMysqlPid() }
  const sessions = Array.from({ length: CONNECTIONS }, (_, i) => `bench_${i}_${randomBytes(8).toString('hex')}`)
  if (PAIRS > 0) return finish(await pairsRun(services, sessions))
  console.log('creating the bench database (a million-row table for exports)…')
  await createBenchDatabase()
  const env = sqlgateEnv()
  const { servers, removeRef } = await startServers(env)
  for (const { port } of servers.filter((server) => server.name !== 'baseline')) await selectSessions(port, sessions)
  const sqlgate = servers[0]!.child.pid!
  const { runs, peakRss } = await throughput(servers, sessions, services)
  let report = throughputReport(servers, runs, peakRss) + await cappedSelect(sqlgate, sessions[0]!)
  // The others are done with; their exits (and the start-up probe's) are expected from here on.
  run.stopping = true
  for (const server of servers.slice(1)) server.child.kill('SIGTERM')
  report += await startup(env)
  report += await exportSection(sqlgate, 3201, sessions[1]!)
  report += await amplificationSection(sqlgate, 3201, sessions.slice(2, 7))

  servers[0]!.child.kill('SIGTERM')
  await sleep(500)
  removeRef()
  await finish(report)
}

/** Prints the report and removes the run's Redis keys. */
async function finish (report: string): Promise<void> {
  console.log(report)
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
