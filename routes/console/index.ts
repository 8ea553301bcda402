import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { FastifyPluginAsync } from 'fastify'
import fastifyStatic from '@fastify/static'
import { PAGE_HEADERS } from '../../plugins/app/edge/security-headers.js'

/**
 * The browser console at `/`: the single-page workbench Vite builds from console/ into
 * dist/public (`npm run build`; the test run builds it first). Compiled, this file is in
 * dist/routes/console; run from source, the build is in the checkout's dist/.
 */
const CONSOLE_DIR = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../public/' : '../../dist/public/', import.meta.url))

/** The page's policy with this answer's nonce for styles: CodeMirror adds its styles as <style> elements, each with the nonce. */
const pagePolicy = (nonce: string): string =>
  PAGE_HEADERS['content-security-policy']!.replace("style-src 'self'", `style-src 'self' 'nonce-${nonce}'`)

const consoleRoutes: FastifyPluginAsync = async (fastify) => {
  const page = existsSync(`${CONSOLE_DIR}index.html`) ? readFileSync(`${CONSOLE_DIR}index.html`, 'utf8') : null
  // The bounds of Max rows and Timeout next to Run, and their defaults: the service's own.
  const { QUERY_MAX_ROWS, QUERY_MAX_ROWS_LIMIT, QUERY_TIMEOUT_MS, QUERY_TIMEOUT_MAX_MS } = fastify.config
  const limits = `${QUERY_MAX_ROWS} ${QUERY_MAX_ROWS_LIMIT} ${QUERY_TIMEOUT_MS} ${QUERY_TIMEOUT_MAX_MS}`

  // The page: a fresh nonce per answer, the connected server's dialect and version for the editor
  // (its highlighting, and which executable comments hold code when it picks the statement to
  // run), the query limits.
  fastify.get('/', { schema: { hide: true } }, async (_request, reply) => {
    if (page === null) {
      return reply.code(503).type('text/plain; charset=utf-8').send('The console is not built: run `npm run build`.\n')
    }
    const nonce = randomBytes(16).toString('base64')
    const server = await fastify.mysql.server().catch(() => ({ dialect: 'mysql', version: 0 }))
    // The version only where anyone may ask the server for it (SELECT VERSION()): behind API keys
    // this page is open to all, and a database's version tells an attacker which flaws to try.
    // Without it the editor reads versioned executable comments (`/*!40101 …`) as comments.
    const version = fastify.config.API_KEYS.length === 0 ? server.version : 0
    return reply
      .header('content-security-policy', pagePolicy(nonce))
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(page.replace('__CSP_NONCE__', nonce).replace('__SQL_SERVER__', `${server.dialect} ${version}`).replace('__QUERY_LIMITS__', limits))
  })

  if (page === null) return
  // Its script, styles and icon: named by their content (assets/), so they may be cached long.
  await fastify.register(fastifyStatic, {
    root: CONSOLE_DIR,
    prefix: '/',
    index: false,
    wildcard: false, // routes only for the files that exist; anything else is our 404
    decorateReply: false, // @fastify/swagger-ui registers @fastify/static too
    schemaHide: true,
    cacheControl: true,
    maxAge: '1d',
    globIgnore: ['index.html'] // the page is the route above, with its nonce
  })
}

export default consoleRoutes
