import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Layer, Option, TestClock } from "effect"
import { SourceError, SourceUnavailable } from "../../src/domain/errors.js"
import { layerSilent } from "../../src/layers/ProgressLive.js"
import { layerMemory as layerSinkMemory, MemoryTables } from "../../src/layers/RowSinkMemory.js"
import { layerMemory as layerUnitsMemory, MemoryUnits } from "../../src/layers/UnitStoreMemory.js"
import { runJob } from "../../src/streams/engine.js"
import type { Job } from "../../src/streams/Job.js"
import { probeSource } from "../../src/streams/Job.js"
import { planJob } from "../../src/streams/plan.js"
import { engineOptions, fakeJob, runWithClock, unitKey } from "./fakeJob.js"

const options = engineOptions

const layers = (units: MemoryUnits, tables = new MemoryTables()) => Layer.mergeAll(layerUnitsMemory(units), layerSinkMemory(tables), layerSilent)

const plannedUnits = (job: Job) =>
  Effect.gen(function* () {
    const units = new MemoryUnits()
    yield* planJob(job, { rebuild: false }).pipe(Effect.provide(layerUnitsMemory(units)))
    return units
  })

const statuses = (units: MemoryUnits, job = "fake") => {
  const by: Record<string, number> = {}
  for (const u of units.latest(job)) by[u.status] = (by[u.status] ?? 0) + 1
  return by
}

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E | undefined => (Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined)

const noAnswer = new SourceError({ reason: "Transient", host: "127.0.0.1:1", noAnswer: true, message: "http://127.0.0.1:1/: Transport error (connect ECONNREFUSED)" })

describe("a source that is not there", () => {
  it.effect("a failing start-up probe stops the run before any unit is claimed or fetched", () =>
    Effect.gen(function* () {
      const fake = fakeJob({ units: 12, pages: 2, rowsPerPage: 3 })
      const job: Job = { ...fake.job, probe: probeSource("goldsky", Effect.fail(noAnswer)) }
      const units = yield* plannedUnits(job)
      const exit = yield* runWithClock(runJob(job, options()).pipe(Effect.provide(layers(units))))
      const error = failureOf(exit)
      expect(error).toBeInstanceOf(SourceUnavailable)
      expect((error as SourceUnavailable).message).toBe(
        "the Goldsky orderbook subgraph is not there: http://127.0.0.1:1/: Transport error (connect ECONNREFUSED); check --goldsky-url (env GOLDSKY_URL)"
      )
      expect(fake.starts).toHaveLength(0)
      expect(units.latest("fake").every((u) => u.status === "pending" && u.attempts === 0 && u.run_id === "")).toBe(true)
    }))

  it.effect("the probe classifies: no answer, 404, 405 and a foreign answer stop; 5xx, 429 and a timeout only warn", () =>
    Effect.gen(function* () {
      const verdict = (e: SourceError) => Effect.map(Effect.exit(probeSource("gamma", Effect.fail(e))), Exit.isSuccess)
      const answered = (status: number) => new SourceError({ reason: status >= 500 ? "Transient" : "Fatal", host: "h", status, message: `HTTP ${status}` })
      expect(yield* verdict(noAnswer)).toBe(false)
      expect(yield* verdict(answered(404))).toBe(false)
      expect(yield* verdict(answered(405))).toBe(false)
      expect(yield* verdict(new SourceError({ reason: "Decode", host: "h", message: "did not answer {markets: [...]}" }))).toBe(false)
      expect(yield* verdict(answered(503))).toBe(true)
      expect(yield* verdict(new SourceError({ reason: "RateLimited", host: "h", status: 429, message: "429" }))).toBe(true)
      expect(yield* verdict(new SourceError({ reason: "Timeout", host: "h", message: "no answer within 30s" }))).toBe(true)
    }))

  it.effect("nothing to run: no probe (a run with every unit done needs no source)", () =>
    Effect.gen(function* () {
      const fake = fakeJob({ units: 3, pages: 1, rowsPerPage: 1 })
      const units = yield* plannedUnits(fake.job)
      yield* runWithClock(runJob(fake.job, options()).pipe(Effect.provide(layers(units))))
      const job: Job = { ...fake.job, probe: probeSource("goldsky", Effect.fail(noAnswer)) }
      const exit = yield* runWithClock(runJob(job, options({ runId: "run-2" })).pipe(Effect.provide(layers(units))))
      expect(Exit.isSuccess(exit) && exit.value).toMatchObject({ selected: 0 })
    }))
})

describe("a source that goes down mid-run", () => {
  it.effect("10 units in a row that cannot reach it stop the run: 10 errors, the rest pending, one line", () =>
    Effect.gen(function* () {
      // The first 8 units answer; from unit 8 on every unit fails as a source that stopped answering does.
      const failing = new Set(Array.from({ length: 40 }, (_, i) => unitKey(i + 8)))
      const fake = fakeJob({ units: 48, pages: 2, rowsPerPage: 3, pageDelay: "1 second", failing, failReason: "Transient" })
      const units = yield* plannedUnits(fake.job)
      const exit = yield* runWithClock(runJob({ ...fake.job, sources: ["goldsky"] }, options()).pipe(Effect.provide(layers(units))))
      const error = failureOf(exit)
      expect(error).toBeInstanceOf(SourceUnavailable)
      const s = statuses(units)
      expect(s).toEqual({ done: 8, error: 10, pending: 30 })
      // Units 8 to 19 fail four at a time; which of the third four is the tenth depends on the order they end in.
      expect((error as SourceUnavailable).message).toMatch(
        /^fake: stopped taking units: 10 units in a row could not reach their source, the last: fake source refused u001[6-9] page 0; 30 units left pending\. Run the same command again once the source answers \(check --goldsky-url \(env GOLDSKY_URL\)\)$/
      )
    }))

  it.effect("failures between successes, or failures that are the unit's own (4xx, bad data), do not stop it", () =>
    Effect.gen(function* () {
      const everyOther = new Set(Array.from({ length: 15 }, (_, i) => unitKey(2 * i)))
      const transient = fakeJob({ units: 30, pages: 1, rowsPerPage: 1, pageDelay: "1 second", failing: everyOther, failReason: "Transient" })
      const u1 = yield* plannedUnits(transient.job)
      const e1 = yield* runWithClock(runJob(transient.job, options({ workers: 1 })).pipe(Effect.provide(layers(u1))))
      expect(Exit.isSuccess(e1) && e1.value).toMatchObject({ done: 15, errors: 15 })

      const all = new Set(Array.from({ length: 30 }, (_, i) => unitKey(i)))
      const fatal = fakeJob({ units: 30, pages: 1, rowsPerPage: 1, pageDelay: "1 second", failing: all, failReason: "Fatal" })
      const u2 = yield* plannedUnits(fatal.job)
      const e2 = yield* runWithClock(runJob(fatal.job, options()).pipe(Effect.provide(layers(u2))))
      expect(Exit.isSuccess(e2) && e2.value).toMatchObject({ done: 0, errors: 30 })
    }))

  it.effect("what a forced exit leaves behind: the units this run holds in_progress, then none once it released them", () =>
    Effect.gen(function* () {
      const fake = fakeJob({ units: 20, pages: 5, rowsPerPage: 2, pageDelay: "1 second" })
      const units = yield* plannedUnits(fake.job)
      let describe: () => string = () => "never registered"
      const fiber = yield* Effect.fork(runJob(fake.job, options({ onLeftBehind: (d) => void (describe = d), suggest: (a) => `polybackfill ${a} --database x` })).pipe(Effect.provide(layers(units))))
      for (let i = 0; i < 30; i++) yield* TestClock.adjust("100 millis")
      const held = units.latest("fake").filter((u) => u.status === "in_progress" && u.run_id === "run-1").length
      expect(held).toBeGreaterThan(0)
      expect(describe()).toBe(
        `${held} units of fake stay in_progress under run run-1 at their last saved cursor (rows not yet written are fetched again); ` +
          "the next `polybackfill run fake --database x` takes them back, at once on this host, after 30 s elsewhere"
      )
      yield* Fiber.interrupt(fiber)
      expect(units.latest("fake").filter((u) => u.status === "in_progress")).toHaveLength(0)
      expect(describe()).toBe("no unit of fake was left in progress")
    }))
})
