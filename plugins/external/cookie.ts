import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import fp from 'fastify-plugin'
import cookie from '@fastify/cookie'

/** Where development keeps its generated cookie secret (git-ignored), in the directory the service runs in. */
export const DEVELOPMENT_SECRET_FILE = '.cookie-secret.local'

/**
 * The cookie secret of a development service without COOKIE_SECRET: generated once and kept in
 * `dir`/DEVELOPMENT_SECRET_FILE (readable by its owner only), so a restart, or `npm run dev`'s
 * reload, keeps the browser's session. Null when the file can be neither read nor written (a
 * read-only directory): then a secret of this process only.
 */
export function developmentSecret (dir: string): string | null {
  const path = join(dir, DEVELOPMENT_SECRET_FILE)
  try {
    const kept = readFileSync(path, 'utf8').trim()
    if (kept.length >= 32) return kept
  } catch {}
  const secret = randomBytes(32).toString('base64url')
  try {
    writeFileSync(path, secret + '\n', { mode: 0o600 })
    return secret
  } catch {
    return null
  }
}

/**
 * Signed cookies carry the browser's session id (`sid`). Without COOKIE_SECRET (development
 * only: the config refuses it in production) the secret is the development one
 * (`developmentSecret`), which is not shared with other instances. COOKIE_SECRETS_ACCEPTED are
 * checked as well (a secret being rotated in or out); COOKIE_SECRET alone signs.
 */
export default fp(async function cookiePlugin (fastify) {
  let secret = fastify.config.COOKIE_SECRET
  if (secret === undefined) {
    const kept = developmentSecret(process.cwd())
    if (kept === null) fastify.log.warn(`COOKIE_SECRET is not set, and ${DEVELOPMENT_SECRET_FILE} cannot be written here: using a random secret. Session cookies will not survive a restart or work across instances.`)
    else fastify.log.warn(`COOKIE_SECRET is not set: using the development secret in ${DEVELOPMENT_SECRET_FILE} (kept across restarts of this checkout; set COOKIE_SECRET for anything but development).`)
    secret = kept ?? randomBytes(32).toString('base64url')
  }
  // No parsing hook: it parsed every request's cookies into a new object (and a Map for
  // reply.setCookie) although only the session plugin reads one cookie, on /api routes only; it
  // parses the header itself, with fastify.parseCookie (request.cookies stays null).
  const accepted = fastify.config.COOKIE_SECRETS_ACCEPTED
  await fastify.register(cookie, { secret: accepted.length === 0 ? secret : [secret, ...accepted], hook: false })
}, { name: 'cookie', dependencies: ['config'] })
