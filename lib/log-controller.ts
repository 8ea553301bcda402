import { LogController, type FastifyReply, type FastifyRequest } from 'fastify'

/**
 * One info line per request, written when the answer is sent (Fastify's default is two). It names
 * the route pattern, not the raw URL (which can hold a session id), and the session only by its
 * hash. Query text, cookies and headers are never part of it.
 */
export class RequestLogController extends LogController {
  override incomingRequest (): void {}

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = {
      method: request.method,
      route: request.routeOptions.url ?? request.url.split('?')[0],
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      session: request.sessionHash === '' ? undefined : request.sessionHash
    }
    if (error) reply.log.error({ ...line, err: error }, 'request errored')
    else reply.log.info(line, 'request')
  }
}
