/**
 * A JSON number that a double cannot hold as written has two readings: the text says
 * `1.0000000000000001`, `JSON.parse` reads 1, and the database would receive 1 while a log or a
 * proxy in front shows the digits sent. Such a number (too many significant digits, or too small
 * to be anything but 0, `1e-400`) is refused rather than rounded; a string carries any decimal to
 * the database exactly. Numbers JSON.stringify writes (the shortest text that reads back as the
 * same double) always read as written.
 */

/** Strings, skipped whole, and numbers, by JSON's grammar (RFC 8259). */
const TOKENS = /"(?:[^"\\]|\\.)*"|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/g
const ZERO = 0x30
/** Up to 15 digits, any integer is held exactly by a double. */
const SHORT_INTEGER = /^-?\d{1,15}$/

/** The first number in `text` (a JSON body) that reads as another value than it spells, or null. */
export function inexactNumber (text: string): string | null {
  for (const [token] of text.matchAll(TOKENS)) {
    if (token.startsWith('"') || SHORT_INTEGER.test(token)) continue
    if (!sameDecimal(token, String(Number(token)))) return token
  }
  return null
}

/** Whether two decimal texts (`-1.50e3`, `1500`) spell the same number. */
function sameDecimal (a: string, b: string): boolean {
  const x = decimal(a)
  const y = decimal(b)
  return x.digits === y.digits && (x.digits === '' || (x.exponent === y.exponent && x.negative === y.negative))
}

/** A decimal text as its significant digits (no zeros at either end) and the exponent of the point before them. */
function decimal (text: string): { negative: boolean, digits: string, exponent: number } {
  const negative = text.startsWith('-')
  const [mantissa = '', power = '0'] = text.replace(/^-/, '').toLowerCase().split('e')
  const [whole = '', fraction = ''] = mantissa.split('.')
  const all = whole + fraction
  // Zeros counted by index: a regex for the trailing ones (`/0+$/`) retries from every zero of a
  // run that a digit ends, in time that grows with the square of the run (a body may hold a
  // number of a million digits).
  let leading = 0
  while (leading < all.length && all.charCodeAt(leading) === ZERO) leading++
  let end = all.length
  while (end > leading && all.charCodeAt(end - 1) === ZERO) end--
  return { negative, digits: all.slice(leading, end), exponent: Number(power) + whole.length - leading }
}
