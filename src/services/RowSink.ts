import type { Effect } from "effect"
import { Context } from "effect"
import type { ClickHouseError } from "../domain/errors.js"
import type { JsonFragment } from "../domain/jsonRows.js"

/**
 * Where decoded rows go: one call is one insert of JSONEachRow fragments, acknowledged when the
 * effect succeeds. Batching, retries and checkpoint ordering live in src/streams/sink.ts;
 * implementations only insert.
 */
export interface RowSinkApi {
  readonly insert: (table: string, rows: ReadonlyArray<JsonFragment>) => Effect.Effect<void, ClickHouseError>
}

export class RowSink extends Context.Tag("polybackfill/RowSink")<RowSink, RowSinkApi>() {}
