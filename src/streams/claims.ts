import type { Duration, Schedule } from "effect"
import { Clock, Effect } from "effect"
import type { BackfillUnitRow, UnitHead } from "../domain/tables.js"
import type { Selection, UnitSpan, UnitWrite } from "../domain/units.js"
import { claimed, selectUnits } from "../domain/units.js"
import type { UnitStoreApi, UnitStoreError } from "../services/UnitStore.js"
import type { UnitRun } from "./checkpoint.js"
import { unitRun } from "./checkpoint.js"

export interface ClaimDeps {
  readonly job: string
  readonly runId: string
  readonly store: UnitStoreApi
  readonly selection: Selection
  readonly span: ((u: BackfillUnitRow) => UnitSpan | undefined) | undefined
  /** Runs other than this one that still beat, read now. */
  readonly othersAlive: Effect.Effect<ReadonlySet<string>>
  readonly save: (rows: ReadonlyArray<UnitWrite>) => Effect.Effect<void, UnitStoreError>
  readonly retry: Schedule.Schedule<unknown, UnitStoreError>
  /** Pause between writing a claim and reading it back, longer than a claim takes to write. */
  readonly settle: Duration.DurationInput
  /** Units this run holds; a stop releases them. */
  readonly active: Map<string, UnitRun>
}

const isFullRow = (u: UnitHead): u is BackfillUnitRow => "payload" in u

/**
 * Claims a chunk of units (in_progress, this run's id) and returns those this run now holds. In a
 * shared store another run may have taken a unit since this run loaded the plan, or may claim it at the
 * same moment: the chunk is re-read before the claim, and after a pause the claims this run lost (a
 * later claim wins) are left to their winner. Uninterruptible: a claim that reached the store is always
 * tracked in `active`, so a stop releases it.
 */
export const makeClaimer = (deps: ClaimDeps) => {
  const write = (rows: ReadonlyArray<BackfillUnitRow>) =>
    Effect.gen(function* () {
      const nowS = Math.floor((yield* Clock.currentTimeMillis) / 1000)
      const runs = rows.map((row) => unitRun(claimed(row, deps.runId, nowS), nowS * 1000))
      yield* deps.save(runs.map((u) => u.row))
      for (const u of runs) deps.active.set(u.key, u)
      return runs
    })
  const recheck = deps.store.loadKeys
  // A store only this process uses (no loadKeys): nothing to re-check, and the engine loaded full rows.
  if (recheck === undefined) {
    return (chunk: ReadonlyArray<UnitHead>) =>
      chunk.every(isFullRow) ? Effect.uninterruptible(write(chunk)) : Effect.dieMessage("unit heads from a store that cannot read full rows (no loadKeys)")
  }
  const reread = (keys: ReadonlyArray<string>) => recheck(deps.job, keys).pipe(Effect.retry(deps.retry))
  return (chunk: ReadonlyArray<UnitHead>): Effect.Effect<ReadonlyArray<UnitRun>, UnitStoreError> =>
    Effect.uninterruptible(
      Effect.gen(function* () {
        // Alone (no other run beats; every run beats before its first claim), nobody can have taken
        // or be taking these units: with full rows in hand the re-read, a FINAL query that costs
        // ClickHouse more than the claim itself, is left out. Heads are always read in full first.
        const before = yield* deps.othersAlive
        const fresh = before.size === 0 && chunk.every(isFullRow) ? chunk : yield* reread(chunk.map((u) => u.unit_key))
        const rows = selectUnits(fresh, { ...deps.selection, skip: 0, limit: undefined, liveRuns: before }, deps.span)
        const runs = yield* write(rows)
        if (runs.length === 0) return runs
        yield* Effect.sleep(deps.settle)
        if (before.size === 0 && (yield* deps.othersAlive).size === 0) return runs
        const ours = new Set(
          (yield* reread(runs.map((u) => u.key))).filter((r) => r.status === "in_progress" && r.run_id === deps.runId).map((r) => r.unit_key)
        )
        const lost = runs.filter((u) => !ours.has(u.key))
        for (const u of lost) deps.active.delete(u.key)
        if (lost.length > 0) yield* Effect.logInfo(`${lost.length} units were claimed by another run at the same moment: left to it`)
        if (rows.length < chunk.length) yield* Effect.logDebug(`${chunk.length - rows.length} units were taken by other runs since this run started`)
        return runs.filter((u) => ours.has(u.key))
      })
    )
}
