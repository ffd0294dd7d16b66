import type { Effect, Schema } from "effect"
import { Context } from "effect"
import type { ClickHouseError } from "../domain/errors.js"
import type { JsonFragment } from "../domain/jsonRows.js"

/**
 * The ClickHouse port. SQL text is built with `sql`/`quote` from domain/sql.ts; rows are inserted as
 * JSONEachRow, never spliced into SQL. Every method is interruptible: interruption aborts the HTTP request.
 */
export interface ClickHouseApi {
  /** Where it talks to, with any password removed: safe to print. */
  readonly displayUrl: string
  readonly database: string
  /** DDL and other statements that return nothing. */
  readonly command: (sql: string) => Effect.Effect<void, ClickHouseError>
  /** A SELECT whose rows (JSON format) are decoded by `schema`; decode failures are ClickHouseError "Decode". */
  readonly query: <A, I>(sql: string, schema: Schema.Schema<A, I>) => Effect.Effect<ReadonlyArray<A>, ClickHouseError>
  /** Inserts rows as JSONEachRow into `table` of the configured database. */
  readonly insert: (table: string, rows: ReadonlyArray<Record<string, unknown>>) => Effect.Effect<void, ClickHouseError>
  /** Inserts rows already encoded as JSONEachRow fragments (the sink's path). */
  readonly insertEncoded: (table: string, fragments: ReadonlyArray<JsonFragment>) => Effect.Effect<void, ClickHouseError>
}

export class ClickHouse extends Context.Tag("polybackfill/ClickHouse")<ClickHouse, ClickHouseApi>() {}
