import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { BackfillUnitRow, WorkerHeartbeatRow } from "../../src/domain/tables.js"
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

  it("the fleet from the heartbeats: each run's host, shard, limit, in-flight work, 429 share, and whether it still beats", () => {
    const beat = (run_id: string, updated_at: number, shard: string): WorkerHeartbeatRow => ({
      job: "fills", run_id, host: `host-${run_id}`, pid: 7, shard, workers_limit: 48, in_flight: 40, units_in_flight: 12,
      units_done: 900, rows: 45_000, rows_per_sec: 1500, rate_limited_share: 0.004, started_at: 1_000, updated_at
    })
    const s = summarize("fills", [row("a")], [beat("r1", 2_000, "0/2"), beat("r0", 1_900, "1/2")], 2_025)
    expect(s.runs.map((r) => [r.run_id, r.alive])).toEqual([["r1", true], ["r0", false]])
    const text = formatStatus(s).join("\n")
    expect(text).toContain("r1 running · host-r1 pid 7 shard 0/2")
    expect(text).toContain("r0 ended or dead · host-r0 pid 7 shard 1/2")
    expect(text).toContain("workers 48 (40 requests, 12 units in flight) · 0.4% 429s")
  })

  it.effect("without a job: every job that has units", () =>
    Effect.gen(function* () {
      const store = new MemoryUnits()
      store.rows.push(row("x", { job: "markets" }), row("y"))
      const all = yield* jobStatuses(undefined).pipe(Effect.provide(layerMemory(store)))
      expect(all.map((s) => [s.job, s.units])).toEqual([["fills", 1], ["markets", 1]])
    }))
})
