import { readFileSync } from 'node:fs'
import { test } from 'tap'
import { PAGES } from '../../docs/pages.js'
import { ERRORS } from '../../plugins/app/errors/catalogue.js'
import { errorDescription } from '../../schemas/common.js'

test('the generated pages of docs/ are up to date (npm run docs:generate)', async (t) => {
  for (const [name, page] of Object.entries(PAGES)) {
    const written = readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8')
    t.equal(written, page(), `docs/${name} is what docs/pages.ts makes of the code`)
  }
})

test('every catalogued code is in the error table and in its status\'s OpenAPI description', async (t) => {
  const table = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')
  for (const [code, { status }] of Object.entries(ERRORS)) {
    t.match(table, `| ${status} | \`${code}\` |`, `${code} in docs/errors.md`)
    t.match(errorDescription(status) ?? '', `\`${code}\``, `${code} in the description of ${status}`)
  }
})
