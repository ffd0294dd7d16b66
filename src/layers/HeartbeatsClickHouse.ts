import { Effect, Layer } from "effect"
import { Heartbeats as Statements } from "../domain/statements.js"
import { TABLES } from "../domain/tables.js"
import { ClickHouse } from "../services/ClickHouse.js"
import { Heartbeats, stillRunning } from "../services/Heartbeats.js"

/** Heartbeats in worker_heartbeats (ReplacingMergeTree(updated_at) by (job, run_id)), read with FINAL. */
export const layerClickHouse: Layer.Layer<Heartbeats, never, ClickHouse> = Layer.effect(
  Heartbeats,
  Effect.map(ClickHouse, (clickhouse) => ({
    beat: (row) => clickhouse.insert(TABLES.workerHeartbeats, [{ ...row }]),
    // A run whose final beat recorded its ending is not live. Filtered here, not in SQL: a WHERE on a
    // non-key column may run before FINAL (18.16 moves it to PREWHERE) and let an earlier `running` beat through.
    liveRuns: (name, sinceS) =>
      Effect.suspend(() =>
        clickhouse.query(Statements.liveRuns.sql(name, sinceS), Statements.liveRuns.rows)
      ).pipe(Effect.map((rows) => rows.filter(stillRunning).map(({ run_id, host, pid }) => ({ run_id, host, pid })))),
    latest: (name, limit) =>
      Effect.suspend(() =>
        clickhouse.query(Statements.latest.sql(name, limit), Statements.latest.rows)
      )
  }))
)
