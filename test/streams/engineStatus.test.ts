import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { BackfillUnitRow, WorkerHeartbeatRow } from "../../src/domain/tables.js"
import { newUnit } from "../../src/domain/units.js"
import { layerMemory, MemoryUnits } from "../../src/layers/UnitStoreMemory.js"
import { formatStatus, jobStatuses, summarize } from "../../src/streams/status.js"

const row = (key: string, over: Partial<BackfillUnitRow> = {}): BackfillUnitRow => ({ ...newUnit("fills", key, "{}"), version: 1, ...over })

describe("status", () => {
  it("without heartbeats (file checkpoints): units by status, the last run from its units' checkpoints, and the ten latest errors, newest first", () => {
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
    expect(text).toContain("progress: 3 of 16 units done (18.8%)")
    expect(text).toContain("units: pending 1 · claimed 0 (in_progress in the store) · done 3 · error 12")
    expect(text).toContain("last run r2 (until 1970-01-01T00:33:30Z, from its units' checkpoints): 2 units, 800 rows in ~10s (0.2 units/s, 80 rows/s)")
    expect(text).toContain("e11  [")
    expect(text).toContain("--retry-errors")
  })

  const beat = (run_id: string, over: Partial<WorkerHeartbeatRow> = {}): WorkerHeartbeatRow => ({
    job: "fills", run_id, host: `host-${run_id}`, pid: 7, shard: "0/1", state: "running", workers_limit: 48, in_flight: 40, units_in_flight: 12,
    units_done: 900, units_error: 0, rows: 45_000, rows_per_sec: 0, rate_limited_share: 0.004, started_at: 1_000, updated_at: 2_000, ...over
  })

  it("the fleet from the heartbeats: each run's state, its own figures computed once, and requests told apart from units", () => {
    const runs = [
      beat("r1", { shard: "0/2" }),
      beat("r0", { shard: "1/2", updated_at: 1_900 }),
      beat("rf", { state: "finished", units_done: 600, units_error: 3, rows: 30_921, updated_at: 1_050 }),
      beat("ri", { state: "interrupted", updated_at: 1_040 })
    ]
    const units = [...Array.from({ length: 5 }, (_, i) => row(`p${i}`)), row("d", { status: "done", rows: 31_921, run_id: "rf" })]
    const s = summarize("fills", units, runs, 2_025)
    expect(s.runs.map((r) => [r.beat.run_id, r.shown])).toEqual([["r1", "running"], ["r0", "crashed"], ["rf", "finished"], ["ri", "interrupted"]])
    const text = formatStatus(s).join("\n")
    expect(text).toContain("r1 running · host-r1 pid 7 shard 0/2")
    expect(text).toContain("fetching 12 units, 40 requests in flight (workers 48) · 0.4% 429s")
    expect(text).toContain("r0 crashed · host-r0 pid 7 shard 1/2")
    // The run's rows and rate come from its heartbeat once; the unit's cumulative rows (31,921) are the job's, not the run's.
    expect(text).toContain("rf finished · host-rf pid 7 shard 0/1 · 1970-01-01T00:16:40Z to 1970-01-01T00:17:30Z (50s) · 600 units done, 3 errors, 30,921 rows (12 units/s, 618 rows/s)")
    expect(text).not.toContain("last run")
    expect(text).toContain("fetching now: 12 units in flight in 1 running run")
  })

  it("a run on this host whose pid is gone is crashed at once; a final state wins over silence", () => {
    const alive = (_host: string, pid: number) => pid === 7
    const s = summarize("fills", [row("a")], [beat("gone", { pid: 8 }), beat("here"), beat("done", { state: "finished", pid: 8, updated_at: 100 })], 2_001, { processAlive: alive })
    expect(s.runs.map((r) => [r.beat.run_id, r.shown])).toEqual([["gone", "crashed"], ["here", "running"], ["done", "finished"]])
  })

  it("progress of the whole job and an ETA at the running runs' rate together; none without a running run", () => {
    const units = [...Array.from({ length: 300 }, (_, i) => row(`p${i}`)), ...Array.from({ length: 100 }, (_, i) => row(`d${i}`, { status: "done" }))]
    // Two running runs of 1,000 s: 2 and 1 units/s; 300 units left: 100 s.
    const runs = [beat("a", { units_done: 1_500, units_error: 500 }), beat("b", { units_done: 1_000 }), beat("c", { state: "finished", units_done: 99_000 })]
    const s = summarize("fills", units, runs, 2_010)
    expect(s.unitsPerSec).toBe(3)
    expect(s.etaS).toBe(100)
    expect(formatStatus(s)[1]).toBe("  progress: 100 of 400 units done (25.0%) · ETA 1m40s at 3.0 units/s (the running runs' rate)")
    const idle = summarize("fills", units, [runs[2]!], 2_010)
    expect(idle.etaS).toBeUndefined()
    expect(formatStatus(idle)[1]).toBe("  progress: 100 of 400 units done (25.0%) · no run is running (`polybackfill run fills` continues)")
  })

  it.effect("without a job: every job that has units", () =>
    Effect.gen(function* () {
      const store = new MemoryUnits()
      store.rows.push(row("x", { job: "markets" }), row("y"))
      const all = yield* jobStatuses(undefined).pipe(Effect.provide(layerMemory(store)))
      expect(all.map((s) => [s.job, s.units])).toEqual([["fills", 1], ["markets", 1]])
    }))
})
