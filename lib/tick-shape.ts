import { AsyncResource } from 'node:async_hooks'

/**
 * Keeps the hidden class of Node's `process.nextTick` queue entries alive for the life of the
 * process, so that V8 does not turn every tick into a slow runtime call. Imported for its effect,
 * first of all, by server.ts.
 *
 * nextTick (node/lib/internal/process/task_queues.js) queues each tick as an object literal
 * `{ [async_id_symbol]: …, [trigger_async_id_symbol]: …, callback, args }`. V8 holds the maps
 * (hidden classes) that such a literal goes through only weakly, and tick objects live for
 * microseconds: a full garbage collection that finds none alive drops the maps, and the next tick
 * builds new ones. nextTick's inline caches see each new map as one more shape; after the fourth
 * they are megamorphic for good, and the optimised code of every Node function that inlines
 * nextTick (its HTTP and stream internals: about seven ticks per request) then defines each of
 * the literal's properties through the V8 runtime, about 0.25 µs a tick. How many full
 * collections a process goes through while it starts (and so whether it ends up there) varies
 * from start to start: about half of this service's processes did, at about 2 µs more CPU per
 * request (docs/performance.md).
 *
 * One object of exactly that shape, built before anything else runs and never released, keeps
 * the maps alive, and the caches stay monomorphic. Its keys are Node's own symbols, from an
 * AsyncResource (which sets the same two), and its ids are real ones, so each field gets the
 * representation nextTick's values give it. test/lib/tick-shape.test.ts checks both the
 * pathology and this cure on the running Node.
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
