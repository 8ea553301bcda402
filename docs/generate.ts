// npm run docs:generate: writes the pages of docs/ that come from the code (docs/pages.ts).
import { writeFile } from 'node:fs/promises'
import { PAGES } from './pages.js'

for (const [name, page] of Object.entries(PAGES)) {
  const path = new URL(name, import.meta.url)
  await writeFile(path, page())
  console.log(`wrote ${path.pathname}`)
}
