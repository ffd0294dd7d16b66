import { Effect, Layer } from "effect"
import { Heartbeats as Statements } from "../domain/statements.js"
import { TABLES } from "../domain/tables.js"
import { ClickHouse } from "../services/ClickHouse.js"
import { Heartbeats } from "../services/Heartbeats.js"

/** Heartbeats in worker_heartbeats (ReplacingMergeTree(updated_at) by (job, run_id)), read with FINAL. */
export const layerClickHouse: Layer.Layer<Heartbeats, never, ClickHouse> = Layer.effect(
  Heartbeats,
  Effect.map(ClickHouse, (clickhouse) => ({
    beat: (row) => clickhouse.insert(TABLES.workerHeartbeats, [{ ...row }]),
    liveRuns: (name, sinceS) =>
      Effect.suspend(() =>
        clickhouse.query(Statements.liveRuns.sql(name, sinceS), Statements.liveRuns.rows)
      ),
    latest: (name, limit) =>
      Effect.suspend(() =>
        clickhouse.query(Statements.latest.sql(name, limit), Statements.latest.rows)
      )
  }))
)
