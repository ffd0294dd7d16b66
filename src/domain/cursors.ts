import { Either, Schema } from "effect"
import { decodeReason } from "./decodeReason.js"

/**
 * Unit cursors as stored in backfill_units.cursor: "" means from the start. Every cursor read back
 * is validated, since it comes from a table or file an operator can edit and it reaches request text.
 */

const decodeWith =
  <A>(schema: Schema.Schema<A, string>, start: A, what: string) =>
  (raw: string): Either.Either<A, string> =>
    raw === ""
      ? Either.right(start)
      : Either.mapLeft(
          Schema.decodeUnknownEither(schema)(raw),
          (e) => `unreadable ${what} cursor ${JSON.stringify(raw.slice(0, 80))} (${decodeReason(e, 200)}): start over with \`polybackfill plan ${what} --rebuild\``
        )

/** markets: Gamma's opaque next_cursor, stored as is and sent back (URL-encoded) as after_cursor. */
export const GammaAfterCursor = Schema.String.pipe(
  Schema.pattern(/^[\x21-\x7e]{1,2048}$/, { message: () => "a Gamma next_cursor (printable ASCII, no spaces)" })
)

export const decodeMarketsCursor = decodeWith(GammaAfterCursor, "", "markets")
export const encodeMarketsCursor = (afterCursor: string): string => afterCursor

const DecimalString = Schema.String.pipe(Schema.pattern(/^\d{1,20}$/, { message: () => "a decimal timestamp" }))
/** The subgraph's OrderFilledEvent id (`${txHash}_${orderHash}`); kept to characters safe in a query. */
export const SubgraphId = Schema.String.pipe(Schema.pattern(/^[0-9A-Za-z_-]{1,200}$/, { message: () => "a subgraph entity id" }))

/**
 * fills: the sticky (timestamp, id) cursor of poly_data. `ts` alone pages by `timestamp_gt: ts`; with
 * `stickyId` the unit is inside timestamp `ts`, paging `{timestamp: ts, id_gt: stickyId}`.
 */
export const FillCursor = Schema.Struct({
  ts: DecimalString,
  stickyId: Schema.optional(SubgraphId),
  /** Kept with a done unit: the last time (epoch s) the subgraph could answer for when it finished. */
  head: Schema.optional(DecimalString)
})
export type FillCursor = typeof FillCursor.Type

export const FILLS_START: FillCursor = { ts: "0" }

const FillCursorJson = Schema.parseJson(FillCursor)
export const decodeFillCursor = decodeWith(FillCursorJson, FILLS_START, "fills")
export const encodeFillCursor = (cursor: FillCursor): string => Schema.encodeSync(FillCursorJson)(cursor)
