import t from 'tap'
import { schemaReplyPieces, type SchemaReply } from '../../../../plugins/app/database/schema-json.js'
import { PIECE_CHARS } from '../../../../plugins/app/query/query-json.js'
import { seededRandom } from '../../../fixtures/seeded-random.js'

const SEED = Number(process.env.FUZZ_SEED ?? 23)
const PIECES = ['a', '"', '\\', '\u0001', '\n', 'é', '€', '😀', '\u2028', '`', "'"]

t.test(`a schema answer's pieces are, together, the JSON the response schema's serializer writes (seed ${SEED})`, async (t) => {
  const random = seededRandom(SEED)
  const text = (length: number): string => Array.from({ length }, () => PIECES[Math.floor(random() * PIECES.length)]).join('')
  const reply = (tables: number, columns: number): SchemaReply => ({
    success: true,
    session_id: 'session_1757773211072_s4xhkug2tQ0dXk3mB1vZp9Aa',
    database_name: text(8),
    tables: Array.from({ length: tables }, (_, i) => ({
      name: `t${i}${text(3)}`,
      type: i % 5 === 0 ? 'VIEW' : 'BASE TABLE',
      comment: i % 2 === 0 ? '' : text(5),
      columns: Array.from({ length: columns }, (_, j) => ({ name: `c${j}${text(2)}`, type: 'varchar(255)', nullable: j % 2 === 0, key: j === 0 ? 'PRI' : '', default: j % 3 === 0 ? null : text(4), comment: j % 4 === 0 ? '' : text(6) })),
      foreign_keys: Array.from({ length: i % 3 }, (_, k) => ({
        name: `fk${k}${text(3)}`,
        columns: Array.from({ length: k + 1 }, () => text(2)),
        references: { database: text(4), table: text(5), columns: Array.from({ length: k + 1 }, () => text(2)) }
      }))
    })),
    total_tables: tables + 7
  })
  for (const [tables, columns] of [[0, 0], [1, 0], [3, 4], [400, 40]] as const) {
    const written = reply(tables, columns)
    const pieces = [...schemaReplyPieces(written)]
    t.equal(pieces.join(''), JSON.stringify(written), `${tables} tables of ${columns} columns: the same text`)
    t.ok(pieces.every((piece) => piece.length < 2 * PIECE_CHARS), `in ${pieces.length} pieces of at most about ${PIECE_CHARS} characters`)
  }
})
