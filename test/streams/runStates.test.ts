import { spawnSync } from "node:child_process"
import { hostname } from "node:os"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Logger, Schedule, TestClock } from "effect"
import { ClickHouseError } from "../../src/domain/errors.js"
import { ALL_SHARDS } from "../../src/domain/units.js"
import { processAlive } from "../../src/cli/run.js"
import { layerClickHouse as layerHeartbeatsClickHouse } from "../../src/layers/HeartbeatsClickHouse.js"
import { MIGRATIONS } from "../../src/layers/migrations/index.js"
import { layerSilent } from "../../src/layers/ProgressLive.js"
import { layerMemory as layerSinkMemory, MemoryTables } from "../../src/layers/RowSinkMemory.js"
import { layerClickHouse as layerUnitsClickHouse } from "../../src/layers/UnitStoreClickHouse.js"
import { ClickHouse } from "../../src/services/ClickHouse.js"
import { Heartbeats } from "../../src/services/Heartbeats.js"
import { UnitStore } from "../../src/services/UnitStore.js"
import type { EngineOptions } from "../../src/streams/engine.js"
import { runJob } from "../../src/streams/engine.js"
import { DEAD_AFTER_S } from "../../src/streams/heartbeat.js"
import { migrate } from "../../src/streams/migrate.js"
import { planJob } from "../../src/streams/plan.js"
import type { JobStatus } from "../../src/streams/status.js"
import { formatStatus, jobStatuses, quarantineCount } from "../../src/streams/status.js"
import { layerTestClickHouseOn, testEngines } from "../support/clickhouse.js"
import { fakeJob } from "./fakeJob.js"

const HOST = hostname()
/** A pid of this host that is certainly gone: a process that already exited. */
const deadPid = () => spawnSync(process.execPath, ["-e", "0"]).pid!

const options = (runId: string, pid = process.pid): EngineOptions => ({
  runId,
  workers: 2,
  claimChunk: 4,
  claimSettle: "1 millis",
  sink: { batchSize: 10, flushInterval: "10 millis", retry: Schedule.recurs(0) },
  checkpointInterval: 1,
  selection: { retryErrors: false, shard: ALL_SHARDS, skip: 0, limit: undefined, since: undefined, until: undefined },
  identity: { host: HOST, pid },
  processAlive,
  say: () => Effect.void
})

/**
 * One process's stores on the shared ClickHouse. `crashed()` is kill -9: from then on nothing it
 * writes reaches ClickHouse, so its finalizers cannot record an ending, as a killed process's could not.
 */
const processOn = (tables: MemoryTables, beforeInsert?: () => Effect.Effect<void, ClickHouseError>) => {
  let dead = false
  const guard = <A, E, R>(write: Effect.Effect<A, E, R>) => Effect.suspend(() => (dead ? Effect.void : Effect.asVoid(write)))
  const units = Layer.effect(UnitStore, Effect.map(UnitStore, (s) => ({ ...s, save: (rows: Parameters<typeof s.save>[0]) => guard(s.save(rows)) })))
  const beats = Layer.effect(Heartbeats, Effect.map(Heartbeats, (h) => ({ ...h, beat: (row: Parameters<typeof h.beat>[0]) => guard(h.beat(row)) })))
  const layer = Layer.mergeAll(
    units.pipe(Layer.provide(layerUnitsClickHouse)),
    beats.pipe(Layer.provide(layerHeartbeatsClickHouse)),
    layerSinkMemory(tables, undefined, beforeInsert === undefined ? {} : { beforeInsert }),
    layerSilent
  )
  return { layer, crash: () => void (dead = true) }
}

const statusNow = (job: string) =>
  jobStatuses(job, { processAlive, quarantined: quarantineCount }).pipe(
    Effect.provide(Layer.mergeAll(layerUnitsClickHouse, layerHeartbeatsClickHouse)),
    Effect.map((all) => all[0]!)
  )

const shownOf = (s: JobStatus) => Object.fromEntries(s.runs.map((r) => [r.beat.run_id, r.shown]))

/** Waits (real time) until `f` holds; the runs here do real I/O against ClickHouse. */
const until = (f: () => boolean) => Effect.repeat(Effect.sleep("20 millis"), { until: () => f() })

for (const engine of testEngines()) {
  const ready = Layer.effectDiscard(migrate(MIGRATIONS, () => Effect.void)).pipe(Layer.provideMerge(layerTestClickHouseOn(engine, "runstates")))

  describe(`status from runs on the ${engine}`, () => {
    it.live("finished, interrupted, crashed and failed runs each show as such; the next run takes back the crashed run's units and says so", () =>
      Effect.gen(function* () {
        const fake = fakeJob({ units: 12, pages: 3, rowsPerPage: 2, pageDelay: "30 millis" })
        yield* planJob(fake.job, { rebuild: false }).pipe(Effect.provide(layerUnitsClickHouse))
        const tables = new MemoryTables()

        // Interrupted (Ctrl+C): its final beat says so, its units go back to pending.
        const first = processOn(tables)
        const interrupted = yield* Effect.fork(runJob(fake.job, options("run-int")).pipe(Effect.provide(first.layer)))
        yield* until(() => fake.starts.length >= 2)
        yield* Fiber.interrupt(interrupted)
        let s = yield* statusNow("fake")
        expect(shownOf(s)).toEqual({ "run-int": "interrupted" })

        // Crashed (kill -9): its heartbeats stop without an ending, its pid on this host is gone.
        const second = processOn(tables)
        const crashing = yield* Effect.fork(runJob(fake.job, options("run-crash", deadPid())).pipe(Effect.provide(second.layer)))
        yield* until(() => fake.starts.length >= 6)
        second.crash()
        yield* Fiber.interrupt(crashing)
        s = yield* statusNow("fake")
        expect(shownOf(s)).toEqual({ "run-int": "interrupted", "run-crash": "crashed" })
        // What the next run must take back: every in_progress unit, by the dead run that holds it.
        const held = new Map<string, number>()
        for (const u of yield* Effect.flatMap(UnitStore, (store) => store.load("fake")).pipe(Effect.provide(layerUnitsClickHouse))) {
          if (u.status === "in_progress") held.set(u.run_id, (held.get(u.run_id) ?? 0) + 1)
        }
        expect(held.get("run-crash")).toBeGreaterThan(0)
        expect(s.byStatus.in_progress).toBe([...held.values()].reduce((a, b) => a + b, 0))
        // Nothing runs: nothing is being fetched, whatever the store still holds as claimed.
        expect(s.fetching).toBe(0)
        expect(s.etaS).toBeUndefined()

        // The next run takes the crashed run's units back, says so, and finishes everything.
        const logs: Array<string> = []
        const capture = Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => void logs.push(String(message))))
        const summary = yield* runJob(fake.job, options("run-fin")).pipe(Effect.provide(Layer.merge(processOn(tables).layer, capture)))
        expect(logs.filter((l) => l.includes("back from dead run")).sort()).toEqual(
          [...held].sort().map(
            ([run, n]) =>
              `taking ${n} unit${n === 1 ? "" : "s"} back from dead run ${run} (it ended, sent no heartbeat for ${DEAD_AFTER_S} s, or its process on this host is gone): each resumes from its last checkpoint`
          )
        )
        s = yield* statusNow("fake")
        expect(shownOf(s)).toEqual({ "run-int": "interrupted", "run-crash": "crashed", "run-fin": "finished" })
        expect(s.byStatus).toEqual({ pending: 0, in_progress: 0, done: 12, error: 0 })
        // One figure per measure: the run's line carries the run's own counts (its summary's), not the units' totals.
        const fin = s.runs.find((r) => r.beat.run_id === "run-fin")!
        expect([fin.beat.units_done, fin.beat.units_error, fin.beat.rows]).toEqual([summary.done, summary.errors, summary.rows])
        const text = formatStatus(s).join("\n")
        expect(text).toContain("progress: 12 of 12 units done (100%)")
        expect(text).toContain(`run-fin finished · ${HOST} pid ${process.pid}`)
        expect(text).toContain(`${summary.done} units done, ${summary.rows} rows (`)
        expect(text.match(/ rows \(/g)).toHaveLength(3) // one rows figure per run, and no second "last run" line
        expect(text).not.toContain("last run")
      }).pipe(Effect.provide(ready)), 60_000)

    it.live("a run stopped by ClickHouse refusing its rows shows as failed, with the units it left", () =>
      Effect.gen(function* () {
        const fake = fakeJob({ units: 4, pages: 1, rowsPerPage: 2 })
        yield* planJob(fake.job, { rebuild: false }).pipe(Effect.provide(layerUnitsClickHouse))
        const refusing = processOn(new MemoryTables(), () => Effect.fail(new ClickHouseError({ reason: "Query", message: "refused" })))
        const exit = yield* Effect.exit(runJob(fake.job, options("run-bad")).pipe(Effect.provide(refusing.layer)))
        expect(Exit.isFailure(exit)).toBe(true)
        const s = yield* statusNow("fake")
        expect(shownOf(s)).toEqual({ "run-bad": "failed" })
        expect(formatStatus(s).join("\n")).toContain("run-bad failed")
      }).pipe(Effect.provide(ready)), 30_000)

    it.live("a running run: units claimed in the store and units being fetched are told apart, with an ETA from the running rate", () =>
      Effect.gen(function* () {
        const fake = fakeJob({ units: 40, pages: 4, rowsPerPage: 1, pageDelay: "50 millis" })
        yield* planJob(fake.job, { rebuild: false }).pipe(Effect.provide(layerUnitsClickHouse))
        const running = processOn(new MemoryTables())
        const run = yield* Effect.fork(runJob(fake.job, options("run-live")).pipe(Effect.provide(running.layer)))
        yield* until(() => fake.starts.length >= 4)
        const s = yield* statusNow("fake")
        yield* Fiber.interrupt(run)
        expect(shownOf(s)).toEqual({ "run-live": "running" })
        // Claims run ahead of the two workers: the store holds more in_progress than are in flight.
        expect(s.byStatus.in_progress).toBeGreaterThan(2)
        expect(s.fetching).toBeLessThanOrEqual(2)
        expect(s.fetching).toBe(s.runs[0]!.beat.units_in_flight)
        const text = formatStatus(s).join("\n")
        expect(text).toContain(`claimed ${s.byStatus.in_progress} (in_progress in the store)`)
        expect(text).toContain(`fetching now: ${s.fetching} units in flight in 1 running run`)
      }).pipe(Effect.provide(ready)), 30_000)

    it.effect("a run that stops beating without an ending is running until DEAD_AFTER_S has passed, then crashed (another host: no pid to check)", () =>
      Effect.gen(function* () {
        const heartbeats = yield* Heartbeats
        yield* TestClock.setTime(1_780_000_000_000)
        const beat = {
          job: "fake", run_id: "far", host: `not-${HOST}`, pid: 1, shard: "0/1", state: "running" as const, workers_limit: 8, in_flight: 4,
          units_in_flight: 3, units_done: 40, units_error: 0, rows: 400, rows_per_sec: 0, rate_limited_share: 0, started_at: 1_779_999_980, updated_at: 1_780_000_000
        }
        yield* heartbeats.beat(beat)
        yield* heartbeats.beat({ ...beat, run_id: "old", state: "", updated_at: 1_779_000_000, started_at: 1_778_999_000 })
        yield* TestClock.adjust(`${DEAD_AFTER_S} seconds`)
        expect(shownOf(yield* statusNow("fake"))).toEqual({ far: "running", old: "ended" })
        yield* TestClock.adjust("1 second")
        expect(shownOf(yield* statusNow("fake"))).toEqual({ far: "crashed", old: "ended" })
      }).pipe(Effect.provide(Layer.merge(layerHeartbeatsClickHouse, layerUnitsClickHouse).pipe(Layer.provideMerge(ready)))))

    it.effect("quarantined rows are counted per job, with the query that reads them", () =>
      Effect.gen(function* () {
        const clickhouse = yield* ClickHouse
        const q = (job: string) => ({ job, unit_key: "u1", source: "goldsky", reason: "bad price", raw: "{}", run_id: "r", created_at: 1_780_000_000 })
        yield* clickhouse.insert("quarantine", [q("fake"), q("fake"), q("markets")])
        yield* planJob(fakeJob({ units: 1, pages: 1, rowsPerPage: 1 }).job, { rebuild: false }).pipe(Effect.provide(layerUnitsClickHouse))
        const s = yield* statusNow("fake")
        expect(s.quarantined).toBe(2)
        expect(formatStatus(s).join("\n")).toContain(
          "quarantined: 2 rows set aside with a reason; read them with: SELECT created_at, unit_key, source, reason, raw FROM quarantine WHERE job = 'fake'"
        )
      }).pipe(Effect.provide(ready)))
  })
}
