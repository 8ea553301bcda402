import { hostname } from 'node:os'
import { pino } from 'pino'

type SonicBoom = ReturnType<typeof pino.destination>

/**
 * Whether the process is exiting, and the destinations whose gathered lines go to sonic-boom
 * then. One listener for every destination (a process that builds several servers, as the tests
 * do, would otherwise add one per server), registered when this module loads: before pino
 * registers its own flush at exit, so it runs first.
 */
let exiting = false
const live = new Set<LogDestination>()
process.once('exit', () => {
  exiting = true
  for (const destination of live) destination.handOver()
})

/**
 * Where production logs go: the lines of each event-loop turn gathered into one string and handed
 * to pino's own destination (sonic-boom), asynchronous, which writes at least `minLength` bytes at
 * a time or every `flushMs`. Pino takes any object with `write` as its destination; this one also
 * has the `flush` and `flushSync` pino calls (`logger.flush()`, a fatal line) and an `end`. At
 * exit pino flushes sonic-boom itself: the lines gathered are handed to it first (above).
 *
 * Why gather: on every write, sonic-boom measures the UTF-8 length of its pending buffer (a
 * concatenated string of up to 16 kB, which measuring flattens); once per turn instead of once per
 * line (docs/performance.md).
 *
 * Lines waiting for a pipe nobody reads are held up to `maxBuffered` bytes; past that they are
 * dropped and counted, and a warning line says how many once the pipe takes lines again. Without
 * a bound, a stalled log reader would grow the process by every request's line until it ran out
 * of memory.
 *
 * At exit pino flushes sonic-boom synchronously, waiting for a full pipe while it drains: once the
 * process is exiting, a pipe from which nothing has been taken for STALLED_FLUSH_MS is given up,
 * rather than the exit (sonic-boom retries for ever; a stalled log reader held the process past
 * SHUTDOWN_GRACE_MS until something killed it).
 */
export class LogDestination {
  private gathered = ''
  private readonly handOverLater = (): void => { this.handOver() }

  constructor (readonly sonic: SonicBoom, private readonly minLength: number) {
    live.add(this)
    sonic.once('close', () => live.delete(this))
  }

  write (line: string): boolean {
    if (this.gathered === '') setImmediate(this.handOverLater)
    this.gathered += line
    // A burst within one turn (a loop that logs, say) is handed over as it grows, not held whole.
    if (this.gathered.length >= this.minLength) this.handOver()
    return true
  }

  /** The lines gathered so far, to sonic-boom. */
  handOver (): void {
    if (this.gathered === '') return
    const lines = this.gathered
    this.gathered = ''
    this.sonic.write(lines)
  }

  flush (cb?: (err?: Error) => unknown): void {
    this.handOver()
    this.sonic.flush(cb)
  }

  /**
   * Writes what is gathered and held, at once. A write sonic-boom already has under way is not
   * waited for (no synchronous API can): its lines may land after these and after this returns, as
   * with pino's own destination.
   */
  flushSync (): void {
    this.handOver()
    this.sonic.flushSync()
  }

  end (): void {
    this.handOver()
    this.sonic.end()
  }

  /** Closes the descriptor; lines not yet written are lost. */
  destroy (): void {
    this.gathered = ''
    live.delete(this)
    this.sonic.destroy()
  }
}

/** The production destination on `fd` (see LogDestination). */
export function logDestination (fd: number, minLength: number, flushMs: number, maxBuffered = DEFAULT_MAX_BUFFERED): LogDestination {
  let stalledLength = -1
  let stalledSince = 0
  const retryEAGAIN = (_err: Error, writing: number, remaining: number): boolean => {
    if (!exiting) return true // an asynchronous write retries on a timer: it holds nothing
    const now = Date.now()
    if (writing + remaining !== stalledLength) {
      stalledLength = writing + remaining
      stalledSince = now
    }
    return now - stalledSince < STALLED_FLUSH_MS
  }
  const sonic = pino.destination({ dest: fd, sync: false, minLength, periodicFlush: flushMs, maxLength: maxBuffered, retryEAGAIN })
  countDropped(sonic, flushMs)
  return new LogDestination(sonic, minLength)
}

/** Counts the lines sonic-boom drops, and says how many once the pipe takes lines again. */
function countDropped (sonic: SonicBoom, flushMs: number): void {
  let dropped = 0
  let writingNotice = false
  let noticeRefused = false
  sonic.on('drop', (data: string) => {
    if (writingNotice) noticeRefused = true
    else dropped += lineCount(data)
  })
  // A notice it refuses counts its lines as dropped still.
  const notice = setInterval(() => {
    if (dropped === 0) return
    const lines = dropped
    dropped = 0
    writingNotice = true
    noticeRefused = false
    sonic.write(droppedNotice(lines))
    writingNotice = false
    if (noticeRefused) dropped += lines
  }, Math.max(flushMs, 100))
  notice.unref()
}

/** How long the flush at exit waits for a pipe from which nothing is taken. */
export const STALLED_FLUSH_MS = 2000

/** How many bytes of lines may wait for the log's reader: about 80,000 request lines. */
export const DEFAULT_MAX_BUFFERED = 16 * 1024 * 1024

function lineCount (text: string): number {
  let count = 0
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++
  return count
}

/** A warning line in pino's format (its default base fields), for the lines that were dropped. */
function droppedNotice (lines: number): string {
  return `{"level":40,"time":${Date.now()},"pid":${process.pid},"hostname":${JSON.stringify(hostname())},"dropped_lines":${lines},` +
    `"msg":"${lines} log line${lines === 1 ? ' was' : 's were'} dropped: the log output was not being read"}\n`
}
