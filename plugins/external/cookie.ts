import { randomBytes } from 'node:crypto'
import fp from 'fastify-plugin'
import cookie from '@fastify/cookie'

/**
 * Signed cookies carry the browser's session id (`sid`). Without COOKIE_SECRET (development
 * only: the config refuses it in production) a random secret is used, which means cookies do not
 * survive a restart and are not shared between instances. COOKIE_SECRETS_ACCEPTED are checked as
 * well (a secret being rotated in or out); COOKIE_SECRET alone signs.
 */
export default fp(async function cookiePlugin (fastify) {
  let secret = fastify.config.COOKIE_SECRET
  if (secret === undefined) {
    secret = randomBytes(32).toString('base64url')
    fastify.log.warn('COOKIE_SECRET is not set: using a random secret. Session cookies will not survive a restart or work across instances.')
  }
  // No parsing hook: it parsed every request's cookies into a new object (and a Map for
  // reply.setCookie) although only the session plugin reads one cookie, on /api routes only; it
  // parses the header itself, with fastify.parseCookie (request.cookies stays null).
  const accepted = fastify.config.COOKIE_SECRETS_ACCEPTED
  await fastify.register(cookie, { secret: accepted.length === 0 ? secret : [secret, ...accepted], hook: false })
}, { name: 'cookie', dependencies: ['config'] })
