import type { Socket } from 'node:net'

/**
 * PATCH of Node (no public API gives it): the bytes libuv still has to write on a socket, from
 * its handle's `writeQueueSize`. A large answer is handed to the socket in one write; the socket's
 * public `writableLength` counts that write whole until it is done, while libuv's queue shrinks as
 * the kernel takes it piece by piece. The unread-answers check (plugins/app/edge/unread-answers-budget.ts) tells an
 * answer its client reads from one it does not by this: with `writableLength` alone, a client
 * reading an 8 MB answer slowly looked stalled.
 *
 * test/plugins/app/patches/socket-write-queue.test.ts fails once `writableLength` shrinks during such a write
 * (then this file can go), or once the handle no longer has the getter.
 */
export function writeQueueSize (socket: Socket): number {
  const handle = (socket as unknown as { _handle?: { writeQueueSize?: number } | null })._handle
  return handle?.writeQueueSize ?? 0
}
