import { Clock, Effect, Layer, Schema } from "effect"
import { ClickHouseError } from "../domain/errors.js"
import { JobName, UnitKey } from "../domain/ids.js"
import { quote } from "../domain/sql.js"
import { TABLES } from "../domain/tables.js"
import type { UnitHead } from "../domain/tables.js"
import { ClickHouse } from "../services/ClickHouse.js"
import { UnitStore } from "../services/UnitStore.js"
import { UnitRowSchema } from "./unitRowSchema.js"

const COLUMNS =
  "job, unit_key, shard_hash, status, cursor, attempts, rows, error_message, run_id, toUInt32(last_run_at) AS last_run_at, payload, version"

const UnitHeadSchema = UnitRowSchema.pick("unit_key", "shard_hash", "status", "run_id")

/** One string per distinct run id (a plan's units share a handful), not one per row. */
const sharingRunIds = (heads: ReadonlyArray<UnitHead>): ReadonlyArray<UnitHead> => {
  const ids = new Map<string, string>()
  return heads.map((h) => {
    const known = ids.get(h.run_id)
    if (known === undefined) ids.set(h.run_id, h.run_id)
    return known === undefined ? h : { ...h, run_id: known }
  })
}

const jobName = (job: string): JobName => {
  if (!Schema.is(JobName)(job)) throw new Error(`invalid job name ${JSON.stringify(job)}`)
  return job
}

/** The newest rows of `job`: every read uses FINAL. */
const ofJob = (job: string) => `FROM ${TABLES.backfillUnits} FINAL WHERE job = ${quote(jobName(job))}`

const unitKey = (key: string): UnitKey => {
  if (!Schema.is(UnitKey)(key)) throw new Error(`invalid unit key ${JSON.stringify(key)}`)
  return key
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
    const exists = yield* clickhouse.query(`EXISTS TABLE ${TABLES.backfillUnits}`, Schema.Struct({ result: Schema.Union(Schema.Number, Schema.NumberFromString) }))
    if (exists[0]?.result !== 1) {
      return yield* new ClickHouseError({
        reason: "Query",
        message: `table ${TABLES.backfillUnits} is missing in database ${clickhouse.database}: run \`polybackfill migrate\` first`
      })
    }
    const top = yield* clickhouse.query(
      `SELECT max(version) AS v FROM ${TABLES.backfillUnits}`,
      Schema.Struct({ v: Schema.Union(Schema.Number, Schema.NumberFromString) })
    )
    let version = top[0]?.v ?? 0
    return {
      location: `${clickhouse.database}.${TABLES.backfillUnits} at ${clickhouse.displayUrl}`,
      load: (job) =>
        Effect.suspend(() =>
          clickhouse.query(`SELECT ${COLUMNS} ${ofJob(job)}`, UnitRowSchema)
        ),
      loadHeads: (job) =>
        Effect.suspend(() =>
          clickhouse.query(`SELECT unit_key, shard_hash, status, run_id ${ofJob(job)}`, UnitHeadSchema)
        ).pipe(Effect.map(sharingRunIds)),
      loadKeys: (job, keys) =>
        keys.length === 0
          ? Effect.succeed([])
          : Effect.suspend(() =>
              clickhouse.query(
                `SELECT ${COLUMNS} ${ofJob(job)} AND unit_key IN (${keys.map((k) => quote(unitKey(k))).join(", ")})`,
                UnitRowSchema
              )
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
        clickhouse.query(`SELECT DISTINCT job FROM ${TABLES.backfillUnits} FINAL ORDER BY job`, Schema.Struct({ job: Schema.String })),
        (rows) => rows.map((r) => r.job)
      )
    }
  })
)
