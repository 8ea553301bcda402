import type { QueryReply } from '../../../schemas/query.js'
import { JsonEscapeWriter } from './json-text.js'
import { LongText } from './long-values.js'
import { queryReplyPieces } from './query-json.js'
import { clientClosedDuringAnswer } from './query-errors.js'
import type { ClientConnection } from './statement-watchdog.js'

/** How long the lane works in one turn of the event loop, at most (plus the one piece that passes it). */
const TURN_MS = 4

/** A piece of work that returns whether it has more to do. */
type Task = () => boolean

/**
 * The writing of large answers, taken a piece at a time, in turn, and at most about TURN_MS of it
 * per turn of the event loop for all of them together. Writing an 8 MB answer is tens of
 * milliseconds of the one thread that serves every session: done at once, four of them held a
 * bystander's `SELECT 1` for a quarter of a second. In the lane, the other requests' I/O is served
 * between every few milliseconds of it, however many large answers are being written; the large
 * answers take longer instead. When nothing else is waiting, the lane works on every turn, so a
 * large answer alone is written at about its full speed. The turns go by client (its address's
 * bucket), then by answer: a client writing forty answers at once gets one piece for each piece
 * of another client's one, not forty.
 */
export class AnswerLane {
  /** Each client's answers in turn; the map's order is the clients' turn order. */
  private readonly clients = new Map<string, Task[]>()
  private scheduled = false

  /** Runs `task` in the lane, in `client`'s turns, until it says it is done. */
  add (task: Task, client = ''): void {
    const tasks = this.clients.get(client)
    if (tasks === undefined) this.clients.set(client, [task])
    else tasks.push(task)
    this.schedule()
  }

  private schedule (): void {
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(() => { this.work() })
  }

  private work (): void {
    this.scheduled = false
    const deadline = performance.now() + TURN_MS
    do {
      // The first client in turn runs its first answer's next piece, then goes to the end of the
      // turn order, that answer to the end of its own.
      const [client, tasks] = this.clients.entries().next().value!
      this.clients.delete(client)
      const task = tasks.shift()!
      if (task()) tasks.push(task)
      if (tasks.length > 0) this.clients.set(client, tasks)
    } while (this.clients.size > 0 && performance.now() < deadline)
    if (this.clients.size > 0) this.schedule()
  }
}

/** The process's one lane: the event loop it shares out is the process's. */
export const answerLane = new AnswerLane()

/** How many bytes of a long text (./long-values.ts) one step of the lane escapes into the answer, or of JSON bytes copies. */
const STEP_BYTES = 64 * 1024

/** A query's answer as its JSON (./query-json.ts's pieces), written as `writeJson` writes. */
export function answerJson (reply: QueryReply, client?: ClientConnection | null, turn = '', lane: AnswerLane = answerLane): string | Promise<Buffer> {
  return writeJson(queryReplyPieces(reply), client, turn, lane)
}

/**
 * An answer's JSON from its pieces: a small one (one piece) as its text at once; a larger one as
 * its UTF-8 bytes, made in the lane: its pieces written as text and measured, then copied into
 * one buffer of the answer's size, a piece a step (one large copy at the end would be a step of
 * its own as long as all the others together). A long text cut from its bytes (`LongText`) is
 * escaped from them straight into that buffer, a step at a time; it has room for the whole
 * budget, and the answer is what was written. A piece of JSON already made (a `Buffer`) is copied
 * as it is, a step at a time. Once `client` (the request's connection) has gone,
 * the work stops, and the answer is 499 client_closed_request. Its pieces take `turn`'s turns
 * (its client's address bucket) in the lane.
 */
export function writeJson (pieces: Iterator<string | LongText | Buffer, void>, client?: ClientConnection | null, turn = '', lane: AnswerLane = answerLane): string | Promise<Buffer> {
  const first = pieces.next().value!
  let next = pieces.next()
  if (next.done === true && typeof first === 'string') return first
  const parts = [first]
  let size = pieceSize(first)
  let bytes: Buffer | null = null
  let written = 0
  let copied = 0
  /** How much of the `Buffer` piece being copied is copied. */
  let within = 0
  let escaping: JsonEscapeWriter | null = null
  return new Promise((resolve, reject) => {
    lane.add(() => {
      try {
        // Its client has gone: nothing more is written for it (the error handler logs the request).
        if (client?.destroyed === true) throw clientClosedDuringAnswer()
        if (bytes === null) {
          if (next.done !== true) {
            parts.push(next.value)
            size += pieceSize(next.value)
            next = pieces.next()
            return true
          }
          bytes = Buffer.allocUnsafe(size)
          return true
        }
        const part = parts[copied]!
        if (typeof part === 'string') {
          written += bytes.write(part, written)
          parts[copied++] = ''
        } else if (part instanceof LongText) {
          escaping ??= new JsonEscapeWriter(part.bytes, bytes, written, written + part.budget - 2)
          const more = escaping.step(STEP_BYTES)
          written = escaping.pos
          if (!more) {
            escaping = null
            parts[copied++] = ''
          }
        } else {
          const to = Math.min(part.length, within + STEP_BYTES)
          written += part.copy(bytes, written, within, to)
          within = to
          if (within === part.length) {
            within = 0
            parts[copied++] = ''
          }
        }
        if (copied < parts.length) return true
        resolve(written === bytes.length ? bytes : bytes.subarray(0, written))
      } catch (err) {
        reject(err)
      }
      return false
    }, turn)
  })
}

/** What a piece takes in the answer's bytes: a long text at most its budget without the quotes. */
const pieceSize = (piece: string | LongText | Buffer): number => typeof piece === 'string' ? Buffer.byteLength(piece) : piece instanceof LongText ? piece.budget - 2 : piece.length
