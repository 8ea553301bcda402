import type { Token } from './lexer.js'

/**
 * The text the server runs, rebuilt from the tokens the classifier judged: each token in its one
 * spelling, one space (or the newlines the client's text had, so error line numbers stay) between
 * tokens, and none only where the client's text had none and joining cannot start a comment or
 * merge two tokens into one: next to `(`, `)` and `,` (a built-in function's name needs its
 * parenthesis), around the `.` of a qualified name, and before a user@host's `@host`. `starts`
 * receives where each token begins in the text.
 */
export function rebuild (tokens: readonly Token[], starts?: number[]): string {
  let text = ''
  let previous: Token | undefined
  for (const token of tokens) {
    if (previous !== undefined) text += token.before !== '' ? token.before : joined(previous, token) ? '' : ' '
    starts?.push(text.length)
    text += token.text
    previous = token
  }
  return text
}

/** Punctuation that no operator, number or comment marker contains: joining it to a neighbour merges nothing. */
const DELIMITERS = new Set(['(', ')', ','])

function joined (previous: Token, token: Token): boolean {
  if (previous.kind === 'punct' && DELIMITERS.has(previous.value)) return true
  if (token.kind === 'punct' && DELIMITERS.has(token.value)) return true
  if (previous.kind === 'punct' && previous.value === '.') return token.kind !== 'number'
  if (token.kind === 'punct' && token.value === '.') return true
  return token.kind === 'variable' && !token.text.startsWith('@@') &&
    (previous.kind === 'string' || previous.kind === 'word' || previous.kind === 'ident')
}
