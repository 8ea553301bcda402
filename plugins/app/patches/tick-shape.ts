import { AsyncResource } from 'node:async_hooks'

/**
 * PATCH of Node 20's `process.nextTick` (no public API gives it): keeps the hidden classes of its
 * queue entries alive for the life of the process, so that V8 does not turn every tick into a
 * slow runtime call. Imported for its effect, before anything else, by server.ts.
 *
 * nextTick (node/lib/internal/process/task_queues.js) queues each tick as an object literal
 * `{ [async_id_symbol]: …, [trigger_async_id_symbol]: …, callback, args }`. V8 holds the maps
 * (hidden classes) that such a literal goes through only weakly, and tick objects live for
 * microseconds: a full garbage collection that finds none alive drops the maps, and the next tick
 * builds new ones. nextTick's inline caches see each new map as one more shape; after the fourth
 * they are megamorphic for good, and every tick of Node's HTTP and stream internals (several per
 * request) then defines the literal's properties through V8's runtime. Whether a process ends up
 * there depends on how many full collections its start-up happens to go through: about half do.
 *
 * One object of exactly that shape, built before anything else runs and never released, keeps the
 * maps alive, and the caches stay monomorphic. Its keys are Node's own two symbols, as an
 * AsyncResource carries them, and its ids are real ones, so each field gets the representation
 * nextTick's values give it. test/plugins/app/patches/tick-shape.test.ts shows the pathology on the
 * running Node and this cure; when the first of its tests fails, this file can go.
 */
function tickShaped (): object | null {
  const resource = new AsyncResource('sqlgate.tick-shape') as unknown as Record<symbol, number>
  const symbols = Object.getOwnPropertySymbols(resource)
  const asyncId = symbols.find((symbol) => symbol.description === 'async_id_symbol')
  const triggerAsyncId = symbols.find((symbol) => symbol.description === 'trigger_async_id_symbol')
  // Another Node, other internals: nothing to keep (the test says so).
  if (asyncId === undefined || triggerAsyncId === undefined) return null
  // The same literal as nextTick's, property for property (another order is another shape).
  return { [asyncId]: resource[asyncId], [triggerAsyncId]: resource[triggerAsyncId], callback: tickShaped, args: undefined }
}

export const keptTickObject: object | null = tickShaped()
