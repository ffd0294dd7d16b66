import type { Migration } from "../../streams/migrate.js"

/*
 * How each run ended, in its last heartbeat: `state` is running while it beats, then finished,
 * interrupted or failed in the final beat (a run that stops beating while still `running` crashed);
 * `units_error` counts the units it left in error. Rows written before this migration read state ''.
 * 18.16 has no ADD COLUMN IF NOT EXISTS (a syntax error there), so both columns are added by one ALTER:
 * it applies whole or not at all. The CREATE after it is what `migrate` runs again when the table was
 * dropped by hand, so it comes back with these columns.
 */
export const runEndings: Migration = {
  version: 3,
  name: "run_endings",
  statements: (db) => [
    `ALTER TABLE ${db}.worker_heartbeats ADD COLUMN state String DEFAULT '' AFTER shard, ADD COLUMN units_error UInt64 DEFAULT 0 AFTER units_done`,
    `CREATE TABLE IF NOT EXISTS ${db}.worker_heartbeats (
  job String,
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
  updated_at DateTime
) ENGINE = ReplacingMergeTree(updated_at) ORDER BY (job, run_id)`
  ]
}
