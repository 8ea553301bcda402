import t from 'tap'
import { classify } from '../../../../../plugins/app/query/sql/classifier.js'
import { sqlServer } from '../../../../../plugins/app/query/sql/server.js'

/**
 * Reading a statement costs time in proportion to its length, whatever it repeats: a body of 1 MiB
 * is one request. A rule that rescans the statement at each word where a statement may begin (a
 * stored program's every keyword, a wrapper's statement) had made `ADMIN ADMIN …` and `TRACE TRACE
 * …` quadratic: 40,000 ADMINs took 6 s, and 512 KiB of TRACEs ran the process out of memory.
 */

const server = sqlServer('10.11.19-MariaDB')

/** Words each rule looks at where a statement may begin, and what the rules scan for anywhere. */
const WORDS = ['ADMIN', 'SHOW', 'SHOW FULL', 'KILL', 'SET', 'GLOBAL', '@@global.x =', 'CREATE', 'CREATE USER', 'CHANGE', 'DEFAULT ROLE', 'QUERY WATCH',
  'TRACE', 'EXPLAIN', 'EXPLAIN ANALYZE', 'BATCH ON a LIMIT 1', 'FORMAT = x', 'PREPARE x FROM', 'EXECUTE IMMEDIATE', 'sys.x', 'a.b', 'f(', 'FOUND_ROWS(',
  'INTO OUTFILE', 'LOAD DATA', 'ENGINE =', 'FOR CONNECTION', 'WITH a AS', '(', 'CREATE VIEW v AS', 'CREATE OR REPLACE DEFINER = a VIEW']

/** Each form of statement: the words as they are, as a select list, as a stored program's body. */
const FORMS = [(words: string) => words, (words: string) => `SELECT ${words}`, (words: string) => `CREATE PROCEDURE p () BEGIN ${words} END`]

const BYTES = 256 * 1024
const BOUND_MS = 2000

t.test(`a statement of ${BYTES / 1024} KiB of any one word is read in under ${BOUND_MS} ms in either mode`, async (t) => {
  let slowest = { ms: 0, what: '' }
  for (const word of WORDS) {
    const words = Array(Math.floor(BYTES / (word.length + 1))).fill(word).join(' ')
    for (const form of FORMS) {
      const sql = form(words)
      const started = performance.now()
      for (const readOnly of [true, false]) {
        try {
          classify(sql, readOnly, server)
        } catch {}
      }
      const ms = performance.now() - started
      if (ms > BOUND_MS) t.fail(`${sql.slice(0, 40)}… took ${Math.round(ms)} ms`)
      if (ms > slowest.ms) slowest = { ms, what: sql.slice(0, 40) }
    }
  }
  t.pass(`the slowest: ${slowest.what}… in ${Math.round(slowest.ms)} ms`)
})
