let second = -1
let secondText = ''

/**
 * The current time as `Date#toISOString` writes it (`2026-12-05T03:14:41.123Z`). The text up to
 * the second is kept for the second it names, so most calls only write the milliseconds: every
 * query takes a timestamp for its history entry, and `toISOString` formats the whole date each
 * time (docs/performance.md).
 */
export function isoNow (now = Date.now()): string {
  const s = Math.floor(now / 1000)
  if (s !== second) {
    second = s
    secondText = new Date(s * 1000).toISOString().slice(0, 19)
  }
  const ms = now - s * 1000
  return `${secondText}.${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`
}
