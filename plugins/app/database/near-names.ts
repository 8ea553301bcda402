/**
 * Names a client may have meant by one it misspelt: within a few edits of it, holding it (`name`
 * for `customer_name`), or held in it as at least half of it (`created_at` for `created`, not
 * `ord` for `order_totl`), compared without case. For the hints of errors that name a database,
 * table, column or function that does not exist (./names-meant.ts, ./catalog.ts).
 */

/** Names a hint gives at most, closest first. */
export const MAX_MEANT = 3
/** How far a name may be from the unknown one (edits), and at most half the unknown one's length. */
const MAX_DISTANCE = 3
/** A name holds, or is held by, the unknown one only from this length on (`id` is in too many). */
const MIN_CONTAINED = 3

/**
 * How many edits `candidate` is from `unknown` when it may be the name meant, else null. The
 * same name is meant only when `same` allows it (a column of another table than the one the
 * statement named). A hint may weigh thousands of names on a request's error: one that holds the
 * other is as many edits away as their lengths differ, and only names within MAX_DISTANCE of the
 * other's length are compared letter by letter, along the diagonal.
 */
export function closeness (unknown: string, candidate: string, same = false): number | null {
  const a = unknown.toLowerCase()
  const b = candidate.toLowerCase()
  if (a === '' || (a === b && !same)) return null
  const apart = Math.abs(a.length - b.length)
  const holds = a.length >= MIN_CONTAINED && b.includes(a)
  const held = b.length >= MIN_CONTAINED && b.length * 2 >= a.length && a.includes(b)
  if (holds || held) return apart
  if (apart > MAX_DISTANCE) return null
  const distance = editDistance(a, b, MAX_DISTANCE)
  return distance <= MAX_DISTANCE && distance * 2 <= a.length ? distance : null
}

/**
 * Those of `candidates` that may be the name meant by `unknown`, at most `max`: closest first,
 * then closest counting case too (`orders` before `Orders2` for `orders1`), then in their order.
 */
export function nearNames (unknown: string, candidates: readonly string[], max: number): string[] {
  return candidates
    .map((name, order) => ({ name, order, distance: closeness(unknown, name) }))
    .filter((one): one is { name: string, order: number, distance: number } => one.distance !== null)
    .map((one) => ({ ...one, cased: editDistance(unknown, one.name, one.distance + MAX_DISTANCE) }))
    .sort((x, y) => x.distance - y.distance || x.cased - y.cased || x.order - y.order)
    .slice(0, max)
    .map((one) => one.name)
}

/**
 * Levenshtein distance between two names, or `bound` + 1 when it is more than `bound`: only the
 * cells within `bound` of the diagonal can lead to a distance within it, so only they are
 * computed, and the rows stop once none of them is within it.
 */
function editDistance (a: string, b: string, bound: number): number {
  const over = bound + 1
  if (Math.abs(a.length - b.length) > bound) return over
  let previous = new Uint16Array(b.length + 1).fill(over)
  let current = new Uint16Array(b.length + 1)
  for (let j = 0; j <= Math.min(b.length, bound); j++) previous[j] = j
  for (let i = 1; i <= a.length; i++) {
    current.fill(over)
    if (i <= bound) current[0] = i
    let best = current[0]!
    for (let j = Math.max(1, i - bound); j <= Math.min(b.length, i + bound); j++) {
      const cost = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)
      current[j] = Math.min(over, previous[j]! + 1, current[j - 1]! + 1, cost)
      best = Math.min(best, current[j]!)
    }
    if (best > bound) return over
    const done = previous
    previous = current
    current = done
  }
  return previous[b.length]!
}
