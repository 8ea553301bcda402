import { Writable } from 'node:stream'
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify'
import app, { serverOptions } from '../../app.js'
import { loadConfig, type Config } from '../../config.js'
import type { QueryHistoryEntry } from '../../schemas/query.js'
import { randomSuffix, type TestContext } from './context.js'
import { TEST_MYSQL_URL } from './database.js'
import { TEST_REDIS_URL } from './redis.js'

export const TEST_COOKIE_SECRET = 'test-cookie-secret-0123456789abcdef-0123456789'

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

/** Listens on a random loopback port; the server's base URL (no trailing slash). */
export async function listen (fastify: FastifyInstance): Promise<string> {
  await fastify.listen({ port: 0, host: '127.0.0.1' })
  const address = fastify.server.address()
  return `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
}
