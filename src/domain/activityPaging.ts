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
 * stable), so nothing is read twice or skipped, however many trades share one second. A short page
 * past offset 0 may be a cap that truncates silently: the same narrowed window is asked once more,
 * and the unit ends when it comes back empty. Only a single second holding more trades than the cap
 * lets through cannot be paged; the unit fails saying so.
 */
export const ActivityWindow = Schema.Struct({
  to: Schema.NullOr(Schema.Int),
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

export const firstWindow = (to: number | null): ActivityWindow => ({ to, offset: 0, minTs: to, atMin: 0, skipped: 0 })

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
  if (rows === 0) return undefined
  if (rows >= limit) return { ...w, offset: w.offset + rows, minTs, atMin, skipped }
  // Short: the end of the window, unless a cap cut it silently (then the narrowed window is not empty).
  if (w.offset === 0) return undefined
  return { to: minTs, offset: atMin, minTs, atMin, skipped }
}

/** After the cap refused `w.offset`: the narrowed window, or why it cannot go on. */
export const afterCap = (w: ActivityWindow): ActivityWindow | string => {
  if (w.minTs === null || (w.minTs === w.to && w.atMin === w.offset)) {
    return `the Data-API refuses offset ${w.offset} and more than ${w.offset} trades share timestamp ${w.minTs ?? w.to}: a one-second window cannot be paged further`
  }
  return { to: w.minTs, offset: w.atMin, minTs: w.minTs, atMin: w.atMin, skipped: w.skipped }
}
