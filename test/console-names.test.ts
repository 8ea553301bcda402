import t from 'tap'
import { MariaSQL, MySQL } from '@codemirror/lang-sql'
import { nameQuoter } from '../console/names.js'

/** The console writes table and column names so the server reads them as names (console/names.ts). */
t.test('names are written bare only when they are plain words that no dialect reserves', async (t) => {
  for (const dialect of [MySQL, MariaSQL]) {
    const quote = nameQuoter(dialect)
    t.equal(quote('sales'), 'sales')
    t.equal(quote('sold_on'), 'sold_on')
    for (const name of ['order', 'ORDER', 'key', 'select', 'group', 'desc', 'rank', 'window', 'over', 'system', 'json_table']) {
      t.equal(quote(name), `\`${name}\``, `${name}, a reserved word`)
    }
    t.equal(quote('a b'), '`a b`')
    t.equal(quote('x`y'), '`x``y`', 'a backtick in a name doubled')
    t.equal(quote('2024_sales'), '`2024_sales`')
    t.equal(quote('sales-2024'), '`sales-2024`')
    t.equal(quote('ü'), '`ü`')
  }
})
