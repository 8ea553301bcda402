/**
 * Pieces of JSON text for the places that write it by hand (the request log line, a query's
 * answer and history entry): each gives exactly what `JSON.stringify` gives for the value.
 */

/** Strings that JSON holds as they are: no quote, backslash, control or non-ASCII character. */
const PLAIN = /^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/

/** A string as JSON: quoted as it is when nothing needs escaping, else through `JSON.stringify`. */
export const jsonString = (value: string): string => PLAIN.test(value) ? '"' + value + '"' : JSON.stringify(value)

/** A number as JSON (non-finite numbers are `null`). */
export const jsonNumber = (value: number): string => Number.isFinite(value) ? String(value) : 'null'

/**
 * A large JSON text as its UTF-8 bytes, in a buffer of exactly their length: written into it,
 * which takes a third of the time `Buffer.from` takes for texts of megabytes (Node 20).
 */
export function utf8Bytes (text: string): Buffer {
  const bytes = Buffer.allocUnsafe(Buffer.byteLength(text))
  bytes.write(text)
  return bytes
}

/** What each ASCII character weighs in a JSON string: six for a control character written `\u00XX`, two for one with a short escape and for `"` and `\`, one for the rest. */
export const ASCII_WEIGHT = Uint8Array.from({ length: 128 }, (_, code) =>
  code === 8 || code === 9 || code === 10 || code === 12 || code === 13 || code === 0x22 || code === 0x5c ? 2 : code < 0x20 ? 6 : 1)

/**
 * The bytes of `text` written as a JSON string (quotes included), counted until they pass `limit`:
 * then `fits` is how many characters fit within it.
 */
export function jsonStringBytes (text: string, limit: number): { bytes: number, fits: number } {
  if (PLAIN.test(text)) {
    if (text.length + 2 <= limit) return { bytes: text.length + 2, fits: text.length }
    // What the loop below finds for plain text, without walking megabytes of it.
    return { bytes: Math.max(limit + 1, 3), fits: Math.max(0, limit - 2) }
  }
  let bytes = 2
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    let size: number
    if (code < 0x80) size = ASCII_WEIGHT[code]!
    else if (code < 0x800) size = 2
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      if (bytes + 4 > limit) return { bytes: bytes + 4, fits: i }
      bytes += 4
      i++
      continue
    } else if (code >= 0xd800 && code <= 0xdfff) size = 6 // a lone surrogate, escaped
    else size = 3
    if (bytes + size > limit) return { bytes: bytes + size, fits: i }
    bytes += size
  }
  return { bytes, fits: text.length }
}

/** The letter of each short escape (`\b`, `\t`, `\n`, `\f`, `\r`, `\"`, `\\`), by the ASCII code it stands for. */
const SHORT_ESCAPE = Uint8Array.from({ length: 128 }, (_, code) =>
  ({ 8: 0x62, 9: 0x74, 10: 0x6e, 12: 0x66, 13: 0x72, 0x22: 0x22, 0x5c: 0x5c } as Record<number, number>)[code] ?? 0)
const HEX_DIGIT = Buffer.from('0123456789abcdef', 'latin1')

/**
 * Writes the escape of one ASCII byte JSON does not keep as it is (a control character, `"`, `\`)
 * into `out` at `pos`, as `JSON.stringify` writes it (`ASCII_WEIGHT[byte]` bytes); returns where
 * it ends.
 */
export function writeAsciiEscape (out: Uint8Array, pos: number, byte: number): number {
  out[pos] = 0x5c
  const short = SHORT_ESCAPE[byte]!
  if (short !== 0) {
    out[pos + 1] = short
    return pos + 2
  }
  out[pos + 1] = 0x75
  out[pos + 2] = 0x30
  out[pos + 3] = 0x30
  out[pos + 4] = HEX_DIGIT[byte >> 4]!
  out[pos + 5] = HEX_DIGIT[byte & 15]!
  return pos + 6
}

/**
 * Where the UTF-8 character that byte `end` of `bytes` falls in starts: `end` itself at a
 * character's first byte or at the end, else moved back over the continuation bytes. A cut there
 * never splits a character.
 */
export function charStart (bytes: Uint8Array, end: number): number {
  while (end > 0 && end < bytes.length && (bytes[end]! & 0xc0) === 0x80) end--
  return end
}

/** 1 for a byte JSON keeps as it is: printable ASCII but `"` and `\`, and every byte of a multi-byte character. */
const KEPT = Uint8Array.from({ length: 256 }, (_, byte) => byte >= 0x20 && byte !== 0x22 && byte !== 0x5c ? 1 : 0)
/** A run of kept bytes up to this long is copied a byte at a time: a native copy costs more for so few. */
const SHORT_RUN = 32

/**
 * Writes UTF-8 text as the inside of a JSON string (what `JSON.stringify` writes between the
 * quotes) into `out`, straight from its bytes, a step at a time: no string is made of it. A byte
 * of a multi-byte character is copied as it is, an ASCII one escaped as `JSON.stringify` escapes
 * it. The text must be valid UTF-8 (callers check it with `isUtf8`). Writing stops for good when
 * the next character would pass `limit` in `out`: the text is cut between characters there.
 */
export class JsonEscapeWriter {
  private from = 0

  constructor (private readonly text: Buffer, private readonly out: Buffer, public pos: number, private readonly limit: number) {}

  /** Writes up to `count` more bytes of the text; false once it is all written or cut. */
  step (count: number): boolean {
    const { text, out, limit } = this
    const to = Math.min(text.length, this.from + count)
    let pos = this.pos
    let i = this.from
    while (i < to) {
      if (KEPT[text[i]!] === 1) {
        // A run of bytes JSON keeps as they are, as far as the room holds it: a long one copied natively.
        const end = Math.min(to, i + limit - pos)
        let j = i
        while (j < end && KEPT[text[j]!] === 1) j++
        if (j - i > SHORT_RUN) {
          pos += text.copy(out, pos, i, j)
        } else {
          for (let k = i; k < j; k++) out[pos++] = text[k]!
        }
        i = j
        if (i === to) break
      }
      const byte = text[i]!
      const size = KEPT[byte] === 1 ? 1 : ASCII_WEIGHT[byte]!
      if (pos + size > limit) return this.cut(i, pos)
      pos = writeAsciiEscape(out, pos, byte)
      i++
    }
    this.from = i
    this.pos = pos
    return i < text.length
  }

  /** Stops at `i`: the first bytes of a character that did not fit whole are taken back. */
  private cut (i: number, pos: number): false {
    this.pos = pos - (i - charStart(this.text, i))
    this.from = this.text.length
    return false
  }
}
