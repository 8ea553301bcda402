import type { ServerResponse } from 'node:http'

/** Answers at least this long are watched while they are written (a point query's is far shorter). */
export const WATCHED_ANSWER_CHARS = 256 * 1024

/**
 * A large answer whose client takes none of it for `idleMs` is dropped, and its connection closed.
 *
 * An answer is handed to its socket whole, and Node holds what the client has not read: a client
 * that asked for 8 MB answers and never read them held them for as long as it kept its
 * connections open (20 such connections grew the process from 112 to 376 MB, for good). Node's
 * HTTP server sets no timeout on an answer being written, and the keep-alive timeout starts only
 * once it is written. The socket's idle timeout counts from the last byte the client took; when the
 * answer is out, Node sets the keep-alive one in its place.
 */
export function closeIfUnread (res: ServerResponse, idleMs: number): void {
  const socket = res.socket
  if (socket === null) return
  const onTimeout = (): void => { socket.destroy() }
  socket.setTimeout(idleMs)
  socket.once('timeout', onTimeout)
  // 'close' comes once the answer is out (a tick after 'finish') or the connection is gone.
  res.once('close', () => { socket.removeListener('timeout', onTimeout) })
}
