import { pino } from 'pino'

export type LogDestination = ReturnType<typeof pino.destination>

/**
 * Where production logs go: pino's own destination (sonic-boom), asynchronous, writing at least
 * `minLength` bytes at a time or every `flushMs`, with each event-loop turn's lines handed to it
 * as one string.
 *
 * Why gather them first: on every write, sonic-boom measures the UTF-8 length of its pending
 * buffer, a concatenated string of up to 16 kB, and measuring flattens (copies) it. Per line that
 * was about 1.5 µs, three times what pino spends formatting the line; once per turn it is lost in
 * the noise (README, Performance).
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
    if (gathered === '') setImmediate(handOver)
    gathered += line
    // A burst within one turn (a loop that logs, say) is handed over as it grows, not held whole.
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
