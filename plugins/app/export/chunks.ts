/**
 * The bytes of an export as its rows are written: into one buffer at a time, handed on as a chunk
 * when the next value might not fit. Rows are written byte by byte into it rather than built as
 * strings and encoded: a million rows would otherwise be a million strings to join and encode.
 */
export class Chunks {
  buf: Buffer
  /** Where the next byte goes. */
  at = 0
  private readonly full: Buffer[] = []

  constructor (private readonly chunkBytes: number) {
    this.buf = Buffer.allocUnsafe(chunkBytes)
  }

  /** Room for `bytes` more bytes at `at`: a new buffer when the current one has less. */
  room (bytes: number): void {
    if (this.at + bytes <= this.buf.length) return
    if (this.at > 0) this.full.push(this.buf.subarray(0, this.at))
    this.buf = Buffer.allocUnsafe(Math.max(this.chunkBytes, bytes))
    this.at = 0
  }

  /** The chunks filled so far, and the one being filled when `all`; the caller sends them on. */
  take (all: boolean): Buffer[] {
    if (all && this.at > 0) {
      this.full.push(this.buf.subarray(0, this.at))
      this.buf = Buffer.allocUnsafe(this.chunkBytes)
      this.at = 0
    }
    return this.full.splice(0)
  }

  /** Bytes waiting in filled chunks (not the one being filled). */
  get ready (): boolean {
    return this.full.length > 0
  }

  /** ASCII or Latin-1 text known to need no escape (digits, base64): one byte per character. */
  ascii (text: string): void {
    this.room(text.length)
    this.at += this.buf.write(text, this.at, 'latin1')
  }

  /** Any text, as UTF-8. */
  utf8 (text: string): void {
    this.room(text.length * 3)
    this.at += this.buf.write(text, this.at, 'utf8')
  }

  /** Bytes as they are (`room` is the caller's). */
  copy (bytes: Buffer): void {
    const n = bytes.length
    const buf = this.buf
    let at = this.at
    if (n > 64) {
      bytes.copy(buf, at)
      at += n
    } else {
      for (let i = 0; i < n; i++) buf[at++] = bytes[i]!
    }
    this.at = at
  }
}
