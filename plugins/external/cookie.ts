import { randomBytes } from 'node:crypto'
import fp from 'fastify-plugin'
import cookie from '@fastify/cookie'

/**
 * Signed cookies carry the browser's session id (`sid`). Without COOKIE_SECRET (development
 * only: the config refuses it in production) a random secret is used, which means cookies do not
 * survive a restart and are not shared between instances.
 */
export default fp(async function cookiePlugin (fastify) {
  let secret = fastify.config.COOKIE_SECRET
  if (secret === undefined) {
    secret = randomBytes(32).toString('base64url')
    fastify.log.warn('COOKIE_SECRET is not set: using a random secret. Session cookies will not survive a restart or work across instances.')
  }
  await fastify.register(cookie, { secret, hook: 'onRequest' })
}, { name: 'cookie', dependencies: ['config'] })
