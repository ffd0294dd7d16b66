import { setFlagsFromString } from "node:v8"

/** V8's growth of the old generation after a full collection, in percent of what survived it. */
export const HEAP_GROWING_PERCENT = 100

const HEAP_FLAGS = /--(heap-growing-percent|max-old-space-size|max-heap-size)\b/

/**
 * On a machine with gigabytes to spare, V8 lets the old generation reach about 4x what the last full
 * collection kept. A backfill keeps little (about 60 MB for 20,000 units in flight) but promotes
 * in-flight requests at tens of MB/s, so its RSS sat at 3-4x its live heap. Growth of 2x instead
 * costs a full collection every second or so (a few percent of a core) and keeps RSS near 300 MB. It
 * is a growth rate, not a cap: a large plan still gets all the heap it needs. Set at start, before
 * the heap has grown (V8 reads it at each full collection); a heap flag of the user's own wins.
 */
export const tuneHeapGrowth = (execArgv: ReadonlyArray<string> = process.execArgv, nodeOptions = process.env["NODE_OPTIONS"] ?? ""): boolean => {
  if (execArgv.some((a) => HEAP_FLAGS.test(a)) || HEAP_FLAGS.test(nodeOptions)) return false
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`)
  return true
}
