import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Option, TestClock } from "effect"
import type { WorkerHeartbeatRow } from "../../src/domain/tables.js"
import { ALL_SHARDS } from "../../src/domain/units.js"
import { layerMemory as layerHeartbeatsMemory } from "../../src/layers/HeartbeatsMemory.js"
import { layerSilent } from "../../src/layers/ProgressLive.js"
import { layerMemory as layerSinkMemory, MemoryTables } from "../../src/layers/RowSinkMemory.js"
import { layerMemory as layerUnitsMemory, MemoryUnits } from "../../src/layers/UnitStoreMemory.js"
import type { EngineOptions } from "../../src/streams/engine.js"
import { runJob } from "../../src/streams/engine.js"
import { UnitStore } from "../../src/services/UnitStore.js"
import { planJob } from "../../src/streams/plan.js"
import { fakeJob } from "./fakeJob.js"

const options = (runId: string): EngineOptions => ({
  runId,
  workers: 3,
  claimChunk: 4,
  sink: { batchSize: 20, flushInterval: "1 second" },
  checkpointInterval: 1,
  selection: { retryErrors: false, shard: ALL_SHARDS, skip: 0, limit: undefined, since: undefined, until: undefined },
  say: () => Effect.void
})

describe("claims in a shared store", () => {
  it.effect("two unsharded runs started together over one plan: every unit is run by exactly one of them, and the data is exact", () =>
    Effect.gen(function* () {
      const fake = fakeJob({ units: 30, pages: 2, rowsPerPage: 2, pageDelay: "700 millis" })
      const units = new MemoryUnits()
      const tables = new MemoryTables()
      const beats: Array<WorkerHeartbeatRow> = []
      yield* planJob(fake.job, { rebuild: false }).pipe(Effect.provide(layerUnitsMemory(units)))
      const process = Layer.mergeAll(layerUnitsMemory(units), layerSinkMemory(tables), layerSilent, layerHeartbeatsMemory(beats))
      const a = yield* Effect.fork(runJob(fake.job, options("run-a")).pipe(Effect.provide(process)))
      const b = yield* Effect.fork(runJob(fake.job, options("run-b")).pipe(Effect.provide(process)))
      for (let i = 0; i < 2000 && (Option.isNone(yield* Fiber.poll(a)) || Option.isNone(yield* Fiber.poll(b))); i++) yield* TestClock.adjust("100 millis")
      const [ea, eb] = [yield* Fiber.await(a), yield* Fiber.await(b)]
      expect(Exit.isSuccess(ea) && Exit.isSuccess(eb)).toBe(true)
      const doneA = Exit.isSuccess(ea) ? ea.value.done : 0
      const doneB = Exit.isSuccess(eb) ? eb.value.done : 0
      // Both did work, and together exactly the plan: no unit started twice.
      expect(doneA).toBeGreaterThan(0)
      expect(doneB).toBeGreaterThan(0)
      expect(doneA + doneB).toBe(30)
      const startsPerUnit = new Map<string, number>()
      for (const s of fake.starts) startsPerUnit.set(s.unit, (startsPerUnit.get(s.unit) ?? 0) + 1)
      expect([...startsPerUnit.values()].every((n) => n === 1)).toBe(true)
      expect(startsPerUnit.size).toBe(30)
      expect(units.latest("fake").every((u) => u.status === "done" && u.attempts === 1)).toBe(true)
      expect(tables.rowsOf("t")).toHaveLength(fake.expectedIds().length)
    }))

  it.effect("a run alone (no other run beats) claims without re-reading: the re-reads are FINAL queries on a real store", () =>
    Effect.gen(function* () {
      const fake = fakeJob({ units: 12, pages: 1, rowsPerPage: 2 })
      const units = new MemoryUnits()
      yield* planJob(fake.job, { rebuild: false }).pipe(Effect.provide(layerUnitsMemory(units)))
      let rereads = 0
      const counted = Layer.effect(
        UnitStore,
        Effect.map(UnitStore, (store) => ({
          ...store,
          loadKeys: (job: string, keys: ReadonlyArray<string>) => Effect.suspend(() => (rereads++, store.loadKeys!(job, keys)))
        }))
      ).pipe(Layer.provide(layerUnitsMemory(units)))
      const process = Layer.mergeAll(counted, layerSinkMemory(new MemoryTables()), layerSilent, layerHeartbeatsMemory([]))
      const run = yield* Effect.fork(runJob(fake.job, options("run-alone")).pipe(Effect.provide(process)))
      for (let i = 0; i < 200 && Option.isNone(yield* Fiber.poll(run)); i++) yield* TestClock.adjust("100 millis")
      const exit = yield* Fiber.await(run)
      expect(Exit.isSuccess(exit) && exit.value.done).toBe(12)
      expect(rereads).toBe(0)
    }))

  it.effect("a run that loaded unit heads reads each chunk in full once before claiming it, and writes the full rows back", () =>
    Effect.gen(function* () {
      const fake = fakeJob({ units: 150, pages: 2, rowsPerPage: 2 })
      const units = new MemoryUnits()
      yield* planJob(fake.job, { rebuild: false }).pipe(Effect.provide(layerUnitsMemory(units)))
      const payloads = new Map(units.latest("fake").map((u) => [u.unit_key, u.payload]))
      let rereads = 0
      const headsOnly = Layer.effect(
        UnitStore,
        Effect.map(UnitStore, (store) => ({
          ...store,
          loadHeads: (job: string) =>
            Effect.map(store.load(job), (rows) => rows.map(({ unit_key, shard_hash, status, run_id }) => ({ unit_key, shard_hash, status, run_id }))),
          loadKeys: (job: string, keys: ReadonlyArray<string>) => Effect.suspend(() => (rereads++, store.loadKeys!(job, keys)))
        }))
      ).pipe(Layer.provide(layerUnitsMemory(units)))
      const process = Layer.mergeAll(headsOnly, layerSinkMemory(new MemoryTables()), layerSilent, layerHeartbeatsMemory([]))
      const run = yield* Effect.fork(runJob(fake.job, { ...options("run-heads"), claimChunk: 64 }).pipe(Effect.provide(process)))
      for (let i = 0; i < 400 && Option.isNone(yield* Fiber.poll(run)); i++) yield* TestClock.adjust("100 millis")
      const exit = yield* Fiber.await(run)
      expect(Exit.isSuccess(exit) && exit.value.done).toBe(150)
      // 150 units in chunks of 64: three chunks, one full read each.
      expect(rereads).toBe(3)
      const latest = units.latest("fake")
      expect(latest.every((u) => u.status === "done" && u.attempts === 1 && u.payload === payloads.get(u.unit_key))).toBe(true)
      expect(new Set(fake.starts.map((s) => s.unit)).size).toBe(150)
    }))
})
