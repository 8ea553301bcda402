import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { test } from 'tap'
import { startFlags } from '../bench/settings.js'

const root = new URL('../', import.meta.url)

test('the image, npm run start:prod and the bench start sqlgate alike, with flags this Node takes', async (t) => {
  const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> }
  const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8')
  const flags = startFlags()
  t.ok(flags.includes('--heap-growing-percent=25'), `the bench reads start:prod's flags (${flags.join(' ')})`)
  const command = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1]
  t.strictSame(JSON.parse(command ?? 'null'), ['node', ...flags, 'dist/server.js'], 'the image\'s command is start:prod\'s')
  const threshold = /MALLOC_MMAP_THRESHOLD_=(\d+)/
  t.equal(threshold.exec(dockerfile)?.[1], threshold.exec(pkg.scripts['start:prod']!)?.[1], 'with the same malloc threshold')
  // Node refuses to start on a flag it does not know (exit 9, "bad option").
  const child = spawnSync(process.execPath, [...flags, '-e', '0'], { encoding: 'utf8' })
  t.equal(child.status, 0, `this Node (${process.version}) takes them${child.stderr === '' ? '' : `: ${child.stderr}`}`)
})
