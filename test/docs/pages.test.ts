import { existsSync, readdirSync, readFileSync } from 'node:fs'
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

test('every relative link of the README and docs/ names a file that exists', async (t) => {
  const root = new URL('../../', import.meta.url)
  const pages = ['README.md', 'CONTRIBUTING.md', 'SECURITY.md', 'plugins/README.md', 'routes/README.md',
    ...readdirSync(new URL('docs/', root)).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)]
  for (const page of pages) {
    const text = readFileSync(new URL(page, root), 'utf8')
    for (const [, target] of text.matchAll(/\]\(([^)\s#]+)(?:#[^)]*)?\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue
      t.ok(existsSync(new URL(target!, new URL(page, root))), `${page} links to ${target}`)
    }
  }
})
