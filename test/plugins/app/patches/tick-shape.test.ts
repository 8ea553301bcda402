import { once } from 'node:events'
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { keptTickObject } from '../../../../plugins/app/patches/tick-shape.js'
import { spawnPlainNode } from '../../../helpers/processes.js'

/** The states of process.nextTick's property-defining inline caches after ticks between full collections. */
async function tickCacheStates (t: Test, keep: boolean): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sqlgate-tick-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  // V8 prints with C stdio, which drops what a non-blocking pipe does not take at once: a file.
  const out = openSync(join(dir, 'out.txt'), 'w')
  const child = spawnPlainNode(['--import', 'tsx', '--allow-natives-syntax', '--expose-gc', 'test/fixtures/tick-ic-state.ts', ...(keep ? ['keep'] : [])],
    ['ignore', out, 'inherit'])
  const [code] = await once(child, 'exit') as [number | null]
  closeSync(out)
  t.equal(code, 0, 'the fixture ran')
  return [...readFileSync(join(dir, 'out.txt'), 'utf8').matchAll(/DefineKeyedOwnPropertyInLiteral (\w+)/g)].map((match) => match[1]!)
}

t.test('without the patch, full collections between ticks leave nextTick\'s caches megamorphic (the pathology, on this Node)', async (t) => {
  const states = await tickCacheStates(t, false)
  t.equal(states.length, 4, 'one cache per property of the queue entry')
  // If this fails, this Node no longer has the pathology, and plugins/app/patches/tick-shape.ts can go.
  t.ok(states.includes('MEGAMORPHIC'), `states: ${states.join(', ')}`)
})

t.test('with the patch loaded first, they stay monomorphic', async (t) => {
  t.type(keptTickObject, 'object', 'this Node has the symbols it needs')
  const states = await tickCacheStates(t, true)
  t.strictSame(states, ['MONOMORPHIC', 'MONOMORPHIC', 'MONOMORPHIC', 'MONOMORPHIC'])
})

t.test('server.ts loads it before any other module', async (t) => {
  const firstImport = /^import .*$/m.exec(readFileSync(new URL('../../../../server.ts', import.meta.url), 'utf8'))?.[0]
  t.equal(firstImport, "import './plugins/app/patches/tick-shape.js'")
})
