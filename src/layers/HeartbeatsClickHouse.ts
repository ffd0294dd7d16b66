import { Effect, Layer, Schema } from "effect"
import { JobName } from "../domain/ids.js"
import { quote } from "../domain/sql.js"
import { TABLES } from "../domain/tables.js"
import { ClickHouse } from "../services/ClickHouse.js"
import { Heartbeats } from "../services/Heartbeats.js"

const N = Schema.Union(Schema.Number, Schema.NumberFromString)
const Row = Schema.Struct({
  job: Schema.String,
  run_id: Schema.String,
  host: Schema.String,
  pid: N,
  shard: Schema.String,
  workers_limit: N,
  in_flight: N,
  units_in_flight: N,
  units_done: N,
  rows: N,
  rows_per_sec: N,
  rate_limited_share: N,
  started_at: N,
  updated_at: N
})
const COLUMNS =
  "job, run_id, host, pid, shard, workers_limit, in_flight, units_in_flight, units_done, rows, rows_per_sec, rate_limited_share, " +
  "toUInt32(started_at) AS started_at, toUInt32(updated_at) AS updated_at"

const job = (name: string) => {
  if (!Schema.is(JobName)(name)) throw new Error(`invalid job name ${JSON.stringify(name)}`)
  return quote(name)
}

/** Heartbeats in worker_heartbeats (ReplacingMergeTree(updated_at) by (job, run_id)), read with FINAL. */
export const layerClickHouse: Layer.Layer<Heartbeats, never, ClickHouse> = Layer.effect(
  Heartbeats,
  Effect.map(ClickHouse, (clickhouse) => ({
    beat: (row) => clickhouse.insert(TABLES.workerHeartbeats, [{ ...row }]),
    liveRuns: (name, sinceS) =>
      Effect.suspend(() =>
        clickhouse.query(
          `SELECT run_id, host, pid FROM ${TABLES.workerHeartbeats} FINAL WHERE job = ${job(name)} AND updated_at >= toDateTime(${quote(Math.floor(sinceS))})`,
          Schema.Struct({ run_id: Schema.String, host: Schema.String, pid: N })
        )
      ),
    latest: (name, limit) =>
      Effect.suspend(() =>
        clickhouse.query(
          `SELECT ${COLUMNS} FROM ${TABLES.workerHeartbeats} FINAL WHERE job = ${job(name)} ORDER BY updated_at DESC LIMIT ${quote(Math.max(1, Math.floor(limit)))}`,
          Row
        )
      )
  }))
)
