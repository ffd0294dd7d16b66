import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Option, TestClock } from "effect"
import { ClickHouseError } from "../../src/domain/errors.js"
import type { WorkerHeartbeatRow } from "../../src/domain/tables.js"
import { Heartbeats } from "../../src/services/Heartbeats.js"
import { UnitStore } from "../../src/services/UnitStore.js"
import { layerSilent } from "../../src/layers/ProgressLive.js"
import type { MemorySinkHooks } from "../../src/layers/RowSinkMemory.js"
import { layerMemory as layerSinkMemory, MemoryTables, Power } from "../../src/layers/RowSinkMemory.js"
import { layerMemory as layerUnitsMemory, MemoryUnits } from "../../src/layers/UnitStoreMemory.js"
import { runJob } from "../../src/streams/engine.js"
import type { Job } from "../../src/streams/Job.js"
import { planJob } from "../../src/streams/plan.js"
import { engineOptions, fakeJob, runWithClock, unitKey } from "./fakeJob.js"

const options = engineOptions

/** One "process": memory stores over persistent storage, with its own power switch. */
const processLayer = (units: MemoryUnits, tables: MemoryTables, power = new Power(), hooks: MemorySinkHooks = {}) =>
  Layer.mergeAll(layerUnitsMemory(units, power), layerSinkMemory(tables, power, hooks), layerSilent)

const ids = (tables: MemoryTables) => tables.final("t", (r) => String(r["id"])).map((r) => String(r["id"])).sort()

const planned = (job: Job, units: MemoryUnits) => planJob(job, { rebuild: false }).pipe(Effect.provide(layerUnitsMemory(units)))

describe("engine", () => {
  it.effect("runs every unit into grouped inserts and marks each done with its row count", () =>
    Effect.gen(function* () {
      const fake = fakeJob({ units: 30, pages: 3, rowsPerPage: 7 })
      const units = new MemoryUnits()
      const tables = new MemoryTables()
      yield* planned(fake.job, units)
      const exit = yield* runWithClock(runJob(fake.job, options()).pipe(Effect.provide(processLayer(units, tables))))
      expect(Exit.isSuccess(exit)).toBe(true)
      const summary = Exit.isSuccess(exit) ? exit.value : undefined
      expect(summary).toMatchObject({ selected: 30, done: 30, errors: 0, rows: 630 })
      expect(ids(tables)).toEqual(fake.expectedIds())
      // 630 rows in batches of 50: grouped across units, not one insert per unit page.
      expect(tables.inserts).toBeLessThan(30)
      const latest = units.latest("fake")
      expect(latest.every((u) => u.status === "done" && u.rows === 21 && u.attempts === 1 && u.run_id === "run-1")).toBe(true)
    }))

  it.effect("a failing unit becomes error with the last message and the run goes on", () =>
    Effect.gen(function* () {
      const bad = unitKey(3)
      const fake = fakeJob({ units: 8, pages: 3, rowsPerPage: 5, failing: new Set([bad]), failAfterPages: 1 })
      const units = new MemoryUnits()
      const tables = new MemoryTables()
      yield* planned(fake.job, units)
      const exit = yield* runWithClock(runJob(fake.job, options({ checkpointInterval: 1 })).pipe(Effect.provide(processLayer(units, tables))))
      expect(Exit.isSuccess(exit) && exit.value).toMatchObject({ done: 7, errors: 1 })
      const failed = units.unit("fake", bad)!
      expect(failed).toMatchObject({ status: "error", attempts: 1, rows: 5, cursor: "1" })
      expect(failed.error_message).toContain(`fake source refused ${bad} page 1`)
      // The rows of the page before the failure were written, and the cursor points after them.
      expect(ids(tables).filter((id) => id.startsWith(bad))).toHaveLength(5)
      expect(units.latest("fake").filter((u) => u.status === "done")).toHaveLength(7)
    }))

  it.effect("a unit with no pages is done with zero rows", () =>
    Effect.gen(function* () {
      const fake = fakeJob({ units: 3, pages: 2, rowsPerPage: 2, empty: new Set([unitKey(1)]) })
      const units = new MemoryUnits()
      yield* planned(fake.job, units)
      yield* runWithClock(runJob(fake.job, options()).pipe(Effect.provide(processLayer(units, new MemoryTables()))))
      expect(units.unit("fake", unitKey(1))).toMatchObject({ status: "done", rows: 0 })
    }))

  it.effect("error units are skipped unless --retry-errors, which resumes them from their cursor", () =>
    Effect.gen(function* () {
      const bad = unitKey(0)
      const failing = fakeJob({ units: 2, pages: 3, rowsPerPage: 4, failing: new Set([bad]), failAfterPages: 2 })
      const units = new MemoryUnits()
      const tables = new MemoryTables()
      yield* planned(failing.job, units)
      yield* runWithClock(runJob(failing.job, options({ checkpointInterval: 1 })).pipe(Effect.provide(processLayer(units, tables))))
      expect(units.unit("fake", bad)).toMatchObject({ status: "error", cursor: "2", rows: 8 })

      const healthy = fakeJob({ units: 2, pages: 3, rowsPerPage: 4 })
      const again = yield* runWithClock(runJob(healthy.job, options({ runId: "run-2" })).pipe(Effect.provide(processLayer(units, tables))))
      expect(Exit.isSuccess(again) && again.value.selected).toBe(0)

      const retry = options({ runId: "run-3", selection: { ...options().selection, retryErrors: true } })
      yield* runWithClock(runJob(healthy.job, retry).pipe(Effect.provide(processLayer(units, tables))))
      expect(healthy.starts.filter((s) => s.unit === bad)).toEqual([{ unit: bad, cursor: "2" }])
      expect(units.unit("fake", bad)).toMatchObject({ status: "done", rows: 12, attempts: 2, error_message: "" })
      expect(ids(tables)).toEqual(healthy.expectedIds())
    }))

  it.effect("a crash between an insert and its checkpoint replays to the same final rows", () =>
    Effect.gen(function* () {
      const fake = fakeJob({ units: 20, pages: 4, rowsPerPage: 10 })
      const units = new MemoryUnits()
      const tables = new MemoryTables()
      yield* planned(fake.job, units)
      const power = new Power()
      const crashed = yield* runWithClock(
        runJob(fake.job, options()).pipe(Effect.provide(processLayer(units, tables, power, { afterInsert: (_t, _r, n) => (n === 5 ? power.crash() : Effect.void) })))
      )
      expect(Exit.isFailure(crashed)).toBe(true)
      const written = tables.rowsOf("t").length
      expect(written).toBeGreaterThan(0)
      const doneBefore = units.latest("fake").filter((u) => u.status === "done").length
      expect(doneBefore).toBeLessThan(20)

      const rerun = yield* runWithClock(runJob(fake.job, options({ runId: "run-2" })).pipe(Effect.provide(processLayer(units, tables))))
      expect(Exit.isSuccess(rerun)).toBe(true)
      expect(ids(tables)).toEqual(fake.expectedIds())
      // Some rows were written twice (the replay), which FINAL dedupes: nothing lost, nothing extra.
      expect(tables.rowsOf("t").length).toBeGreaterThan(fake.expectedIds().length)
      expect(units.latest("fake").every((u) => u.status === "done")).toBe(true)
    }))

  it.effect("a crash before an insert lands loses nothing", () =>
    Effect.gen(function* () {
      const fake = fakeJob({ units: 20, pages: 4, rowsPerPage: 10, pageDelay: "100 millis" })
      const units = new MemoryUnits()
      const tables = new MemoryTables()
      yield* planned(fake.job, units)
      const power = new Power()
      const crashed = yield* runWithClock(
        // Crashes on the first insert after a checkpoint was saved (saves: plan, claim, then checkpoints).
        runJob(fake.job, options()).pipe(Effect.provide(processLayer(units, tables, power, { beforeInsert: () => (units.saves >= 3 ? power.crash() : Effect.void) })))
      )
      expect(Exit.isFailure(crashed)).toBe(true)
      const landed = tables.rowsOf("t").length
      expect(landed).toBeLessThan(fake.expectedIds().length)
      yield* runWithClock(runJob(fake.job, options({ runId: "run-2" })).pipe(Effect.provide(processLayer(units, tables))))
      expect(ids(tables)).toEqual(fake.expectedIds())
      // Resumed units started from their checkpointed cursors, not all from the beginning.
      expect(fake.starts.filter((s) => s.cursor !== "").length).toBeGreaterThan(0)
    }))

  it.effect("a refused insert leaves units not done and cursors unmoved", () =>
    Effect.gen(function* () {
      const fake = fakeJob({ units: 5, pages: 3, rowsPerPage: 10 })
      const units = new MemoryUnits()
      const tables = new MemoryTables()
      yield* planned(fake.job, units)
      const refuse: MemorySinkHooks = {
        beforeInsert: () => Effect.fail(new ClickHouseError({ reason: "Query", message: "Code: 164. Cannot insert: the user is readonly" }))
      }
      const exit = yield* runWithClock(runJob(fake.job, options({ checkpointInterval: 1 })).pipe(Effect.provide(processLayer(units, tables, new Power(), refuse))))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(JSON.stringify(exit)).toContain("readonly")
      const latest = units.latest("fake")
      expect(latest).toHaveLength(5)
      expect(latest.every((u) => u.status !== "done" && u.cursor === "" && u.rows === 0)).toBe(true)
    }))

  it.effect("interrupted mid-run: flushes, saves unfinished units as pending at their cursor, rerun completes exactly", () =>
    Effect.gen(function* () {
      const fake = fakeJob({ units: 12, pages: 5, rowsPerPage: 3, pageDelay: "1 second" })
      const units = new MemoryUnits()
      const tables = new MemoryTables()
      yield* planned(fake.job, units)
      const said: Array<string> = []
      const fiber = yield* Effect.fork(
        runJob(fake.job, options({ checkpointInterval: 1, say: (l) => Effect.sync(() => void said.push(l)) })).pipe(Effect.provide(processLayer(units, tables)))
      )
      yield* TestClock.adjust("2500 millis")
      const exit = yield* Effect.flatMap(Effect.fork(Fiber.interrupt(fiber)), (f) =>
        Effect.gen(function* () {
          for (let i = 0; i < 50 && Option.isNone(yield* Fiber.poll(f)); i++) yield* TestClock.adjust("100 millis")
          return yield* Fiber.join(f)
        })
      )
      expect(Exit.isInterrupted(exit)).toBe(true)
      expect(said.join("\n")).toMatch(/stopped: .* units back to pending .*resume mid-unit.*Run the same command again/)
      const afterStop = units.latest("fake")
      expect(afterStop.some((u) => u.status === "in_progress")).toBe(false)
      const midway = afterStop.filter((u) => u.status === "pending" && u.cursor !== "")
      expect(midway.length).toBeGreaterThan(0)
      // Every acknowledged cursor matches rows already in the table.
      for (const u of midway) expect(ids(tables).filter((id) => id.startsWith(u.unit_key)).length).toBeGreaterThanOrEqual(Number(u.cursor) * 3)

      yield* runWithClock(runJob(fake.job, options({ runId: "run-2" })).pipe(Effect.provide(processLayer(units, tables))))
      expect(ids(tables)).toEqual(fake.expectedIds())
      expect(units.latest("fake").every((u) => u.status === "done" && u.rows === 15)).toBe(true)
    }))

  it.effect("no plan: one line saying to run plan first", () =>
    Effect.gen(function* () {
      const fake = fakeJob({ units: 1, pages: 1, rowsPerPage: 1 })
      const exit = yield* Effect.exit(runJob(fake.job, options()).pipe(Effect.provide(processLayer(new MemoryUnits(), new MemoryTables()))))
      expect(JSON.stringify(exit)).toContain("run `polybackfill plan fake` first")
    }))

  it.effect("--limit and --skip take that slice of the runnable units in key order", () =>
    Effect.gen(function* () {
      const fake = fakeJob({ units: 10, pages: 1, rowsPerPage: 1 })
      const units = new MemoryUnits()
      yield* planned(fake.job, units)
      const selection = { ...options().selection, skip: 2, limit: 3 }
      yield* runWithClock(runJob(fake.job, options({ selection })).pipe(Effect.provide(processLayer(units, new MemoryTables()))))
      const done = units.latest("fake").filter((u) => u.status === "done").map((u) => u.unit_key).sort()
      expect(done).toEqual([unitKey(2), unitKey(3), unitKey(4)])
    }))

  it.effect("in_progress units of a run that still beats are left alone; those of a silent run are taken back", () =>
    Effect.gen(function* () {
      const fake = fakeJob({ units: 4, pages: 1, rowsPerPage: 1 })
      const units = new MemoryUnits()
      yield* planned(fake.job, units)
      yield* Effect.provide(
        Effect.flatMap(UnitStore, (s) =>
          s.save([
            { ...units.unit("fake", unitKey(0))!, status: "in_progress", run_id: "alive" },
            { ...units.unit("fake", unitKey(1))!, status: "in_progress", run_id: "dead", cursor: "0" }
          ])
        ),
        layerUnitsMemory(units)
      )
      const beats: Array<WorkerHeartbeatRow> = []
      const asked: Array<number> = []
      const hb = Layer.succeed(Heartbeats, {
        beat: (row) => Effect.sync(() => void beats.push(row)),
        liveRuns: (_job, sinceS) => Effect.sync(() => (asked.push(sinceS), ["alive", "run-1"].map((run_id) => ({ run_id, host: "h", pid: 1 })))),
        latest: () => Effect.succeed([])
      })
      yield* TestClock.adjust("100 seconds")
      const exit = yield* runWithClock(runJob(fake.job, options()).pipe(Effect.provide(Layer.merge(processLayer(units, new MemoryTables()), hb))))
      expect(Exit.isSuccess(exit) && exit.value).toMatchObject({ selected: 3, leftToLiveRuns: 1 })
      // At the start, then again before each claim.
      expect(asked[0]).toBe(100 - 30)
      expect(units.unit("fake", unitKey(0))).toMatchObject({ status: "in_progress", run_id: "alive" })
      expect(units.unit("fake", unitKey(1))).toMatchObject({ status: "done", run_id: "run-1" })
      expect(fake.starts.find((s) => s.unit === unitKey(1))?.cursor).toBe("0")
      // A first beat before any claim, and a last one with the final counts.
      expect(beats[0]).toMatchObject({ run_id: "run-1", units_done: 0, shard: "0/1" })
      expect(beats.at(-1)).toMatchObject({ units_done: 3, rows: 3 })
    }))

  it.effect("a run whose process is known dead (same host, pid gone) is taken back at once, though its heartbeat is fresh", () =>
    Effect.gen(function* () {
      const fake = fakeJob({ units: 2, pages: 1, rowsPerPage: 1 })
      const units = new MemoryUnits()
      yield* planned(fake.job, units)
      yield* Effect.provide(
        Effect.flatMap(UnitStore, (s) => s.save([{ ...units.unit("fake", unitKey(0))!, status: "in_progress", run_id: "crashed" }])),
        layerUnitsMemory(units)
      )
      const hb = Layer.succeed(Heartbeats, {
        beat: () => Effect.void,
        liveRuns: () => Effect.succeed([{ run_id: "crashed", host: "here", pid: 4242 }]),
        latest: () => Effect.succeed([])
      })
      const asked: Array<string> = []
      const processAlive = (host: string, pid: number) => (asked.push(`${host}:${pid}`), host === "here" ? false : undefined)
      const exit = yield* runWithClock(runJob(fake.job, options({ processAlive })).pipe(Effect.provide(Layer.merge(processLayer(units, new MemoryTables()), hb))))
      expect(Exit.isSuccess(exit) && exit.value).toMatchObject({ selected: 2, done: 2, leftToLiveRuns: 0 })
      expect(asked[0]).toBe("here:4242")
      expect(units.unit("fake", unitKey(0))).toMatchObject({ status: "done", run_id: "run-1" })
    }))

  it.effect("a heartbeat every 10 s while the run lasts", () =>
    Effect.gen(function* () {
      const fake = fakeJob({ units: 2, pages: 3, rowsPerPage: 1, pageDelay: "10 seconds" })
      const units = new MemoryUnits()
      yield* planned(fake.job, units)
      const beats: Array<number> = []
      const hb = Layer.succeed(Heartbeats, {
        beat: (row) => Effect.sync(() => void beats.push(row.updated_at)),
        liveRuns: () => Effect.succeed([]),
        latest: () => Effect.succeed([])
      })
      const fiber = yield* Effect.fork(runJob(fake.job, options()).pipe(Effect.provide(Layer.merge(processLayer(units, new MemoryTables()), hb))))
      yield* TestClock.adjust("25 seconds")
      expect(beats).toEqual([0, 10, 20])
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(fiber)
      expect(beats.slice(0, 4)).toEqual([0, 10, 20, 30])
    }))
})
