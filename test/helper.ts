import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify'
import { Redis } from 'ioredis'
import mysql from 'mysql2/promise'
import app, { serverOptions } from '../app.js'
import { loadConfig, type Config } from '../config.js'
import type { QueryHistoryEntry } from '../schemas/query.js'

/** Where the tests find their services (override for a CI with other addresses). */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/11'
export const TEST_MYSQL_URL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306'
export const TEST_COOKIE_SECRET = 'test-cookie-secret-0123456789abcdef-0123456789'

/** The slice of tap's `t` the helpers need. */
interface TestContext {
  teardown: (fn: () => unknown) => void
}

/**
 * `node` with `args`, from the repository's root, as a plain node (the way server.ts runs): through
 * env -i (PATH only), since tap adds its coverage hooks (NODE_OPTIONS) to every process a test
 * spawns, whatever environment the test gives it.
 */
export function spawnPlainNode (args: readonly string[], stdio: StdioOptions): ChildProcess {
  return spawn('env', ['-i', `PATH=${process.env.PATH ?? ''}`, process.execPath, ...args], { cwd: new URL('..', import.meta.url).pathname, stdio })
}

/** The heap in use after a full collection (V8's gc(), reached without --expose-gc on the command line). */
export function liveHeapBytes (): number {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  gc()
  return process.memoryUsage().heapUsed
}

export function randomSuffix (bytes = 6): string {
  return randomBytes(bytes).toString('hex')
}

export function randomSessionId (): string {
  return `test_${randomSuffix(12)}`
}

/** A configuration for one test: its own key prefix in a dedicated Redis logical database. */
export function testConfig (env: Record<string, string> = {}): Config {
  return loadConfig({
    REDIS_URL: TEST_REDIS_URL,
    MYSQL_URL: TEST_MYSQL_URL,
    REDIS_KEY_PREFIX: `sqlgate-test-${randomSuffix()}:`,
    COOKIE_SECRET: TEST_COOKIE_SECRET,
    LOG_LEVEL: 'silent',
    ...env
  })
}

export interface BuildOptions {
  env?: Record<string, string>
  config?: Config
  /** Receives every log line as parsed JSON (sets LOG_LEVEL to info unless env says otherwise). */
  logs?: Array<Record<string, unknown>>
  /** Runs after the app is registered and before ready(), e.g. to add a test-only route. */
  beforeReady?: (fastify: FastifyInstance) => void
}

/** The app, built exactly as server.ts builds it, ready, and closed when the test ends. */
export async function build (t: TestContext, options: BuildOptions = {}): Promise<FastifyInstance> {
  const env = { ...(options.logs === undefined ? {} : { LOG_LEVEL: 'info' }), ...options.env }
  const config = options.config ?? testConfig(env)
  const fastifyOptions = serverOptions(config)
  if (options.logs !== undefined) {
    const sink = options.logs
    const stream = new Writable({
      write (chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line !== '') sink.push(JSON.parse(line))
        done()
      }
    })
    fastifyOptions.logger = { ...(fastifyOptions.logger as object), stream }
  }
  const fastify = Fastify(fastifyOptions)
  t.teardown(() => fastify.close())
  await fastify.register(app, { config })
  options.beforeReady?.(fastify)
  await fastify.ready()
  return fastify
}

/** A Redis client on the tests' logical database, for looking at what the service stored. */
export function redisClient (t: TestContext): Redis {
  const client = new Redis(TEST_REDIS_URL)
  t.teardown(() => client.quit())
  return client
}

/** An admin connection to the test server (root), closed when the test ends. */
export async function adminConnection (t: TestContext): Promise<mysql.Connection> {
  const url = new URL(TEST_MYSQL_URL)
  const conn = await mysql.createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username) || 'root',
    password: decodeURIComponent(url.password),
    multipleStatements: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true
  })
  t.teardown(() => conn.end())
  return conn
}

/** Server ids of the statements still running whose text holds `marker` (`admin`'s own excluded). */
export async function runningStatements (admin: mysql.Connection, marker: string): Promise<number[]> {
  const [rows] = await admin.query('SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND ID <> CONNECTION_ID()', [`%${marker}%`]) as unknown as [Array<{ ID: string }>]
  return rows.map((row) => Number(row.ID))
}

/**
 * How many statements the pool's connection has prepared and closed in its life (with
 * MYSQL_POOL_SIZE=1, the one connection every query ran on).
 */
export async function preparedStatementCounts (fastify: FastifyInstance, database: string): Promise<{ prepared: number, closed: number }> {
  const lease = await fastify.mysql.acquire(database)
  try {
    const [rows] = await lease.conn.promise().query({ sql: "SHOW SESSION STATUS WHERE Variable_name IN ('Com_stmt_prepare', 'Com_stmt_close')", rowsAsArray: false }) as unknown as [Array<{ Variable_name: string, Value: string }>]
    const count = Object.fromEntries(rows.map((row) => [row.Variable_name, Number(row.Value)]))
    return { prepared: count.Com_stmt_prepare ?? 0, closed: count.Com_stmt_close ?? 0 }
  } finally {
    lease.release()
  }
}

/**
 * A database user that may only read `database` (SELECT, SHOW VIEW), dropped when the test ends:
 * the MYSQL_URL of a deployment that follows the README ("Read-only").
 */
export async function selectOnlyUserUrl (t: TestContext, database: string): Promise<string> {
  const admin = await adminConnection(t)
  const user = `sqlgate_ro_${randomSuffix(4)}`
  const password = randomSuffix(8)
  await admin.query(`CREATE USER '${user}'@'127.0.0.1' IDENTIFIED BY '${password}'`)
  t.teardown(async () => { await admin.query(`DROP USER IF EXISTS '${user}'@'127.0.0.1'`) })
  await admin.query(`GRANT SELECT, SHOW VIEW ON \`${database}\`.* TO '${user}'@'127.0.0.1'`)
  const url = new URL(TEST_MYSQL_URL)
  url.username = user
  url.password = password
  return url.toString()
}

/**
 * A database of the test's own (random name unless given), with `setupSql` run inside it,
 * dropped when the test ends.
 */
export async function createDatabase (t: TestContext, setupSql = '', name = `sqlgate_t_${randomSuffix()}`): Promise<string> {
  const conn = await adminConnection(t)
  const id = mysql.escapeId(name, true)
  await conn.query(`CREATE DATABASE ${id}`)
  t.teardown(async () => {
    const cleanup = await mysql.createConnection({ uri: TEST_MYSQL_URL })
    await cleanup.query(`DROP DATABASE IF EXISTS ${id}`)
    await cleanup.end()
  })
  if (setupSql !== '') {
    await conn.query(`USE ${id}`)
    await conn.query(setupSql)
  }
  return name
}

export function post (fastify: FastifyInstance, url: string, payload: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return fastify.inject({ method: 'POST', url, payload: payload as Record<string, unknown>, headers })
}

/** A new session with `database` selected in `fastify`: its id. A select that fails stops the test. */
export async function selectedSession (fastify: FastifyInstance, database: string): Promise<string> {
  const sessionId = randomSessionId()
  const res = await post(fastify, '/api/database/select', { database_name: database, session_id: sessionId })
  if (res.statusCode !== 200) throw new Error(`selecting ${database} answered ${res.statusCode}: ${res.body}`)
  return sessionId
}

/** A successful query's history entry, for tests that end queries through the session store. */
export function historyEntry (queryId: string, query: string): QueryHistoryEntry {
  return { query_id: queryId, query, executed_at: new Date().toISOString(), status: 'ok', error_code: null, row_count: 1, execution_time_ms: 1 }
}

/** The `sid` cookie a response set, as a Cookie header value. */
export function sidCookie (res: LightMyRequestResponse): string {
  const cookie = res.cookies.find((c) => c.name === 'sid')
  if (cookie === undefined) throw new Error('the response set no sid cookie')
  return `sid=${cookie.value}`
}

/** Servers a test starts must not outlive its process, even when a teardown does not run. */
function killOnExit (child: import('node:child_process').ChildProcess): void {
  process.once('exit', () => child.kill('SIGKILL'))
}

/** A free TCP port on loopback (closed again, so a server can take it). */
export async function freePort (): Promise<number> {
  const { createServer } = await import('node:net')
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0))
    })
  })
}

/**
 * A redis-server of the test's own on a random port, that the test can stop and start again
 * (the shared one on 6379 is never stopped). Killed when the test ends.
 */
export async function throwawayRedis (t: TestContext): Promise<{ url: string, stop: () => Promise<void>, start: () => Promise<void> }> {
  const { spawn } = await import('node:child_process')
  const port = await freePort()
  let child: ReturnType<typeof spawn> | undefined
  const start = async (): Promise<void> => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
    killOnExit(child)
    const probe = new Redis({ port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 })
    for (let i = 0; i < 100; i++) {
      try {
        await probe.connect()
        await probe.ping()
        probe.disconnect()
        return
      } catch {
        probe.disconnect()
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }
    throw new Error(`throwaway redis on ${port} did not start`)
  }
  const stop = async (): Promise<void> => {
    const running = child
    if (running === undefined || running.exitCode !== null) return
    const exited = new Promise((resolve) => running.once('exit', resolve))
    running.kill('SIGKILL')
    await exited
  }
  await start()
  t.teardown(stop)
  return { url: `redis://127.0.0.1:${port}`, stop, start }
}

/**
 * A TCP proxy on loopback in front of `target`, that a test can break: `cut()` destroys every
 * open connection and refuses new ones until `heal()`. Closed when the test ends.
 */
export async function tcpProxy (t: TestContext, target: { host: string, port: number }) {
  const net = await import('node:net')
  const sockets = new Set<import('node:net').Socket>()
  /** Each server side, with its client. */
  const upstreams = new Map<import('node:net').Socket, import('node:net').Socket>()
  let broken = false
  const server = net.createServer((client) => {
    if (broken) {
      client.destroy()
      return
    }
    const upstream = net.connect(target.port, target.host)
    sockets.add(client)
    sockets.add(upstream)
    const drop = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
    client.pipe(upstream)
    upstream.pipe(client)
    upstreams.set(upstream, client)
    upstream.once('close', () => upstreams.delete(upstream))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  t.teardown(() => {
    for (const socket of sockets) socket.destroy()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return {
    port,
    /** Live connections through the proxy (each client and upstream side counts once). */
    connections: () => sockets.size / 2,
    cut () {
      broken = true
      for (const socket of sockets) socket.destroy()
      sockets.clear()
    },
    /** The server's answers stop reaching the clients of the connections open now; nothing is closed. */
    stall () {
      for (const upstream of upstreams.keys()) upstream.unpipe()
    },
    /** The stalled answers go on to their clients, those held back first. */
    resume () {
      for (const [upstream, client] of upstreams) upstream.pipe(client)
    },
    heal () {
      broken = false
    }
  }
}

/** TEST_MYSQL_URL with its host and port replaced (e.g. by a proxy's). */
export function mysqlUrlVia (port: number, host = '127.0.0.1'): string {
  const url = new URL(TEST_MYSQL_URL)
  url.hostname = host
  url.port = String(port)
  return url.toString()
}

export function mysqlTarget (): { host: string, port: number } {
  const url = new URL(TEST_MYSQL_URL)
  return { host: url.hostname, port: Number(url.port || 3306) }
}

async function portIsFree (port: number): Promise<boolean> {
  const { createServer } = await import('node:net')
  return await new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/**
 * A real Redis Cluster of three masters on random local ports (each with its bus port at
 * +10000), created with `redis-cli --cluster create`, killed and removed when the test ends.
 */
export async function throwawayRedisCluster (t: TestContext): Promise<{ nodes: string[], stop: (index: number) => Promise<void>, start: (index: number) => Promise<void> }> {
  const { spawn, execFile } = await import('node:child_process')
  const { mkdtemp, rm } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const { promisify } = await import('node:util')
  const run = promisify(execFile)
  const dir = await mkdtemp(`${tmpdir()}/sqlgate-cluster-`)
  const ports: number[] = []
  while (ports.length < 3) {
    const port = 20000 + Math.floor(Math.random() * 20000)
    if (!ports.includes(port) && await portIsFree(port) && await portIsFree(port + 10000)) ports.push(port)
  }
  const launch = (port: number) => spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
    '--cluster-config-file', `nodes-${port}.conf`, '--dir', dir, '--save', '', '--appendonly', 'no'
  ], { stdio: 'ignore' })
  const children = ports.map(launch)
  children.forEach(killOnExit)
  t.teardown(async () => {
    for (const child of children) child.kill('SIGKILL')
    await rm(dir, { recursive: true, force: true })
  })
  for (const port of ports) {
    for (let i = 0; i < 100; i++) {
      const ok = await run('redis-cli', ['-p', String(port), 'ping']).then(({ stdout }) => stdout.trim() === 'PONG', () => false)
      if (ok) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  const nodes = ports.map((port) => `127.0.0.1:${port}`)
  await run('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'])
  for (let i = 0; i < 100; i++) {
    const states = await Promise.all(ports.map((port) => run('redis-cli', ['-p', String(port), 'cluster', 'info']).then(({ stdout }) => stdout, () => '')))
    if (states.every((state) => state.includes('cluster_state:ok'))) {
      return {
        nodes,
        // A node's cluster config survives in `dir`, so a restarted node rejoins with its slots.
        stop: async (index: number) => {
          const child = children[index]!
          const exited = new Promise((resolve) => child.once('exit', resolve))
          child.kill('SIGKILL')
          await exited
        },
        start: async (index: number) => {
          children[index] = launch(ports[index]!)
          killOnExit(children[index]!)
          for (let i = 0; i < 100; i++) {
            const ok = await run('redis-cli', ['-p', String(ports[index]), 'cluster', 'info']).then(({ stdout }) => stdout.includes('cluster_state:ok'), () => false)
            if (ok) return
            await new Promise((resolve) => setTimeout(resolve, 100))
          }
        }
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error('the throwaway Redis Cluster did not become ready')
}

/** Listens on a random loopback port; the server's base URL (no trailing slash). */
export async function listen (fastify: FastifyInstance): Promise<string> {
  await fastify.listen({ port: 0, host: '127.0.0.1' })
  const address = fastify.server.address()
  return `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
}

/**
 * A reverse proxy that serves `upstream` under `path` (`/sqlgate`): `/sqlgate/x` is passed on as
 * `/x`, anything else answered 404 by the proxy itself. Its base URL (with the path and a trailing
 * slash), and the requests it passed on, as `METHOD /sqlgate/x`.
 */
export async function pathProxy (t: TestContext, upstream: string, path: string): Promise<{ base: string, seen: string[] }> {
  const target = new URL(upstream)
  const seen: string[] = []
  const proxy = createServer((req, res) => {
    if (req.url?.startsWith(`${path}/`) !== true) {
      res.writeHead(404).end('not behind the proxy')
      return
    }
    seen.push(`${req.method!} ${req.url}`)
    const forward = request({ host: target.hostname, port: target.port, method: req.method, path: req.url.slice(path.length), headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode!, answer.headers)
      answer.pipe(res)
    })
    req.pipe(forward)
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { proxy.closeAllConnections(); proxy.close(() => resolve()) }))
  return { base: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}${path}/`, seen }
}

/** Debian's Chromium, for the browser tests (CHROMIUM_PATH for another one). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
/** Browser tests are skipped where Chromium is absent, except in CI, which must run them (.ci/run installs it). */
export const skipWithoutChromium = !existsSync(CHROMIUM) && process.env.CI !== 'true'
  ? `browser tests need Chromium at ${CHROMIUM} (apt-get install chromium)`
  : false
