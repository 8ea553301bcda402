import { AppError } from '../../errors/errors.js'
import { plainCommentEnd } from './comments.js'
import { asciiUpper } from './literals.js'

/**
 * Optimizer hints (`/*+ … *\/`). Each hint in one must be on the list of hints that only steer the
 * planner (join order and methods, indexes, subquery strategies); anything else is refused, above
 * all what would lift the limits the gateway sets on the statement: `MAX_EXECUTION_TIME(n)` and
 * `SET_VAR(…)` outlast its timeout and row cap (MySQL, TiDB, MariaDB 12), TiDB's `MEMORY_QUOTA`
 * and `RESOURCE_GROUP` the server's own limits. A hint is sent on in one spelling: its names and
 * arguments from a small alphabet (no quote, `*` or `/`), so nothing in it can end the comment.
 */

const PLANNER_HINTS = new Set(`
  BKA NO_BKA BNL NO_BNL DERIVED_CONDITION_PUSHDOWN NO_DERIVED_CONDITION_PUSHDOWN GROUP_INDEX NO_GROUP_INDEX
  HASH_JOIN NO_HASH_JOIN INDEX NO_INDEX INDEX_MERGE NO_INDEX_MERGE JOIN_FIXED_ORDER JOIN_INDEX NO_JOIN_INDEX
  JOIN_ORDER JOIN_PREFIX JOIN_SUFFIX MERGE NO_MERGE MRR NO_MRR NO_ICP NO_RANGE_OPTIMIZATION ORDER_INDEX
  NO_ORDER_INDEX QB_NAME SEMIJOIN NO_SEMIJOIN SKIP_SCAN NO_SKIP_SCAN SUBQUERY SPLIT_MATERIALIZED
  NO_SPLIT_MATERIALIZED ROWID_FILTER NO_ROWID_FILTER
  MERGE_JOIN INL_JOIN INL_HASH_JOIN INL_MERGE_JOIN HASH_AGG STREAM_AGG USE_INDEX IGNORE_INDEX FORCE_INDEX
  USE_INDEX_MERGE AGG_TO_COP LIMIT_TO_COP READ_FROM_STORAGE USE_TOJA SEMI_JOIN_REWRITE NO_DECORRELATE LEADING
  STRAIGHT_JOIN SHUFFLE_JOIN BROADCAST_JOIN HASH_JOIN_BUILD HASH_JOIN_PROBE NO_MERGE_JOIN NO_INDEX_JOIN
  NO_INDEX_HASH_JOIN NO_INDEX_MERGE_JOIN MPP_1PHASE_AGG MPP_2PHASE_AGG IGNORE_PLAN_CACHE NTH_PLAN
  TIDB_SMJ TIDB_INLJ TIDB_HJ
`.trim().split(/\s+/))

/** Hints that would lift the gateway's limits: named in their own message. */
const LIMIT_HINTS = new Set(['SET_VAR', 'MAX_EXECUTION_TIME', 'MEMORY_QUOTA', 'RESOURCE_GROUP'])

/** Letters, digits, `_$`, whitespace and the punctuation hint arguments use: `( ) , . @ [ ]` and backticks. */
const HINT_ALPHABET = /^[\sA-Za-z0-9_$(),.@[\]`]*$/

export interface Hint {
  /** The canonical comment: `/*+ NAME(args) … *\/`. */
  text: string
  /** Index past its `*\/`. */
  end: number
}

/** Reads the hint comment that opens (`/*+`) at `start`; refuses one that is not only planner hints. */
export function readHint (sql: string, start: number): Hint {
  const end = plainCommentEnd(sql, start + 3)
  const body = sql.slice(start + 3, end - 2)
  const names = hintNames(body)
  const limit = names.find((name) => LIMIT_HINTS.has(name))
  if (limit !== undefined) {
    throw new AppError('unsupported_statement',
      `The optimizer hint ${limit} is not supported: it would lift the limits the gateway sets on the statement (its timeout, row cap or the server's memory and resource limits). Ask for them with timeout_ms and max_rows.`)
  }
  if (!HINT_ALPHABET.test(body) || !balanced(body)) {
    throw new AppError('unsupported_statement',
      'The optimizer hint comment could not be read: hints may hold names, numbers, backquoted names and ( ) , . @ [ ] only.')
  }
  const other = names.find((name) => !PLANNER_HINTS.has(name))
  if (other !== undefined) {
    throw new AppError('unsupported_statement',
      `The optimizer hint ${other} is not supported: only hints that steer the query planner (join order and methods, indexes, subquery strategies) are passed on.`)
  }
  return { text: `/*+ ${body.trim().replace(/\s+/g, ' ')} */`, end }
}

/** The names of the hints in a hint comment's body: the words outside parentheses, upper-cased. */
function hintNames (body: string): string[] {
  const names: string[] = []
  let depth = 0
  const words = /[()]|`[^`]*`|[A-Za-z0-9_$]+/g
  for (const match of body.matchAll(words)) {
    const token = match[0]
    if (token === '(') depth++
    else if (token === ')') depth--
    else if (depth === 0) names.push(asciiUpper(token.replaceAll('`', '')))
  }
  return names
}

/** Parentheses and brackets nest, and backticks pair. */
function balanced (body: string): boolean {
  if ((body.split('`').length - 1) % 2 !== 0) return false
  let depth = 0
  for (const ch of body.replace(/`[^`]*`/g, '')) {
    if (ch === '(' || ch === '[') depth++
    else if (ch === ')' || ch === ']') depth--
    if (depth < 0) return false
  }
  return depth === 0
}
