import type { Token } from './lexer.js'

/**
 * Questions the classifier asks of tokens. A keyword is an unquoted word; a name is a word or a
 * quoted name, in any case, however it is quoted: `` `GET_LOCK` `` is GET_LOCK.
 */

/** The token's keyword (upper-cased), or '' when it is not an unquoted word. */
export function keyword (token: Token | undefined): string {
  return token?.kind === 'word' ? token.value : ''
}

/** The token's name (upper-cased) when it is a word or a quoted name, else ''. */
export function nameOf (token: Token | undefined): string {
  return token?.kind === 'word' || token?.kind === 'ident' ? token.name : ''
}

export function isPunct (token: Token | undefined, value: string): boolean {
  return token?.kind === 'punct' && token.value === value
}

/** Whether `tokens[i]` is the name of a function call: a name followed by `(` (comments and whitespace between do not count). */
export function isCall (tokens: readonly Token[], i: number): boolean {
  return nameOf(tokens[i]) !== '' && isPunct(tokens[i + 1], '(')
}

/** Whether `tokens[i]` is preceded by `.`: the call or name is qualified with a database (`db.f()`). */
export function isQualified (tokens: readonly Token[], i: number): boolean {
  return isPunct(tokens[i - 1], '.')
}

/** The statement's first keyword (past opening parentheses): the word, or the first token's text. */
export function firstKeyword (statement: readonly Token[]): { word: string, token: Token | undefined } {
  const first = statement.find((token) => !isPunct(token, '('))
  return { word: keyword(first), token: first }
}

/** Index past the parenthesis that closes the one at `open`. */
export function skipParens (tokens: readonly Token[], open: number): number {
  let depth = 0
  for (let i = open; i < tokens.length; i++) {
    if (isPunct(tokens[i], '(')) depth++
    else if (isPunct(tokens[i], ')') && --depth === 0) return i + 1
  }
  return tokens.length
}
