import { Schema } from "effect"

// ClickHouse quotes 64-bit integers in JSON output; the file log holds plain numbers.
const Num = Schema.Union(Schema.Number, Schema.NumberFromString)

/** A backfill_units row as read back from ClickHouse (DateTime selected as epoch seconds) or the file log. */
export const UnitRowSchema = Schema.Struct({
  job: Schema.String,
  unit_key: Schema.String,
  shard_hash: Num,
  status: Schema.Literal("pending", "in_progress", "done", "error"),
  cursor: Schema.String,
  attempts: Num,
  rows: Num,
  error_message: Schema.String,
  run_id: Schema.String,
  last_run_at: Num,
  payload: Schema.String,
  version: Num
})
