/**
 * A JSON body that names one key twice in an object (`{"session_id": "a", …, "session_id": "b"}`)
 * has two readings: `JSON.parse` keeps the last, other parsers keep the first or refuse it. A proxy,
 * a firewall or an audit log in front of the service could then see another session id or another
 * statement than the one that runs. Such a body has no one reading, so it is refused.
 *
 * Every member of an object is one `:` outside strings, so the body has a repeated key exactly when
 * it has more such colons than the parsed value has members. Counting every colon first settles
 * most bodies without reading their strings.
 */

/** The first key named twice in one object of `text` (decoded, as `JSON.parse` reads it), or null. */
export function duplicateKey (text: string, value: unknown): string | null {
  const members = memberCount(value)
  if (colonCount(text) === members || membersInText(text) === members) return null
  return firstRepeatedKey(text)
}

/** The members of every object in `value`. Iterative: JSON can nest deeper than the stack. */
function memberCount (value: unknown): number {
  let count = 0
  const pending: unknown[] = [value]
  while (pending.length > 0) {
    const item = pending.pop()
    if (typeof item !== 'object' || item === null) continue
    const children = Array.isArray(item) ? item as unknown[] : Object.values(item)
    if (!Array.isArray(item)) count += children.length
    for (const child of children) if (typeof child === 'object' && child !== null) pending.push(child)
  }
  return count
}

function colonCount (text: string): number {
  let count = 0
  for (let i = text.indexOf(':'); i !== -1; i = text.indexOf(':', i + 1)) count++
  return count
}

/** The colons outside strings: one for each member the text names. Jumps from quote to quote. */
function membersInText (text: string): number {
  let count = 0
  let i = 0
  let colon = text.indexOf(':')
  while (colon !== -1) {
    const quote = text.indexOf('"', i)
    if (quote === -1 || colon < quote) {
      count++
      i = colon + 1
      colon = text.indexOf(':', i)
      continue
    }
    i = stringEnd(text, quote) + 1
    if (colon < i) colon = text.indexOf(':', i)
  }
  return count
}

/** The index of the quote that closes the string opened at `open`: the next one not escaped by an odd run of backslashes. */
function stringEnd (text: string, open: number): number {
  for (let i = text.indexOf('"', open + 1); i !== -1; i = text.indexOf('"', i + 1)) {
    let backslashes = 0
    while (text.charCodeAt(i - 1 - backslashes) === 92) backslashes++
    if (backslashes % 2 === 0) return i
  }
  return text.length
}

/** Reads the text's objects with the keys each has named so far; only run on a body that repeats one. */
function firstRepeatedKey (text: string): string | null {
  const objects: Array<Set<string> | null> = []
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code === 123) objects.push(new Set()) // {
    else if (code === 91) objects.push(null) // [
    else if (code === 125 || code === 93) objects.pop() // } ]
    else if (code === 34) {
      const end = stringEnd(text, i)
      const keys = objects.at(-1)
      if (keys !== null && keys !== undefined && nextSignificant(text, end + 1) === ':') {
        const key = JSON.parse(text.slice(i, end + 1)) as string
        if (keys.has(key)) return key
        keys.add(key)
      }
      i = end
    }
  }
  return null
}

function nextSignificant (text: string, from: number): string {
  let i = from
  while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++
  return text[i] ?? ''
}
