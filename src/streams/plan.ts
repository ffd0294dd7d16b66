import { Effect } from "effect"
import { Data } from "effect"
import type { PlanChange } from "../domain/units.js"
import { planChange } from "../domain/units.js"
import type { UnitStoreError } from "../services/UnitStore.js"
import { UnitStore } from "../services/UnitStore.js"
import type { Job } from "./Job.js"

/** The job could not list its units (its source or ClickHouse failed); `message` is one line. */
export class PlanFailed extends Data.TaggedError("PlanFailed")<{
  readonly job: string
  readonly message: string
}> {}

/**
 * A job's plan found nothing to build units from, because another job has not run yet (fills plans
 * from the markets that `run markets` loads): `message` names the command to run first.
 */
export class NothingToPlan extends Data.TaggedError("NothingToPlan")<{
  readonly job: string
  readonly message: string
}> {}

export type PlanResult = Omit<PlanChange, "writes">

const SAVE_CHUNK = 10_000

const oneLine = (e: unknown): string =>
  (typeof e === "object" && e !== null && "message" in e && typeof e.message === "string" ? e.message : String(e)).split("\n")[0]!

/**
 * `plan <job>`: adds the job's new units as pending and keeps every existing unit as it is. With
 * `rebuild`, says how many done units it discards (through `say`, before writing) and starts over.
 */
export const planJob = <R>(
  job: Job<R>,
  options: { readonly rebuild: boolean; readonly say?: (line: string) => Effect.Effect<void> }
): Effect.Effect<PlanResult, PlanFailed | UnitStoreError, R | UnitStore> =>
  Effect.gen(function* () {
    const store = yield* UnitStore
    const specs = yield* Effect.mapError(
      job.plan,
      (e) => new PlanFailed({ job: job.name, message: e instanceof NothingToPlan ? e.message : `planning ${job.name} failed: ${oneLine(e)}` })
    )
    const existing = yield* store.load(job.name)
    const change = planChange(job.name, existing, specs, options.rebuild)
    if (options.rebuild && options.say !== undefined) {
      yield* options.say(
        `rebuild: discarding ${change.discardedDone} done unit${change.discardedDone === 1 ? "" : "s"} of ${job.name} ` +
          `(${existing.length} existing units start over as pending)`
      )
    }
    for (let i = 0; i < change.writes.length; i += SAVE_CHUNK) yield* store.save(change.writes.slice(i, i + SAVE_CHUNK))
    const { writes: _writes, ...result } = change
    return result
  })
