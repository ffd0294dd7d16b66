import { Either, Schema } from "effect"

/**
 * Paging a wallet's `/activity` (newest first) past an offset cap whose value is not trusted
 * (5,000 documented now, 10,000 before, 3,500 seen on `/trades`).
 *
 * A window is [start, to] (both inclusive, `to` absent = no end) read from `offset` on. Rows come
 * newest first, so after any page the rows of the window still unread are those older than the
 * oldest timestamp read (`minTs`), plus those at `minTs` past the `atMin` already read. When the cap
 * is hit (a 400 past offset 0) the unit goes on in the window [start, minTs] from offset `atMin`:
 * the first `atMin` rows of that window are exactly the ones already read at `minTs` (the order is
 * stable), so nothing is read twice or skipped, however many trades share one second. A short or
 * empty page past a window's first request may be a cap that truncates silently: the narrowed window
 * is asked, and the unit ends when a window's first request comes back empty (or short, from offset
 * 0). Only a single second holding more trades than the cap lets through cannot be paged; the unit
 * fails saying so.
 */
export const ActivityWindow = Schema.Struct({
  to: Schema.NullOr(Schema.Int),
  /** The offset the window started at. */
  first: Schema.Int,
  offset: Schema.Int,
  minTs: Schema.NullOr(Schema.Int),
  atMin: Schema.Int,
  /** Non-TRADE rows seen so far in the unit. */
  skipped: Schema.Int
})
export type ActivityWindow = typeof ActivityWindow.Type

/** `/v2/activity`: the envelope's next_cursor (null before the first page). */
export const ActivityCursorV2 = Schema.Struct({ next: Schema.NullOr(Schema.String), skipped: Schema.Int })
export type ActivityCursorV2 = typeof ActivityCursorV2.Type

const TradesCursorJson = Schema.parseJson(Schema.Union(ActivityWindow, ActivityCursorV2))

export const encodeTradesCursor = (c: ActivityWindow | ActivityCursorV2): string => JSON.stringify(c)

/** "" is the start of the unit: the whole window, to `until` when given. */
export const decodeTradesCursor = (
  text: string,
  start: { readonly api: "v1" | "v2"; readonly to: number | null }
): Either.Either<ActivityWindow | ActivityCursorV2, string> => {
  if (text === "") return Either.right(start.api === "v1" ? firstWindow(start.to) : { next: null, skipped: 0 })
  const c = Schema.decodeUnknownEither(TradesCursorJson)(text)
  if (Either.isLeft(c)) return Either.left(`unreadable cursor ${JSON.stringify(text.slice(0, 80))}: reset the unit with \`polybackfill reset trades\``)
  if (("offset" in c.right) !== (start.api === "v1")) {
    return Either.left(`the unit was started with the other --api: rerun it with the same --api, or reset it`)
  }
  return Either.right(c.right)
}

export const firstWindow = (to: number | null): ActivityWindow => ({ to, first: 0, offset: 0, minTs: to, atMin: 0, skipped: 0 })

/** The window [start, minTs] from the rows already read at minTs. */
const narrowed = (minTs: number | null, atMin: number, skipped: number): ActivityWindow => ({ to: minTs, first: atMin, offset: atMin, minTs, atMin, skipped })

export const isV1 = (c: ActivityWindow | ActivityCursorV2): c is ActivityWindow => "offset" in c

/** The window after a page of `timestamps` (in the order received); undefined when the unit is done; a string when the rows break the order. */
export const afterPage = (w: ActivityWindow, timestamps: ReadonlyArray<number>, rows: number, limit: number, skipped: number): ActivityWindow | undefined | string => {
  let minTs = w.minTs
  let atMin = w.atMin
  for (const ts of timestamps) {
    if (minTs !== null && ts > minTs) return `rows out of newest-first order (${ts} after ${minTs}); paging by offset would skip trades`
    if (minTs !== null && ts === minTs) atMin++
    else {
      minTs = ts
      atMin = 1
    }
  }
  if (rows >= limit) return { ...w, offset: w.offset + rows, minTs, atMin, skipped }
  const firstRequest = w.offset === w.first
  // The end of the window: nothing where it starts, or a short first page of the whole range.
  if (firstRequest && (rows === 0 || w.first === 0)) return undefined
  // Else a cap may have cut it silently: the narrowed window says (empty when nothing is left).
  return narrowed(minTs, atMin, skipped)
}

/** After the cap refused `w.offset`: the narrowed window, or why it cannot go on. */
export const afterCap = (w: ActivityWindow): ActivityWindow | string => {
  if (w.minTs === null || (w.minTs === w.to && w.atMin === w.offset)) {
    return `the Data-API refuses offset ${w.offset} and more than ${w.offset} trades share timestamp ${w.minTs ?? w.to}: a one-second window cannot be paged further`
  }
  return narrowed(w.minTs, w.atMin, w.skipped)
}
