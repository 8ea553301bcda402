import { Readable } from 'node:stream'

/** How much of a large answer is handed to its socket at a time. */
export const PIECE_BYTES = 64 * 1024

/**
 * A large answer's bytes as a stream of pieces, each handed to the socket once it has taken the
 * one before (piped with back-pressure; no read-ahead beyond one piece). What the process still
 * holds for the client is then public and exact: the socket's `writableLength` (at most a piece)
 * plus `remaining`. Handed over in one write, an answer is counted whole by `writableLength`
 * until the kernel has taken its last byte, so a client reading it slowly looks like one that does
 * not read at all (./unread-answers-budget.ts tells the two apart by what moves).
 */
export class AnswerPieces extends Readable {
  #at = 0

  constructor (private readonly bytes: Buffer) {
    super({ highWaterMark: 0 })
  }

  /** Bytes not handed to the socket yet. */
  get remaining (): number {
    return this.bytes.length - this.#at
  }

  override _read (): void {
    const end = Math.min(this.bytes.length, this.#at + PIECE_BYTES)
    const piece = this.bytes.subarray(this.#at, end)
    this.#at = end
    this.push(piece)
    if (end === this.bytes.length) this.push(null)
  }
}
