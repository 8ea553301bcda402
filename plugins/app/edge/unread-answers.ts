import fp from 'fastify-plugin'
import type { FastifyReply } from 'fastify'
import { utf8Bytes } from '../query/json-text.js'
import { UnreadAnswers, WATCHED_ANSWER_CHARS } from './unread-answers-budget.js'

declare module 'fastify' {
  interface FastifyInstance {
    unreadAnswers: UnreadAnswers
  }
  interface FastifyReply {
    /**
     * Sends a JSON answer's text (or bytes): a small one as it is; a large one as its bytes, a
     * piece at a time with its Content-Length, what its client leaves unread counted.
     */
    sendAnswer: (body: string | Buffer) => FastifyReply
  }
}

/**
 * `fastify.unreadAnswers`: answers their clients do not read are not held in memory for ever, nor
 * past `UNREAD_ANSWERS_MAX_BYTES` together (plugins/app/edge/unread-answers-budget.ts). Every connection of the server
 * is tracked; a look over them runs once a second (more often with a short `REQUEST_TIMEOUT_MS`)
 * and whenever a route hands over a large answer (`reply.sendAnswer`).
 */
export default fp(async function unreadAnswersPlugin (fastify) {
  const { config, log } = fastify
  const unreadAnswers = new UnreadAnswers({
    maxBytes: config.UNREAD_ANSWERS_MAX_BYTES,
    idleMs: config.REQUEST_TIMEOUT_MS,
    onDropped: (dropped, heldBytes) => {
      log.warn({ dropped_connections: dropped, unread_bytes: heldBytes, limit: config.UNREAD_ANSWERS_MAX_BYTES },
        'closed connections whose clients were not reading their answers: unread answers over UNREAD_ANSWERS_MAX_BYTES')
    }
  })
  fastify.decorate('unreadAnswers', unreadAnswers)
  fastify.decorateReply('sendAnswer', function sendAnswer (this: FastifyReply, body: string | Buffer): FastifyReply {
    if (body.length < WATCHED_ANSWER_CHARS) return this.send(body)
    // Encoded once: as a string, its length would be counted in one pass over it and its bytes
    // written in another.
    const bytes = typeof body === 'string' ? utf8Bytes(body) : body
    return this.header('content-length', bytes.length).send(unreadAnswers.send(this.request.raw.socket, bytes))
  })
  fastify.server.on('connection', (socket) => { unreadAnswers.track(socket) })

  let timer: NodeJS.Timeout | undefined
  fastify.addHook('onReady', async () => {
    timer = setInterval(() => unreadAnswers.check(Date.now()), Math.min(1000, config.REQUEST_TIMEOUT_MS / 4))
    timer.unref()
  })
  fastify.addHook('onClose', async () => { clearInterval(timer) })
}, { name: 'unread-answers', dependencies: ['config'] })
