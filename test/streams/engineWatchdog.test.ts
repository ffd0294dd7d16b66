import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Logger } from "effect"
import { ALL_SHARDS } from "../../src/domain/units.js"
import { layerFixed } from "../../src/layers/GovernorFixed.js"
import { layerSilent } from "../../src/layers/ProgressLive.js"
import { layerMemory as layerSinkMemory, MemoryTables } from "../../src/layers/RowSinkMemory.js"
import { layerMemory as layerUnitsMemory, MemoryUnits } from "../../src/layers/UnitStoreMemory.js"
import { Governor } from "../../src/services/Governor.js"
import type { EngineOptions } from "../../src/streams/engine.js"
import { runJob } from "../../src/streams/engine.js"
import type { Job } from "../../src/streams/Job.js"
import { planJob } from "../../src/streams/plan.js"
import { fakeJob, runWithClock, unitKey } from "./fakeJob.js"

const options = (overrides: Partial<EngineOptions> = {}): EngineOptions => ({
  runId: "run-1",
  workers: 4,
  sink: { batchSize: 50, flushInterval: "1 second" },
  checkpointInterval: 1,
  selection: { retryErrors: false, shard: ALL_SHARDS, skip: 0, limit: undefined, since: undefined, until: undefined },
  say: () => Effect.void,
  stallTimeout: "60 seconds",
  ...overrides
})

const ids = (tables: MemoryTables) => tables.final("t", (r) => String(r["id"])).map((r) => String(r["id"])).sort()

/** Runs `job` on memory stores under the TestClock, collecting warnings. */
const run = (job: Job, units: MemoryUnits, tables: MemoryTables, opts: EngineOptions) =>
  Effect.gen(function* () {
    yield* planJob(job, { rebuild: false }).pipe(Effect.provide(layerUnitsMemory(units)))
    const warnings: Array<string> = []
    const logger = Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => void warnings.push(String(message))))
    const exit = yield* runWithClock(
      runJob(job, opts).pipe(Effect.provide(Layer.mergeAll(layerUnitsMemory(units), layerSinkMemory(tables), layerSilent, logger))),
      "1 second"
    )
    return { exit, warnings }
  })

describe("stall watchdog (TestClock)", () => {
  it.effect("a unit silent for --stall-timeout is interrupted, logged and retried from its last page; nothing lost or doubled", () =>
    Effect.gen(function* () {
      const stuck = unitKey(2)
      const fake = fakeJob({ units: 5, pages: 4, rowsPerPage: 3, pageDelay: "2 seconds", hangs: new Map([[stuck, 2]]), hangPage: 2 })
      const units = new MemoryUnits()
      const tables = new MemoryTables()
      const { exit, warnings } = yield* run(fake.job, units, tables, options())
      expect(Exit.isSuccess(exit) && exit.value).toMatchObject({ done: 5, errors: 0 })
      expect(fake.hung.get(stuck)).toBe(2)
      // Each retry resumes after the two pages already handed to the sink.
      expect(fake.starts.filter((s) => s.unit === stuck).map((s) => s.cursor)).toEqual(["", "2", "2"])
      const lines = warnings.filter((w) => w.includes("made no progress"))
      expect(lines).toHaveLength(2)
      expect(lines[0]).toBe(`unit ${stuck} made no progress for 1m00s: interrupted and retried from its last page (stall 1 of at most 3, attempt 2)`)
      expect(units.unit("fake", stuck)).toMatchObject({ status: "done", rows: 12, attempts: 3 })
      expect(ids(tables)).toEqual(fake.expectedIds())
      expect(tables.rowsOf("t")).toHaveLength(fake.expectedIds().length)
    }))

  it.effect("a unit that keeps stalling becomes error after the retries, with the reason; the others finish", () =>
    Effect.gen(function* () {
      const stuck = unitKey(0)
      const fake = fakeJob({ units: 3, pages: 2, rowsPerPage: 2, hangs: new Map([[stuck, 99]]), hangPage: 1 })
      const units = new MemoryUnits()
      const tables = new MemoryTables()
      const { exit } = yield* run(fake.job, units, tables, options({ stallTimeout: "10 seconds", stallRetries: 2 }))
      expect(Exit.isSuccess(exit) && exit.value).toMatchObject({ done: 2, errors: 1 })
      expect(fake.hung.get(stuck)).toBe(3)
      const failed = units.unit("fake", stuck)!
      expect(failed).toMatchObject({ status: "error", cursor: "1", rows: 2, attempts: 3 })
      expect(failed.error_message).toBe("stalled: no progress for 10s, 3 times in a row (raise --stall-timeout if the source is only slow)")
    }))

  it.effect("waiting for a governor permit is not silence: a queue longer than the timeout stalls nobody", () =>
    Effect.gen(function* () {
      const governor = yield* Effect.provide(Governor, layerFixed(1))
      // One permit, four units, 40 s per page: the last unit waits 120 s before its first page.
      const fake = fakeJob({ units: 4, pages: 2, rowsPerPage: 1, pageDelay: "40 seconds", request: (page) => governor.withPermit("slow.host", page) })
      const units = new MemoryUnits()
      const tables = new MemoryTables()
      const { exit, warnings } = yield* run(fake.job, units, tables, options())
      expect(Exit.isSuccess(exit) && exit.value).toMatchObject({ done: 4, errors: 0 })
      expect(warnings.filter((w) => w.includes("made no progress"))).toEqual([])
      expect(fake.starts).toHaveLength(4)
    }))

  it.effect("a 40 s page under a 30 s timeout is a stall: only waits by design are exempt", () =>
    Effect.gen(function* () {
      const fake = fakeJob({ units: 1, pages: 2, rowsPerPage: 1, pageDelay: "40 seconds" })
      const { warnings } = yield* run(fake.job, new MemoryUnits(), new MemoryTables(), options({ stallTimeout: "30 seconds", stallRetries: 1 }))
      expect(warnings.filter((w) => w.includes("made no progress"))).toHaveLength(1)
    }))
})
