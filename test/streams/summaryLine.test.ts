import { describe, expect, it } from "@effect/vitest"
import type { RunSummary } from "../../src/streams/engine.js"
import { formatSummary, parseSummary } from "../../src/streams/engine.js"

const summary = (over: Partial<RunSummary>): RunSummary => ({
  job: "fills",
  planned: 20_000,
  selected: 20_000,
  leftToLiveRuns: 0,
  done: 19_997,
  errors: 3,
  rows: 999_618,
  quarantined: 0,
  elapsedMs: 65_300,
  inserts: 327,
  lastErrors: [],
  ...over
})

describe("run summary line", () => {
  it("reads back the figures formatSummary wrote, with and without errors and quarantined rows", () => {
    expect(parseSummary("fills", formatSummary(summary({})))).toEqual({ done: 19_997, errors: 3, rows: 999_618, inserts: 327 })
    expect(parseSummary("fills", formatSummary(summary({ errors: 0, quarantined: 12, done: 20_000 })))).toEqual({
      done: 20_000,
      errors: 0,
      rows: 999_618,
      inserts: 327
    })
  })

  it("ignores other lines and other jobs", () => {
    expect(parseSummary("fills", formatSummary(summary({ job: "markets" })))).toBeUndefined()
    expect(parseSummary("fills", "level=INFO message=\"fills 19,312/20,000 units · 955,128 rows\"")).toBeUndefined()
  })
})
