import { hostname } from 'node:os'
import { pino } from 'pino'

export type LogDestination = ReturnType<typeof pino.destination>

/**
 * Where production logs go: pino's own destination (sonic-boom), asynchronous, writing at least
 * `minLength` bytes at a time or every `flushMs`, with the lines handed to it as one string per
 * write: gathered here until they reach `minLength` or its periodic flush comes.
 *
 * Why gather them first: on every write, sonic-boom measures the UTF-8 length of the string it is
 * given and of its pending buffer, a concatenated string of up to 16 kB, and measuring flattens
 * (copies) them. Per line that was about 1.5 µs, three times what pino spends formatting the
 * line; handed over once per event-loop turn, the pending buffer was still measured at each turn
 * (about 0.3 µs per request under load); handed over once per write, each byte is measured once
 * (docs/performance.md).
 *
 * Everything else stays sonic-boom's: partial writes, EAGAIN on a full pipe, and the flush at exit
 * that pino registers for the destinations it builds; a flush or an end first hands over the
 * lines still gathered.
 *
 * Lines waiting for a pipe nobody reads are held up to `maxBuffered` bytes; past that they are
 * dropped, and the first write that fits again begins with a warning line that says how many.
 * Without a bound, a stalled log reader grew the process by every request's line (85 MB in 20 s
 * under load) until it ran out of memory.
 *
 * The flush at exit (flushSync) waits for a full pipe while it drains, and gives up once nothing
 * has been taken from it for STALLED_FLUSH_MS: sonic-boom retries for ever, so a stalled log
 * reader held the process at exit, past SHUTDOWN_GRACE_MS, until something killed it.
 */
export function logDestination (fd: number, minLength: number, flushMs: number, maxBuffered = DEFAULT_MAX_BUFFERED): LogDestination {
  /** While flushSync runs: how much it still had to write at its last full pipe, and since when. */
  let flushing = false
  let stalledLength = -1
  let stalledSince = 0
  const retryEAGAIN = (_err: Error, writing: number, remaining: number): boolean => {
    if (!flushing) return true // an asynchronous write retries on a timer: it holds nothing
    const now = Date.now()
    if (writing + remaining !== stalledLength) {
      stalledLength = writing + remaining
      stalledSince = now
    }
    return now - stalledSince < STALLED_FLUSH_MS
  }
  const sonic = pino.destination({ dest: fd, sync: false, minLength, periodicFlush: flushMs, maxLength: maxBuffered, retryEAGAIN })
  const write = sonic.write.bind(sonic)
  let gathered = ''
  /** Lines sonic-boom refused since the last that went out ('drop' is emitted within its write). */
  let dropped = 0
  sonic.on('drop', (data: string) => { dropped += lineCount(data) })
  const handOver = (): void => {
    if (gathered === '') return
    const lines = gathered
    gathered = ''
    if (dropped === 0) {
      write(lines)
      return
    }
    const before = dropped
    dropped = 0
    write(droppedNotice(before) + lines)
    if (dropped > 0) dropped += before - 1 // refused again, the notice with them
  }
  sonic.write = (line: string): boolean => {
    gathered += line
    // Enough for a write: handed over now (also in the middle of a burst). Less waits for the
    // periodic flush, which sonic-boom would have waited for as well.
    if (gathered.length >= minLength) handOver()
    return true
  }
  const { flush, flushSync, end } = sonic
  sonic.flush = (cb?: (err?: Error) => unknown) => {
    handOver()
    flush.call(sonic, cb)
  }
  sonic.flushSync = () => {
    handOver()
    flushing = true
    stalledLength = -1
    try {
      flushSync.call(sonic)
    } catch (err) {
      // Nothing reads the pipe: the lines still waiting are given up, rather than the exit.
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN' && (err as NodeJS.ErrnoException).code !== 'EBUSY') throw err
    } finally {
      flushing = false
    }
  }
  sonic.end = () => {
    handOver()
    end.call(sonic)
  }
  return sonic
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
