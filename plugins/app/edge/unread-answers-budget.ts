import type { Socket } from 'node:net'
import type { Readable } from 'node:stream'
import { AnswerPieces } from './answer-pieces.js'

/** Answers at least this long go out through `UnreadAnswers.send`, a piece at a time, looked at as they start (a point query's is far shorter). */
export const WATCHED_ANSWER_CHARS = 256 * 1024

/**
 * Past the budget, only answers that have not moved for this long are closed: one whose client is
 * reading moves (the kernel takes more of it) well within it, whatever the other answers hold.
 */
export const STALLED_MS = 2000

/** What a socket held at the last look, and since when none of it has moved. */
interface Stall {
  length: number
  since: number
}

export interface UnreadAnswersOptions {
  /** About how much of their answers the clients together may leave unread (chars of the answers' text). */
  maxBytes: number
  /** A connection whose answer has not moved for this long is closed. */
  idleMs: number
  /** Told each time connections are closed for the budget: how many, and what was held before. */
  onDropped?: (dropped: number, heldBytes: number) => void
}

/**
 * The answers that clients have not read yet, over all connections, and what is done about them.
 *
 * The process holds whatever part of an answer the kernel has not taken, for as long as the
 * connection stays open: Node sets no timeout on an answer being written. Sixty connections that
 * did not read their 8 MB answers grew the process past a gigabyte in one second.
 *
 * So every connection is known here (one Set entry and one listener per connection, nothing per
 * request). A large answer goes out through `send`, a piece at a time (./answer-pieces.ts), so
 * that what its socket still holds is its `writableLength` plus the pieces not handed over yet;
 * a small one is in `writableLength` alone. A look over the connections, once a second and right
 * after each large answer starts, finds those that hold bytes:
 * - one whose answer has not moved for `idleMs` is closed, whatever the answer's size;
 * - while together they hold more than `maxBytes`, those whose answer has stood still the longest
 *   are closed first, until the rest fit; only answers that have stood still for STALLED_MS are
 *   closed so, never one whose client is reading (the budget is then exceeded while they read),
 *   and the one that moved last is always kept.
 *
 * "Moved" means that what it holds went down since the last look: a client that reads takes piece
 * after piece. An answer added to a connection that holds one already (a pipelined request's) is
 * not movement: counted so, a client that pipelines one more request at each look would keep its
 * growing answers as fresh as a reading client's, never idle, while the budget closed others.
 */
export class UnreadAnswers {
  readonly #sockets = new Set<Socket>()
  readonly #stalls = new Map<Socket, Stall>()
  /** The large answers each socket is being sent, while they are (more than one when requests are pipelined). */
  readonly #answers = new Map<Socket, Set<AnswerPieces>>()
  readonly #options: UnreadAnswersOptions
  #soon = false

  constructor (options: UnreadAnswersOptions) {
    this.#options = options
  }

  /** Sockets known, for the tests. */
  get size (): number {
    return this.#sockets.size
  }

  track (socket: Socket): void {
    this.#sockets.add(socket)
    socket.once('close', () => {
      this.#sockets.delete(socket)
      this.#stalls.delete(socket)
      this.#answers.delete(socket)
    })
  }

  /**
   * A large answer for `socket`'s client, as the stream to send (with its length as the
   * Content-Length): what the client leaves unread counts toward the budget, and a look follows.
   */
  send (socket: Socket, bytes: Buffer): Readable {
    const answer = new AnswerPieces(bytes)
    let answers = this.#answers.get(socket)
    if (answers === undefined) this.#answers.set(socket, answers = new Set())
    answers.add(answer)
    answer.once('close', () => {
      answers.delete(answer)
      if (answers.size === 0 && this.#answers.get(socket) === answers) this.#answers.delete(socket)
    })
    this.checkSoon()
    return answer
  }

  /** What `socket` still holds: its own queue, and the pieces of its large answers not handed over yet. */
  #held (socket: Socket): number {
    let held = socket.writableLength
    const answers = this.#answers.get(socket)
    if (answers !== undefined) for (const answer of answers) held += answer.remaining
    return held
  }

  /** A look once the current event-loop turn has written what it could (several calls, one look). */
  checkSoon (): void {
    if (this.#soon) return
    this.#soon = true
    setImmediate(() => {
      this.#soon = false
      this.check(Date.now())
    })
  }

  /** Closes idle connections, then the longest-stalled ones past the budget. Returns the bytes still held. */
  check (now: number): number {
    const { idleMs, maxBytes } = this.#options
    let held = 0
    let holding: Array<[Socket, Stall]> | undefined
    for (const socket of this.#sockets) {
      const length = this.#held(socket)
      if (length === 0 || socket.destroyed) {
        if (this.#stalls.size > 0) this.#stalls.delete(socket)
        continue
      }
      let stall = this.#stalls.get(socket)
      if (stall === undefined || length < stall.length) {
        stall = { length, since: now }
        this.#stalls.set(socket, stall)
      } else {
        // As much held as at the last look, or more (an answer added): the client has not read.
        stall.length = length
        if (now - stall.since >= idleMs) {
          socket.destroy()
          continue
        }
      }
      held += length
      ;(holding ??= []).push([socket, stall])
    }
    if (held <= maxBytes || holding === undefined) return held
    // Stood still longest first; among equals, the older connection (the Set's order; sort is stable).
    holding.sort((a, b) => a[1].since - b[1].since)
    const before = held
    let dropped = 0
    for (let i = 0; i < holding.length - 1 && held > maxBytes; i++) {
      const [socket, stall] = holding[i]!
      if (now - stall.since < STALLED_MS) break // the rest moved even more lately
      socket.destroy()
      held -= stall.length
      dropped++
    }
    if (dropped > 0) this.#options.onDropped?.(dropped, before)
    return held
  }
}
