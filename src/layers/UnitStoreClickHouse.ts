import { Clock, Effect, Layer } from "effect"
import { ClickHouseError } from "../domain/errors.js"
import { Units } from "../domain/statements.js"
import { TABLES } from "../domain/tables.js"
import type { UnitHead } from "../domain/tables.js"
import { ClickHouse } from "../services/ClickHouse.js"
import { UnitStore } from "../services/UnitStore.js"

/** One string per distinct run id (a plan's units share a handful), not one per row. */
const sharingRunIds = (heads: ReadonlyArray<UnitHead>): ReadonlyArray<UnitHead> => {
  const ids = new Map<string, string>()
  return heads.map((h) => {
    const known = ids.get(h.run_id)
    if (known === undefined) ids.set(h.run_id, h.run_id)
    return known === undefined ? h : { ...h, run_id: known }
  })
}

/**
 * Units in `backfill_units` (ReplacingMergeTree(version) by (job, unit_key)). Every read uses FINAL:
 * without it a stale cursor could be read back and rows replayed or skipped. Versions come from one
 * counter per process that starts above the largest version in the table and never goes below the
 * clock in milliseconds, so a later write always wins, across restarts too.
 */
export const layerClickHouse: Layer.Layer<UnitStore, ClickHouseError, ClickHouse> = Layer.effect(
  UnitStore,
  Effect.gen(function* () {
    const clickhouse = yield* ClickHouse
    const exists = yield* clickhouse.query(Units.exists.sql(), Units.exists.rows)
    if (exists[0]?.result !== 1) {
      return yield* new ClickHouseError({
        reason: "Query",
        message: `table ${TABLES.backfillUnits} is missing in database ${clickhouse.database}: run \`polybackfill migrate\` first`
      })
    }
    const top = yield* clickhouse.query(Units.maxVersion.sql(), Units.maxVersion.rows)
    let version = top[0]?.v ?? 0
    return {
      location: `${clickhouse.database}.${TABLES.backfillUnits} at ${clickhouse.displayUrl}`,
      load: (job) =>
        Effect.suspend(() =>
          clickhouse.query(Units.load.sql(job), Units.load.rows)
        ),
      loadHeads: (job) =>
        Effect.suspend(() =>
          clickhouse.query(Units.loadHeads.sql(job), Units.loadHeads.rows)
        ).pipe(Effect.map(sharingRunIds)),
      loadKeys: (job, keys) =>
        keys.length === 0
          ? Effect.succeed([])
          : Effect.suspend(() =>
              clickhouse.query(Units.loadKeys.sql(job, keys), Units.loadKeys.rows)
            ),
      save: (rows) =>
        rows.length === 0
          ? Effect.void
          : Effect.gen(function* () {
              version = Math.max(yield* Clock.currentTimeMillis, version + 1)
              const v = version
              yield* clickhouse.insert(TABLES.backfillUnits, rows.map((r) => ({ ...r, version: v })))
            }),
      jobs: Effect.map(
        clickhouse.query(Units.jobs.sql(), Units.jobs.rows),
        (rows) => rows.map((r) => r.job)
      )
    }
  })
)
