import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { BackfillUnitRow } from "../../src/domain/tables.js"
import { newUnit } from "../../src/domain/units.js"
import { layerMemory, MemoryUnits } from "../../src/layers/UnitStoreMemory.js"
import { formatStatus, jobStatuses, summarize } from "../../src/streams/status.js"

const row = (key: string, over: Partial<BackfillUnitRow> = {}): BackfillUnitRow => ({ ...newUnit("fills", key, "{}"), version: 1, ...over })

describe("status", () => {
  it("units by status, rows, the rate of the last run and the ten latest errors, newest first", () => {
    const units = [
      row("a", { status: "done", rows: 100, run_id: "old", last_run_at: 1000 }),
      row("b", { status: "done", rows: 300, run_id: "r2", last_run_at: 2000 }),
      row("c", { status: "done", rows: 500, run_id: "r2", last_run_at: 2010 }),
      row("p", { status: "pending" }),
      ...Array.from({ length: 12 }, (_, i) => row(`e${String(i).padStart(2, "0")}`, { status: "error", error_message: `boom ${i}`, last_run_at: 1500 + i, run_id: "old", attempts: 1 }))
    ]
    const s = summarize("fills", units)
    expect(s.byStatus).toEqual({ pending: 1, in_progress: 0, done: 3, error: 12 })
    expect(s.rows).toBe(900)
    expect(s.lastRun).toMatchObject({ runId: "r2", units: 2, rows: 800, seconds: 10, unitsPerSec: 0.2, rowsPerSec: 80 })
    expect(s.errors).toHaveLength(10)
    expect(s.errors[0]).toMatchObject({ unit: "e11", message: "boom 11" })
    const text = formatStatus(s).join("\n")
    expect(text).toContain("pending 1 · in_progress 0 · done 3 · error 12")
    expect(text).toContain("e11  [")
    expect(text).toContain("--retry-errors")
  })

  it.effect("without a job: every job that has units", () =>
    Effect.gen(function* () {
      const store = new MemoryUnits()
      store.rows.push(row("x", { job: "markets" }), row("y"))
      const all = yield* jobStatuses(undefined).pipe(Effect.provide(layerMemory(store)))
      expect(all.map((s) => [s.job, s.units])).toEqual([["fills", 1], ["markets", 1]])
    }))
})
