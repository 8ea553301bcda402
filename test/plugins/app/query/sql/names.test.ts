import t from 'tap'
import { classify } from '../../../../../plugins/app/query/sql/classifier.js'
import { lex } from '../../../../../plugins/app/query/sql/lexer.js'
import { sqlServer } from '../../../../../plugins/app/query/sql/server.js'
import { looseName } from '../../../../../plugins/app/query/sql/tokens.js'
import { adminConnection, createDatabase } from '../../../../helper.js'

/**
 * What is refused by name is refused however a server could fold the name: MySQL compares system
 * variables in utf8mb3_general_ci (accents and case ignored, ß ı ſ read as s i s), TiDB lower-cases
 * function and variable names with Go's strings.ToLower (the Kelvin sign is a k, İ an i).
 */

const SERVERS = [sqlServer('10.11.19-MariaDB'), sqlServer('8.4.0'), sqlServer('8.0.11-TiDB-v8.5.0')]
const KELVIN = '\u212a'

/** Every character of the Basic Multilingual Plane that utf8mb3_general_ci takes for an ASCII letter, by the real server. */
async function generalCiLetters (t: Parameters<typeof adminConnection>[0]): Promise<Map<string, string>> {
  const conn = await adminConnection(t)
  await conn.query(`USE \`${await createDatabase(t, 'SELECT 1')}\``) // MariaDB's sequence tables live in a database
  const [rows] = await conn.query(`
    SELECT s.seq AS code, a.letter FROM seq_128_to_65535 s
    JOIN (SELECT CHAR(seq USING ascii) AS letter, WEIGHT_STRING(CONVERT(CHAR(seq USING ascii) USING utf8mb3) COLLATE utf8mb3_general_ci) AS w FROM seq_65_to_90) a
      ON WEIGHT_STRING(CONVERT(CHAR(s.seq USING ucs2) USING utf8mb3) COLLATE utf8mb3_general_ci) = a.w
    WHERE s.seq NOT BETWEEN 55296 AND 57343`) as unknown as [Array<{ code: number, letter: string }>]
  return new Map(rows.map((row) => [String.fromCharCode(row.code), row.letter]))
}

t.test('a quoted name folds every character general_ci takes for an ASCII letter to that letter, and the Kelvin sign and İ as TiDB does', async (t) => {
  const letters = await generalCiLetters(t)
  t.ok(letters.size > 400, `${letters.size} characters`)
  for (const [ch, letter] of [...letters, [KELVIN, 'K'], ['İ', 'I']] as Array<[string, string]>) {
    const [, token] = lex(`SELECT \`x${ch}\``, SERVERS[0]!)
    if (looseName(token) !== `X${letter}`) t.fail(`U+${ch.codePointAt(0)!.toString(16)} ${ch}: ${looseName(token)}, not X${letter}`)
    const [, variable] = lex(`SELECT @@x${ch}`, SERVERS[0]!)
    if (looseName(variable) !== `x${letter.toLowerCase()}`) t.fail(`@@x${ch}: ${looseName(variable)}`)
  }
})

t.test('a refused function or variable is refused with any letter in any spelling a server folds to it, on every dialect', async (t) => {
  const letters = await generalCiLetters(t)
  const alikes = new Map<string, string[]>()
  for (const [ch, letter] of [...letters, [KELVIN, 'K'], ['İ', 'I']] as Array<[string, string]>) alikes.set(letter, [...alikes.get(letter) ?? [], ch])
  const refused: Array<[string, (name: string) => string, string]> = [
    ['GET_LOCK', (name) => `SELECT ${name}('x', 0)`, 'read_only_violation'],
    ['RELEASE_ALL_LOCKS', (name) => `SELECT ${name}()`, 'read_only_violation'],
    ['LOAD_FILE', (name) => `SELECT ${name}('/etc/passwd')`, 'read_only_violation'],
    ['LAST_INSERT_ID', (name) => `SELECT ${name}(5)`, 'read_only_violation'],
    ['SETVAL', (name) => `SELECT ${name}(s, 1)`, 'read_only_violation'],
    ['FOUND_ROWS', (name) => `SELECT ${name}()`, 'unsupported_statement'],
    ['warning_count', (name) => `SELECT @@${name}`, 'unsupported_statement'],
    ['last_insert_id', (name) => `SELECT @@session.${name}`, 'unsupported_statement'],
    ['session', (name) => `SELECT @@${name}.identity`, 'unsupported_statement']
  ]
  let statements = 0
  for (const [name, statement, code] of refused) {
    for (let at = 0; at < name.length; at++) {
      for (const alike of alikes.get(name[at]!.toUpperCase()) ?? []) {
        const sql = statement(`${name.slice(0, at)}${alike}${name.slice(at + 1)}`)
        for (const server of SERVERS) {
          statements++
          let answer = 'ok'
          try {
            classify(sql, true, server)
          } catch (err) {
            answer = (err as { code: string }).code
          }
          if (answer !== code) t.fail(`${server.dialect}: ${sql}: ${answer}`)
        }
      }
    }
  }
  t.ok(statements > 7000, `${statements} statements refused`)
})
