import { dashesStartComment, plainCommentEnd, readComment } from '../plugins/app/query/sql/comments.js'
import { decodeQuotedName, decodeString, isWordChar, runEnd } from '../plugins/app/query/sql/literals.js'
import type { SqlServer } from '../plugins/app/query/sql/server.js'

/**
 * The statements of the editor's text, so Run can send the one under the cursor. The text is cut
 * at each `;` the gateway would read as the end of a statement: not one inside a string, a quoted
 * name or a comment, and not one inside the BEGIN … END body of a stored program
 * (`CREATE PROCEDURE p () BEGIN SELECT 1; SELECT 2; END`), which is one statement. Comments are
 * read by the gateway's own rules for the connected server (plugins/app/query/sql/comments.ts):
 * `#`, `-- ` (`1--1` is arithmetic), and executable comments, whose text is code or a comment as
 * that server's version decides. The gateway reads the statement sent again; this only picks it.
 */
export interface StatementRange {
  /** Where the statement's text starts (after the `;` before it) and ends (its own `;`, or the text's end). */
  from: number
  to: number
}

/** Statements that define a stored program, whose body may hold `;`. */
const PROGRAM_KINDS = new Set(['PROCEDURE', 'FUNCTION', 'TRIGGER', 'EVENT'])
/** `END IF`, `END LOOP`, …: they close a block whose opening word is not counted. */
const OTHER_BLOCK_ENDS = new Set(['IF', 'LOOP', 'WHILE', 'REPEAT', 'FOR'])

/** The statement the cursor at `at` is in; right after a `;`, the statement that `;` ends. */
export function statementAt (text: string, at: number, server: SqlServer): StatementRange | null {
  const statements = splitStatements(text, server)
  return statements.find((s) => at >= s.from && at <= s.to + 1) ??
    statements.findLast((s) => s.from <= at) ??
    statements[0] ??
    null
}

/** The statements of `text` that hold code (not only whitespace and comments). */
export function splitStatements (text: string, server: SqlServer): StatementRange[] {
  const out: StatementRange[] = []
  let start = 0
  let hasCode = false
  /** Inside an executable comment whose text is code: its `*\/` ends it. */
  let inCode = false
  const block = new BlockDepth()
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    if (c === ';' && block.depth === 0) {
      if (hasCode) out.push({ from: start, to: i })
      start = i + 1
      hasCode = false
      block.reset()
      i++
    } else if (c <= ' ' || c === ';') {
      // Whitespace, or a `;` inside a stored program's body.
      i++
    } else if (c === '#' || (c === '-' && text[i + 1] === '-' && dashesStartComment(text, i, server))) {
      const end = text.indexOf('\n', i)
      i = end === -1 ? text.length : end
    } else if (c === '/' && text[i + 1] === '*') {
      const comment = readCommentAt(text, i, server)
      inCode ||= comment.code
      i = comment.end
    } else if (c === '*' && text[i + 1] === '/' && inCode) {
      inCode = false
      i += 2
    } else {
      hasCode = true
      i = code(text, i, block)
    }
  }
  if (hasCode) out.push({ from: start, to: text.length })
  return out
}

/** Past the code token at `i` (a string, a quoted name, a word counted for `block`, or one other character). */
function code (text: string, i: number, block: BlockDepth): number {
  const c = text[i]!
  if (c === "'" || c === '"' || c === '`') return quoteEnd(text, i)
  if (!isWordChar(text.charCodeAt(i))) return i + 1
  const end = runEnd(text, i, isWordChar)
  block.word(text.slice(i, end).toUpperCase(), () => nextWord(text, end))
  return end
}

/** The comment at `i` as the gateway reads it: where reading goes on, and whether what follows is an executable comment's code. */
function readCommentAt (text: string, i: number, server: SqlServer): { end: number, code: boolean } {
  try {
    const reading = readComment(text, i, server)
    if (reading.kind === 'skip') return { end: reading.end, code: false }
    if (reading.kind === 'code') return { end: reading.start, code: true }
    return { end: plainCommentEnd(text, i + 2), code: false } // an optimizer hint holds no statement's end
  } catch {
    return { end: text.length, code: false } // unterminated: it runs to the end of the text
  }
}

/** How deep in a stored program's BEGIN … END blocks the reading is. */
class BlockDepth {
  depth = 0
  private first = ''
  private program = false
  /** The word before, so the CASE of `END CASE` opens nothing. */
  private last = ''

  reset (): void {
    this.depth = 0
    this.first = ''
    this.program = false
    this.last = ''
  }

  /** Counts `word`; `next` reads the word after it (only an END needs it). */
  word (word: string, next: () => string): void {
    const previous = this.last
    this.last = word
    if (this.first === '') {
      this.first = word
    } else if (this.depth === 0) {
      if ((this.first === 'CREATE' || this.first === 'ALTER') && PROGRAM_KINDS.has(word)) this.program = true
      else if (word === 'BEGIN' && this.program) this.depth = 1
    } else if (word === 'BEGIN' || (word === 'CASE' && previous !== 'END')) {
      this.depth++
    } else if (word === 'END' && !OTHER_BLOCK_ENDS.has(next())) {
      this.depth--
    }
  }
}

/** The index after the string or quoted name that starts at `i`, as the gateway reads it; an unterminated one runs to the end of the text. */
function quoteEnd (text: string, i: number): number {
  try {
    return (text[i] === '`' ? decodeQuotedName(text, i) : decodeString(text, i, text[i]!)).end
  } catch {
    return text.length
  }
}

/** The word after whitespace from `i`, upper-cased ('' when something else follows). */
function nextWord (text: string, i: number): string {
  const j = runEnd(text, i, (code) => code <= 32)
  return text.slice(j, runEnd(text, j, isWordChar)).toUpperCase()
}
