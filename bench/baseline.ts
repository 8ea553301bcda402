/**
 * The least code that can serve sqlgate's two hot requests, for `npm run bench` to compare with:
 * node:http, the JSON body parsed, one Redis GET for the session's context, one mysql2 query on a
 * pool already in that database, JSON out. No framework, no validation, no cookies, no logs.
 *   POST /api/query            { query, session_id } → { rows }
 *   GET  /api/database/context X-Session-Id          → { database_context }
 * Environment: PORT, REDIS_URL, REDIS_KEY_PREFIX, MYSQL_URL, BENCH_DATABASE.
 */
import { createServer } from 'node:http'
import { Redis } from 'ioredis'
import { createPool } from 'mysql2/promise'

const url = new URL(process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306')
const pool = createPool({
  host: url.hostname,
  port: Number(url.port || 3306),
  user: decodeURIComponent(url.username) || 'root',
  password: decodeURIComponent(url.password),
  database: process.env.BENCH_DATABASE,
  connectionLimit: 10,
  supportBigNumbers: true,
  bigNumberStrings: true,
  dateStrings: true
})
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
const prefix = process.env.REDIS_KEY_PREFIX ?? 'sqlgate:'
const contextKey = (sessionId: string) => `${prefix}session:{${sessionId}}:context`

const server = createServer((req, res) => {
  const send = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }
  if (req.method === 'GET' && req.url === '/api/database/context') {
    redis.get(contextKey(String(req.headers['x-session-id'])))
      .then((raw) => send(200, { database_context: raw === null ? null : JSON.parse(raw) }), () => send(503, {}))
    return
  }
  if (req.method === 'POST' && req.url === '/api/query') {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const { query, session_id: sessionId } = JSON.parse(Buffer.concat(chunks).toString()) as { query: string, session_id: string }
      redis.get(contextKey(sessionId))
        .then(async (raw) => {
          if (raw === null) return send(409, {})
          const [rows] = await pool.query(query)
          send(200, { rows })
        })
        .catch(() => send(500, {}))
    })
    return
  }
  send(404, {})
})
server.listen(Number(process.env.PORT ?? 3100), '127.0.0.1')
