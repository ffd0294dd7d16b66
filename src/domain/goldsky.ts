import { Schema } from "effect"

const BigIntString = Schema.String.pipe(Schema.pattern(/^\d{1,78}$/))

/** An OrderFilledEvent of the orderbook subgraph (polymarket-sources.md §3); BigInts arrive as strings. */
export const OrderFilledEvent = Schema.Struct({
  id: Schema.String,
  transactionHash: Schema.String.pipe(Schema.pattern(/^0x[0-9a-fA-F]{64}$/)),
  timestamp: BigIntString,
  orderHash: Schema.String.pipe(Schema.pattern(/^0x[0-9a-fA-F]{64}$/)),
  maker: Schema.String.pipe(Schema.pattern(/^0x[0-9a-fA-F]{40}$/)),
  taker: Schema.String.pipe(Schema.pattern(/^0x[0-9a-fA-F]{40}$/)),
  makerAssetId: BigIntString,
  takerAssetId: BigIntString,
  makerAmountFilled: BigIntString,
  takerAmountFilled: BigIntString,
  fee: BigIntString
})
export type OrderFilledEvent = typeof OrderFilledEvent.Type

/** The GraphQL answer; events stay unknown so one bad row does not lose the page. */
export const OrderFilledPage = Schema.Struct({
  data: Schema.optional(Schema.NullOr(Schema.Struct({ orderFilledEvents: Schema.Array(Schema.Unknown) }))),
  errors: Schema.optional(Schema.Array(Schema.Struct({ message: Schema.String })))
})

export const GOLDSKY_PAGE_SIZE = 1000

const FIELDS = "id transactionHash timestamp orderHash maker taker makerAssetId takerAssetId makerAmountFilled takerAmountFilled fee"

/**
 * The sticky (timestamp, id) cursor of poly_data: normally `timestamp_gt: T`; after a full page the
 * rows sharing the last timestamp may continue, so page `{timestamp: T, id_gt: lastId}` until that
 * timestamp is exhausted. Rows sharing a timestamp are never skipped.
 */
export interface FillCursor {
  readonly ts: string
  /** Set while paging inside one timestamp. */
  readonly stickyId?: string
}

export const FillCursorSchema = Schema.Struct({ ts: BigIntString, stickyId: Schema.optional(Schema.String.pipe(Schema.pattern(/^0x[0-9a-fA-F_x]+$/))) })

/** tokenIds are validated decimal strings (Schema above), so splicing them as JSON is safe. */
export const orderFilledQuery = (tokenIds: ReadonlyArray<string>, cursor: FillCursor, first = GOLDSKY_PAGE_SIZE): string => {
  const tokens = JSON.stringify(tokenIds)
  const assets = `or: [{makerAssetId_in: ${tokens}}, {takerAssetId_in: ${tokens}}]`
  const where =
    cursor.stickyId !== undefined
      ? `{timestamp: "${cursor.ts}", id_gt: "${cursor.stickyId}", ${assets}}`
      : `{timestamp_gt: "${cursor.ts}", ${assets}}`
  const orderBy = cursor.stickyId !== undefined ? "id" : "timestamp"
  return `{ orderFilledEvents(first: ${first}, orderBy: ${orderBy}, orderDirection: asc, where: ${where}) { ${FIELDS} } }`
}

/**
 * The cursor after a page of `count` rows whose last readable row is `last`. A full page continues at
 * that row (sticky on its timestamp); a short page in sticky mode moves past that timestamp; a short
 * page otherwise means the unit is complete.
 */
export const nextFillCursor = (
  cursor: FillCursor,
  count: number,
  last: { readonly id: string; readonly timestamp: string } | undefined,
  first = GOLDSKY_PAGE_SIZE
): FillCursor | undefined => {
  if (count >= first && last !== undefined) return { ts: last.timestamp, stickyId: last.id }
  if (cursor.stickyId !== undefined) return { ts: cursor.ts }
  return undefined
}
