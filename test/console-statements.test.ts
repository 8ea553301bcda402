import t from 'tap'
import { splitStatements, statementAt } from '../console/statements.js'
import { AppError } from '../plugins/app/errors/errors.js'
import { lex } from '../plugins/app/query/sql/lexer.js'
import { rebuild } from '../plugins/app/query/sql/rebuild.js'
import type { SqlServer } from '../plugins/app/query/sql/server.js'
import { generateExpressions, insertShape, selectShape } from './fixtures/expression-generator.js'
import { seededRandom } from './fixtures/seeded-random.js'

/**
 * The console's choice of the statement to run (console/statements.ts): where the text's
 * statements end, by hand-picked cases and by generated texts read as the gateway reads them.
 */

const MARIADB: SqlServer = { dialect: 'mariadb', version: 101119 }
const SEED = Number(process.env.FUZZ_SEED ?? 7)
const CASES = Number(process.env.FUZZ_CASES ?? 2000)

/** The statements' texts, trimmed. */
function split (text: string, server = MARIADB): string[] {
  return splitStatements(text, server).map((s) => text.slice(s.from, s.to).trim())
}

/** The statement at the `|` in `marked` (the `|` taken out). */
function at (marked: string): string | null {
  const cursor = marked.indexOf('|')
  const text = marked.slice(0, cursor) + marked.slice(cursor + 1)
  const range = statementAt(text, cursor, MARIADB)
  return range === null ? null : text.slice(range.from, range.to).trim()
}

t.test('semicolons inside strings, quoted names and comments end nothing', async (t) => {
  t.same(split("SELECT 'a;b', \"c;d\", `e;f`; SELECT 2"), ["SELECT 'a;b', \"c;d\", `e;f`", 'SELECT 2'])
  t.same(split("SELECT 'it''s; fine', 'back\\'; slash'; SELECT 2"), ["SELECT 'it''s; fine', 'back\\'; slash'", 'SELECT 2'])
  t.same(split('SELECT 1 /* a; b */; SELECT 2'), ['SELECT 1 /* a; b */', 'SELECT 2'])
  t.same(split('SELECT `a``;b`; SELECT 2'), ['SELECT `a``;b`', 'SELECT 2'])
})

t.test('a # comment runs to the end of its line: its apostrophe opens no string', async (t) => {
  t.same(split("SELECT 1; # don't run both\nSELECT 2;"), ['SELECT 1', "# don't run both\nSELECT 2"])
  t.equal(at("SELECT 1; # don't\nSELECT| 2;\nSELECT 3"), "# don't\nSELECT 2")
})

t.test('-- starts a comment only before a space or a control character; 1--1 is arithmetic', async (t) => {
  t.same(split('SELECT 1--1; SELECT 2'), ['SELECT 1--1', 'SELECT 2'])
  t.same(split("SELECT 1 -- it's; one\n; SELECT 2"), ["SELECT 1 -- it's; one", 'SELECT 2'])
  t.same(split('SELECT 1 --\tx;\n; SELECT 2'), ['SELECT 1 --\tx;', 'SELECT 2'])
  t.same(split('SELECT 1; --'), ['SELECT 1'], 'a comment alone is no statement')
})

t.test("a stored program's body is one statement with its CREATE", async (t) => {
  const procedure = `CREATE PROCEDURE p (IN n INT)
BEGIN
  DECLARE i INT DEFAULT 0;
  lbl: LOOP
    SET i = i + 1;
    IF i > n THEN LEAVE lbl; END IF;
  END LOOP lbl;
  SELECT CASE WHEN i > 1 THEN 'many' ELSE 'one' END AS how;
  CASE n WHEN 1 THEN SELECT 1; ELSE BEGIN SELECT 2; END; END CASE;
  WHILE i > 0 DO SET i = i - 1; END WHILE;
END`
  t.same(split(`${procedure};\nCALL p(3);`), [procedure, 'CALL p(3)'])
  const trigger = 'CREATE DEFINER = CURRENT_USER TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; SET NEW.b = 2; END'
  t.same(split(`${trigger}; SELECT 1`), [trigger, 'SELECT 1'])
  t.same(split('CREATE FUNCTION f () RETURNS INT RETURN 1; SELECT f()'), ['CREATE FUNCTION f () RETURNS INT RETURN 1', 'SELECT f()'], 'a body without BEGIN')
  t.same(split('CREATE TABLE t (begin INT, `end` INT); SELECT 1'), ['CREATE TABLE t (begin INT, `end` INT)', 'SELECT 1'], 'a column named begin opens no body')
  t.same(split('SELECT CASE WHEN 1 THEN 2 END; SELECT 3'), ['SELECT CASE WHEN 1 THEN 2 END', 'SELECT 3'])
})

t.test('the statement under the cursor', async (t) => {
  t.equal(at('SELECT 1;| \nSELECT 2;'), 'SELECT 1', 'right after its semicolon: the statement it ends')
  t.equal(at('SELECT 1;\n|SELECT 2;'), 'SELECT 2', 'at the start of the next line: that statement')
  t.equal(at('SELECT| 1; SELECT 2'), 'SELECT 1')
  t.equal(at('SELECT 1; SELECT 2|'), 'SELECT 2')
  t.equal(at('SELECT 1;\n-- the end|'), 'SELECT 1', 'in a comment after the last statement: the last statement')
  t.equal(at('|'), null, 'no statement in an empty editor')
  t.equal(at('  /* only a comment */ |'), null)
})

t.test('executable comments are code or comments as the connected server reads them', async (t) => {
  t.same(split("SELECT 1 /*!50000 , ';' */; SELECT 2"), ["SELECT 1 /*!50000 , ';' */", 'SELECT 2'], 'run: its string holds the ;')
  t.same(split("SELECT 1 /*!999999 ' */; SELECT 2"), ["SELECT 1 /*!999999 ' */", 'SELECT 2'], 'skipped: its quote opens nothing')
  t.same(split("SELECT 1 /*M!999999 ' */; SELECT 2"), ["SELECT 1 /*M!999999 ' */", 'SELECT 2'])
  const tidb = "SELECT 1 /*T! ' */; SELECT 2 ' */; SELECT 3"
  t.same(split(tidb, { dialect: 'tidb', version: 80011 }), ["SELECT 1 /*T! ' */; SELECT 2 ' */", 'SELECT 3'], "TiDB's /*T! is code there")
  t.same(split(tidb), ["SELECT 1 /*T! ' */", "SELECT 2 ' */; SELECT 3"], 'and a comment elsewhere')
  t.same(split('/*!40101 SET NAMES utf8mb4 */;\nSELECT 1;'), ['/*!40101 SET NAMES utf8mb4 */', 'SELECT 1'], "a dump's line is a statement")
})

/**
 * Generated statements (every spelling of literals, names, comments and executable comments the
 * reading differential uses), joined by `;` and comments that hold `;` and quotes: the console
 * must cut the text where the gateway's own reading of the whole text has its semicolons, and
 * each piece must read as the gateway reads that statement in the whole.
 */
t.test(`generated texts are cut where the gateway reads their semicolons (FUZZ_SEED=${SEED}, FUZZ_CASES=${CASES})`, async (t) => {
  const random = seededRandom(SEED)
  const statements = [
    ...generateExpressions(CASES, random, selectShape),
    ...generateExpressions(CASES, random, insertShape, true)
    // The hint the gateway refuses would refuse whole texts; the planner's hints stand in for it.
  ].map((generated) => generated.sql.replaceAll('MAX_EXECUTION_TIME(1)', 'BKA(nt)'))
  const separators = [';', ';\n', '; # it\'s; here\n', ';-- a; "b\n', '/* ; \' */;', ';/*!999999 \' ; */', ' ;\r\n\t']
  let failures = 0
  let refused = 0
  for (let n = 0; n + 3 <= statements.length && failures < 5; n += 3) {
    const pieces = statements.slice(n, n + 3)
    const text = pieces.map((piece, i) => piece + separators[(n + i) % separators.length]).join('')
    const whole = gatewayStatements(text)
    if (whole === null) {
      refused++
      continue
    }
    const cut = split(text).map((piece) => rebuild(lex(piece, MARIADB)))
    if (JSON.stringify(cut) !== JSON.stringify(whole)) {
      failures++
      t.same(cut, whole, `case ${n} of FUZZ_SEED=${SEED}: ${JSON.stringify(text)}`)
    }
  }
  t.equal(failures, 0, `${Math.floor(statements.length / 3) - refused} texts of three statements each, cut as the gateway reads them`)
  t.equal(refused, 0, 'the gateway reads every text')
})

/** The statements of `text` as the gateway reads the whole text: its tokens cut at each `;`, rebuilt (null if it refuses the text). */
function gatewayStatements (text: string): string[] | null {
  let tokens: ReturnType<typeof lex>
  try {
    tokens = lex(text, MARIADB)
  } catch (err) {
    if (err instanceof AppError) return null
    throw err
  }
  const out: string[] = []
  let current: typeof tokens = []
  for (const token of tokens) {
    if (token.kind === 'punct' && token.value === ';') {
      if (current.length > 0) out.push(rebuild(current))
      current = []
    } else {
      current.push(token)
    }
  }
  if (current.length > 0) out.push(rebuild(current))
  return out
}
