/**
 * Names a client may have meant by one it misspelt: within a few edits of it, holding it (`name`
 * for `customer_name`), or held in it as at least half of it (`created_at` for `created`, not
 * `ord` for `order_totl`), compared without case. For the hints of errors that name a database,
 * table, column or function that does not exist (./names-meant.ts, ./catalog.ts).
 */

/** How far a name may be from the unknown one (edits), and at most half the unknown one's length. */
const MAX_DISTANCE = 3
/** A name holds, or is held by, the unknown one only from this length on (`id` is in too many). */
const MIN_CONTAINED = 3

/**
 * How many edits `candidate` is from `unknown` when it may be the name meant, else null. The
 * same name is meant only when `same` allows it (a column of another table than the one the
 * statement named).
 */
export function closeness (unknown: string, candidate: string, same = false): number | null {
  const a = unknown.toLowerCase()
  const b = candidate.toLowerCase()
  if (a === '' || (a === b && !same)) return null
  const distance = editDistance(a, b)
  if (distance <= MAX_DISTANCE && distance * 2 <= a.length) return distance
  const holds = a.length >= MIN_CONTAINED && b.includes(a)
  const held = b.length >= MIN_CONTAINED && b.length * 2 >= a.length && a.includes(b)
  return holds || held ? distance : null
}

/**
 * Those of `candidates` that may be the name meant by `unknown`, at most `max`: closest first,
 * then closest counting case too (`orders` before `Orders2` for `orders1`), then in their order.
 */
export function nearNames (unknown: string, candidates: readonly string[], max: number): string[] {
  return candidates
    .map((name, order) => ({ name, order, distance: closeness(unknown, name) }))
    .filter((one): one is { name: string, order: number, distance: number } => one.distance !== null)
    .map((one) => ({ ...one, cased: editDistance(unknown, one.name) }))
    .sort((x, y) => x.distance - y.distance || x.cased - y.cased || x.order - y.order)
    .slice(0, max)
    .map((one) => one.name)
}

/** Levenshtein distance between two names (the server's at most 64 characters; an unknown one as a server quotes it, 192). */
function editDistance (a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]!
}
