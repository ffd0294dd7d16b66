import { Clock, Effect, Layer } from "effect"
import type { BackfillUnitRow } from "../domain/tables.js"
import { latestByKey, unitRowKey } from "../domain/units.js"
import { UnitStore } from "../services/UnitStore.js"
import { Power } from "./RowSinkMemory.js"

/** Every row ever saved (the log a ReplacingMergeTree holds before merging), kept across test runs. */
export class MemoryUnits {
  readonly rows: Array<BackfillUnitRow> = []
  saves = 0
  private version = 0
  nextVersion(nowMs: number): number {
    this.version = Math.max(nowMs, this.version + 1)
    return this.version
  }
  /** The latest row per key of `rows`, caught up on each read (rows is append-only). */
  private readonly newest = new Map<string, BackfillUnitRow>()
  private indexed = 0
  private catchUp(): Map<string, BackfillUnitRow> {
    if (this.indexed < this.rows.length) {
      latestByKey(this.rows.slice(this.indexed), this.newest)
      this.indexed = this.rows.length
    }
    return this.newest
  }
  latest(job: string): Array<BackfillUnitRow> {
    return [...this.catchUp().values()].filter((r) => r.job === job)
  }
  latestOf(job: string, keys: ReadonlyArray<string>): Array<BackfillUnitRow> {
    const newest = this.catchUp()
    return keys.flatMap((k) => newest.get(unitRowKey(job, k)) ?? [])
  }
  unit(job: string, key: string): BackfillUnitRow | undefined {
    return this.latestOf(job, [key])[0]
  }
}

export const layerMemory = (storage: MemoryUnits = new MemoryUnits(), power: Power = new Power()): Layer.Layer<UnitStore> =>
  Layer.succeed(UnitStore, {
    location: "memory",
    load: (job) => power.guard(Effect.sync(() => storage.latest(job))),
    loadKeys: (job, keys) => power.guard(Effect.sync(() => storage.latestOf(job, keys))),
    save: (rows) =>
      power.guard(
        Effect.gen(function* () {
          if (rows.length === 0) return
          const version = storage.nextVersion(yield* Clock.currentTimeMillis)
          storage.saves++
          for (const row of rows) storage.rows.push({ ...row, version })
        })
      ),
    jobs: power.guard(Effect.sync(() => [...new Set(storage.rows.map((r) => r.job))].sort()))
  })
