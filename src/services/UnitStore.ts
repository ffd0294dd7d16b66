import type { Effect } from "effect"
import { Context, Data } from "effect"
import type { ClickHouseError } from "../domain/errors.js"
import type { BackfillUnitRow, UnitHead } from "../domain/tables.js"
import type { UnitWrite } from "../domain/units.js"

/** The file checkpoint log could not be read or written; `message` names the file and the fix. */
export class CheckpointFileError extends Data.TaggedError("CheckpointFileError")<{
  readonly message: string
}> {}

export type UnitStoreError = ClickHouseError | CheckpointFileError

/**
 * Where units and their checkpoints live: ClickHouse `backfill_units` (read with FINAL) or a local
 * append log. A store only keeps rows; what to write (plan, claim, checkpoint, done, error) is decided
 * by src/streams (plan.ts, checkpoint.ts) with the pure transitions of domain/units.ts, so every store
 * behaves the same. Every write carries the whole row: the newest version of a key replaces the rest.
 */
export interface UnitStoreApi {
  /** Human-readable location, safe to print. */
  readonly location: string
  /** The newest row of every unit of `job`. */
  readonly load: (job: string) => Effect.Effect<ReadonlyArray<BackfillUnitRow>, UnitStoreError>
  /**
   * The newest rows of these units. Stores that several processes share have it; a run then re-checks
   * each claim against it, so no unit is run by two live runs at once.
   */
  readonly loadKeys?: (job: string, keys: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<BackfillUnitRow>, UnitStoreError>
  /**
   * What choosing units needs of every unit of `job` (no payloads, cursors or messages), for stores
   * with `loadKeys`: a run of a large plan then holds its key and three small fields per unit, and
   * reads the full rows of each chunk it claims with `loadKeys`.
   */
  readonly loadHeads?: (job: string) => Effect.Effect<ReadonlyArray<UnitHead>, UnitStoreError>
  /** Writes rows in one batch, all with one new version above every version written before. */
  readonly save: (rows: ReadonlyArray<UnitWrite>) => Effect.Effect<void, UnitStoreError>
  /** Jobs that have units. */
  readonly jobs: Effect.Effect<ReadonlyArray<string>, UnitStoreError>
}

export class UnitStore extends Context.Tag("polybackfill/UnitStore")<UnitStore, UnitStoreApi>() {}
