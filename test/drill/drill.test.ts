import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { inject } from "vitest"
import type { DrillResult } from "./scenarios.js"
import { CI_DRILL, formatDrillTable, runDrill } from "./scenarios.js"

/**
 * The fault drill (issue 5) on small worlds: the real CLI as child processes against the simulator and
 * ClickHouse, SIGKILLed, cut off from ClickHouse, fed faults, sharded and refused. `npm run drill`
 * runs the same scenarios longer.
 */
describe("fault drill", () => {
  let results: ReadonlyArray<DrillResult> = []
  const result = (prefix: string) => {
    const r = results.find((x) => x.scenario.startsWith(prefix))
    if (r === undefined) throw new Error(`scenario ${prefix} did not run`)
    return r
  }

  beforeAll(async () => {
    results = await Effect.runPromise(runDrill({ serverUrl: inject("clickhouseUrl"), ...CI_DRILL, say: () => undefined }))
  }, 400_000)
  afterAll(() => console.log(`fault drill\n${formatDrillTable(results)}`))

  it("1. SIGKILLed runs, resumed each time, end equal to the ground truth", () => {
    const r = result("1.")
    expect(r.passed, r.detail).toBe(true)
    expect(r.found).toBe(r.expected)
    expect(r.duplicatesAfterFinal).toBe(0)
  })

  it("2. a run waits out a ClickHouse outage, says so, and completes exactly", () => {
    const r = result("2.")
    expect(r.passed, r.detail).toBe(true)
    expect(r.found).toBe(r.expected)
    expect(r.detail).toMatch(/cannot reach ClickHouse/)
  })

  it("3. against the harsh simulator: malformed rows quarantined with unit and reason, the rest exact", () => {
    const r = result("3.")
    expect(r.passed, r.detail).toBe(true)
    expect(r.found).toBeGreaterThanOrEqual(r.expected)
    expect(r.outcome).toMatch(/quarantined/)
  })

  it("4. three shard processes at once: the union is exact and no unit is done twice", () => {
    const r = result("4.")
    expect(r.passed, r.detail).toBe(true)
    expect(r.found).toBe(r.expected)
    expect(r.duplicatesBeforeFinal).toBe(0)
  })

  it("5. refused inserts: a one-line failure, no cursor moved, nothing done", () => {
    const r = result("5.")
    expect(r.passed, r.detail).toBe(true)
    expect(r.outcome).toBe("refused, nothing marked done")
  })
})
