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
 */
export function logDestination (fd: number, minLength: number, flushMs: number): LogDestination {
  const sonic = pino.destination({ dest: fd, sync: false, minLength, periodicFlush: flushMs })
  const write = sonic.write.bind(sonic)
  let gathered = ''
  const handOver = (): void => {
    if (gathered === '') return
    const lines = gathered
    gathered = ''
    write(lines)
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
    flushSync.call(sonic)
  }
  sonic.end = () => {
    handOver()
    end.call(sonic)
  }
  return sonic
}
