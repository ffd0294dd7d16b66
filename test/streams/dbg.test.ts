import { expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Option, TestClock, Logger, LogLevel } from "effect"
import { ALL_SHARDS } from "../../src/domain/units.js"
import { layerSilent } from "../../src/layers/ProgressLive.js"
import { layerMemory as layerSinkMemory, MemoryTables, Power } from "../../src/layers/RowSinkMemory.js"
import { layerMemory as layerUnitsMemory, MemoryUnits } from "../../src/layers/UnitStoreMemory.js"
import { runJob } from "../../src/streams/engine.js"
import { planJob } from "../../src/streams/plan.js"
import { fakeJob } from "./fakeJob.js"

it.effect("dbg", () =>
  Effect.gen(function* () {
    const fake = fakeJob({ units: 12, pages: 5, rowsPerPage: 3, pageDelay: "1 second" })
    const units = new MemoryUnits()
    const tables = new MemoryTables()
    yield* planJob(fake.job, { rebuild: false }).pipe(Effect.provide(layerUnitsMemory(units)))
    const layer = Layer.mergeAll(layerUnitsMemory(units, new Power()), layerSinkMemory(tables, new Power()), layerSilent)
    const fiber = yield* Effect.fork(
      runJob(fake.job, {
        runId: "r", workers: 4, sink: { batchSize: 50, flushInterval: "2 seconds", maxBufferedRows: 200 }, checkpointInterval: 1,
        selection: { retryErrors: false, shard: ALL_SHARDS, skip: 0, limit: undefined, since: undefined, until: undefined },
        say: (l) => Effect.sync(() => console.log("SAY", l))
      }).pipe(Effect.provide(layer))
    )
    yield* TestClock.adjust("2500 millis")
    console.log("interrupting")
    const f = yield* Effect.fork(Fiber.interrupt(fiber))
    for (let i = 0; i < 50 && Option.isNone(yield* Fiber.poll(f)); i++) { yield* TestClock.adjust("100 millis") }
    console.log("polled", Option.isSome(yield* Fiber.poll(f)), tables.inserts, units.saves)
    expect(1).toBe(1)
  }).pipe(Logger.withMinimumLogLevel(LogLevel.Debug)))
