import type { Effect } from "effect"
import { Context } from "effect"
import type { ClickHouseError } from "../domain/errors.js"

/**
 * Where decoded rows go: one call is one insert, acknowledged when the effect succeeds. Batching,
 * retries and checkpoint ordering live in src/streams/sink.ts; implementations only insert.
 */
export interface RowSinkApi {
  readonly insert: (table: string, rows: ReadonlyArray<Record<string, unknown>>) => Effect.Effect<void, ClickHouseError>
}

export class RowSink extends Context.Tag("polybackfill/RowSink")<RowSink, RowSinkApi>() {}
