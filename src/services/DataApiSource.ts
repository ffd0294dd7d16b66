import type { Effect } from "effect"
import { Context } from "effect"
import type { SourceError } from "../domain/errors.js"

export interface ActivityRequest {
  readonly user: string
  /** Epoch seconds, inclusive; always sent: without it the API applies a window of about three years. */
  readonly start: number
  /** Epoch seconds, inclusive; null for no end. */
  readonly end: number | null
  readonly limit: number
}

export interface ActivityPageV1 extends ActivityRequest {
  readonly offset: number
}

export interface ActivityPageV2 extends ActivityRequest {
  /** null for the first page, then the envelope's next_cursor. */
  readonly cursor: string | null
}

/** A 400 past offset 0: the offset cap (the same query was taken at offset 0; only the offset changed). */
export interface OffsetCapped {
  readonly _tag: "OffsetCapped"
  readonly message: string
}

/** The Data-API: a wallet's TRADE activity, one page at a time. Rows are returned as received, each decoded on its own. */
export class DataApiSource extends Context.Tag("polybackfill/DataApiSource")<
  DataApiSource,
  {
    readonly activity: (request: ActivityPageV1) => Effect.Effect<ReadonlyArray<unknown> | OffsetCapped, SourceError>
    readonly activityV2: (request: ActivityPageV2) => Effect.Effect<{ readonly rows: ReadonlyArray<unknown>; readonly next: string | null }, SourceError>
  }
>() {}
