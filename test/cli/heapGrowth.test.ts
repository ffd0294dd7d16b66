import { describe, expect, it } from "@effect/vitest"
import { getHeapStatistics } from "node:v8"
import { tuneHeapGrowth } from "../../src/cli/heapGrowth.js"

describe("tuneHeapGrowth", () => {
  it("leaves V8 alone when the user set a heap flag of their own, on the command line or in NODE_OPTIONS", () => {
    expect(tuneHeapGrowth(["--max-old-space-size=4096"], "")).toBe(false)
    expect(tuneHeapGrowth(["--heap-growing-percent=300"], "")).toBe(false)
    expect(tuneHeapGrowth([], "--enable-source-maps --max-old-space-size=1024")).toBe(false)
  })

  it("sets a growth rate, not a cap: the heap limit stays what it was", () => {
    const before = getHeapStatistics().heap_size_limit
    expect(tuneHeapGrowth(["--enable-source-maps"], "--enable-source-maps")).toBe(true)
    expect(getHeapStatistics().heap_size_limit).toBe(before)
  })
})
