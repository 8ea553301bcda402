/**
 * The image cannot be built here (no Docker engine), so this test does what its build stage does
 * with the files it copies: a source file the code needs but the Dockerfile does not copy, or a
 * package the server imports that `npm prune --omit=dev` removes, breaks the image only where it
 * is built. Both are caught here instead.
 */
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'tap'

const root = fileURLToPath(new URL('../', import.meta.url))
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }

/** The sources of the build stage's `COPY` lines (the stage before the second `FROM`). */
function buildStageSources (): string[] {
  const stage = dockerfile.split(/^FROM /m)[1] ?? ''
  return [...stage.matchAll(/^COPY (?!--)(.+)$/gm)].flatMap((match) => match[1]!.trim().split(/\s+/).slice(0, -1))
}

/** Every `.js` file under `dir`, but not the console's browser bundle (Vite bundles its imports). */
function serverFiles (dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.js') && !file.startsWith('public'))
    .map((file) => join(dir, file))
}

/** The packages a compiled file imports, statically or with `import()`: `@scope/name` or `name`. */
function importedPackages (source: string): string[] {
  const specifiers = [...source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g)].map((match) => match[1]!)
  return specifiers
    .filter((specifier) => !specifier.startsWith('.') && !specifier.startsWith('/') && !specifier.startsWith('node:') && !builtinModules.includes(specifier))
    .map((specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/'))
}

test('the build stage builds the server and the console from the files the Dockerfile copies', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sqlgate-image-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const sources = buildStageSources()
  t.ok(sources.includes('package-lock.json') && sources.includes('plugins'), `the stage copies ${sources.join(' ')}`)
  for (const source of sources) cpSync(join(root, source), join(dir, source), { recursive: true })
  // `npm ci` in the image installs what package-lock.json names; this checkout's are the same.
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'))
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: dir, encoding: 'utf8' })
  t.equal(build.status, 0, `npm run build succeeds there${build.status === 0 ? '' : `:\n${(build.stdout + build.stderr).slice(0, 2000)}`}`)
  t.ok(existsSync(join(dir, 'dist', 'server.js')), 'dist/server.js, the command\'s entry point, is built')
  t.ok(existsSync(join(dir, 'dist', 'public', 'index.html')), 'the console is built into dist/public, which the runtime stage copies')

  const missing = new Set<string>()
  for (const file of serverFiles(join(dir, 'dist'))) {
    for (const name of importedPackages(readFileSync(file, 'utf8'))) if (pkg.dependencies[name] === undefined) missing.add(`${name} (${file.slice(dir.length + 1)})`)
  }
  t.strictSame([...missing], [], 'every package the built server imports is a production dependency, which `npm prune --omit=dev` keeps')
})

test('the import scan finds static, dynamic and re-exported packages', async (t) => {
  const source = [
    "import { a } from 'fastify'",
    "import 'side-effect'",
    "export * from '@scope/pkg/sub.js'",
    "const sdk = await import('@modelcontextprotocol/sdk/server/index.js')",
    "import { join } from 'node:path'",
    "import fs from 'fs'",
    "import local from './local.js'"
  ].join('\n')
  t.strictSame(importedPackages(source), ['fastify', 'side-effect', '@scope/pkg', '@modelcontextprotocol/sdk'])
})
