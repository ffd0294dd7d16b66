import { Duration, Effect, Fiber, Option, Stream, TestClock } from "effect"
import type { SourceFailure } from "../../src/domain/errors.js"
import { SourceError } from "../../src/domain/errors.js"
import type { Job, Page } from "../../src/streams/Job.js"
import { ALL_SHARDS } from "../../src/domain/units.js"
import type { EngineOptions } from "../../src/streams/engine.js"

export interface FakeJobOptions {
  readonly units: number
  readonly pages: number
  readonly rowsPerPage: number
  /** Unit keys whose fetch fails after `failAfterPages` pages. */
  readonly failing?: ReadonlySet<string>
  readonly failAfterPages?: number
  /** How the failing units fail (default Fatal: the unit's own fault; Transient reads as the source being down). */
  readonly failReason?: SourceFailure
  /** Simulated time per page. */
  readonly pageDelay?: Duration.DurationInput
  /** Units that have no pages at all (a market without fills). */
  readonly empty?: ReadonlySet<string>
  /** How many more times page `hangPage` of these units hangs forever before it answers (counts down). */
  readonly hangs?: Map<string, number>
  readonly hangPage?: number
  /** Each page goes through this (e.g. a governor's permit). */
  readonly request?: <A, E, R>(page: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

export const unitKey = (i: number) => `u${String(i).padStart(4, "0")}`

/**
 * A job with `units` units of `pages` pages each; row ids are `${unit}-${page}-${k}`. Cursor = the
 * next page number. `starts` records the cursor every fetch began from.
 */
export const fakeJob = (o: FakeJobOptions) => {
  const starts: Array<{ readonly unit: string; readonly cursor: string }> = []
  const hung = new Map<string, number>()
  const job: Job = {
    name: "fake",
    description: "test job",
    tables: ["t"],
    plan: Effect.succeed(Array.from({ length: o.units }, (_, i) => ({ unitKey: unitKey(i), payload: JSON.stringify({ i }) }))),
    fetch: (unit) => {
      starts.push({ unit: unit.unitKey, cursor: unit.cursor })
      if (o.empty?.has(unit.unitKey) === true) return Stream.empty
      const first = unit.cursor === "" ? 0 : Number(unit.cursor)
      return Stream.range(first, o.pages - 1).pipe(
        Stream.mapEffect((p) =>
          Effect.gen(function* () {
            const left = o.hangs?.get(unit.unitKey) ?? 0
            if (p === (o.hangPage ?? 0) && left > 0) {
              hung.set(unit.unitKey, (hung.get(unit.unitKey) ?? 0) + 1)
              o.hangs?.set(unit.unitKey, left - 1)
              return yield* Effect.never
            }
            if (o.pageDelay !== undefined) yield* (o.request ?? ((e) => e))(Effect.sleep(o.pageDelay))
            if (o.failing?.has(unit.unitKey) === true && p >= (o.failAfterPages ?? 0)) {
              return yield* new SourceError({ reason: o.failReason ?? "Fatal", host: "fake", message: `fake source refused ${unit.unitKey} page ${p}` })
            }
            const page: Page = {
              rows: [{ table: "t", rows: Array.from({ length: o.rowsPerPage }, (_, k) => ({ id: `${unit.unitKey}-${p}-${k}`, unit: unit.unitKey })) }],
              quarantine: [],
              next: p + 1 < o.pages ? Option.some(String(p + 1)) : Option.none()
            }
            return page
          })
        )
      )
    }
  }
  const expectedIds = (): Array<string> => {
    const ids: Array<string> = []
    for (let i = 0; i < o.units; i++) {
      const u = unitKey(i)
      if (o.failing?.has(u) === true || o.empty?.has(u) === true) continue
      for (let p = 0; p < o.pages; p++) for (let k = 0; k < o.rowsPerPage; k++) ids.push(`${u}-${p}-${k}`)
    }
    return ids.sort()
  }
  return { job, starts, expectedIds, hung }
}

/** Runs `effect` under the TestClock, advancing time in `step`s until it ends. */
export const runWithClock = <A, E, R>(effect: Effect.Effect<A, E, R>, step: Duration.DurationInput = "100 millis") =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(effect)
    for (let i = 0; i < 100_000; i++) {
      const done = yield* Fiber.poll(fiber)
      if (Option.isSome(done)) break
      yield* TestClock.adjust(step)
    }
    return yield* Fiber.await(fiber)
  })

/** The engine's options in these tests: 4 workers, small batches, every unit selected, nothing said. */
export const engineOptions = (overrides: Partial<EngineOptions> = {}): EngineOptions => ({
  runId: "run-1",
  workers: 4,
  sink: { batchSize: 50, flushInterval: "2 seconds", maxBufferedRows: 200 },
  checkpointInterval: 10,
  selection: { retryErrors: false, shard: ALL_SHARDS, skip: 0, limit: undefined, since: undefined, until: undefined },
  say: () => Effect.void,
  ...overrides
})
