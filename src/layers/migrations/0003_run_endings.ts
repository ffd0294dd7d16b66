import type { Migration } from "../../streams/migrate.js"
import { rebuild } from "./0002_chain_tables.js"

const HEARTBEAT_COLUMNS_V1 =
  "job, run_id, host, pid, shard, workers_limit, in_flight, units_in_flight, units_done, rows, rows_per_sec, rate_limited_share, started_at, updated_at"

/*
 * How each run ended, in its last heartbeat: `state` is running while it beats, then finished,
 * interrupted or failed in the final beat (a run that stops beating while still `running` crashed);
 * `units_error` counts the units it left in error. Rows written before this migration read state ''.
 * A rebuild (as in 0002) rather than ALTER ... ADD COLUMN: 18.16 has no ADD COLUMN IF NOT EXISTS, and
 * every statement of a migration must be able to run again.
 */
export const runEndings: Migration = {
  version: 3,
  name: "run_endings",
  statements: (db) =>
    rebuild(
      db,
      "worker_heartbeats",
      `job String,
  run_id String,
  host String,
  pid UInt32,
  shard String,
  state String DEFAULT '',
  workers_limit UInt32,
  in_flight UInt32,
  units_in_flight UInt32,
  units_done UInt64,
  units_error UInt64 DEFAULT 0,
  rows UInt64,
  rows_per_sec Float64,
  rate_limited_share Float64,
  started_at DateTime,
  updated_at DateTime`,
      "ReplacingMergeTree(updated_at) ORDER BY (job, run_id)",
      { into: HEARTBEAT_COLUMNS_V1, select: HEARTBEAT_COLUMNS_V1 }
    )
}
