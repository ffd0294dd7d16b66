import { Schema } from "effect"
import type { FillCursor } from "./cursors.js"

const BIG_INT = /^\d{1,78}$/
const HEX32 = /^0x[0-9a-fA-F]{64}$/
const ADDRESS = /^0x[0-9a-fA-F]{40}$/
const BigIntString = Schema.String.pipe(Schema.pattern(BIG_INT))
const Hex32 = Schema.String.pipe(Schema.pattern(HEX32))
const Address = Schema.String.pipe(Schema.pattern(ADDRESS))

/** An OrderFilledEvent of the orderbook subgraph (polymarket-sources.md §3); BigInts arrive as strings. */
export const OrderFilledEvent = Schema.Struct({
  id: Schema.String,
  transactionHash: Hex32,
  timestamp: BigIntString,
  orderHash: Hex32,
  maker: Address,
  taker: Address,
  makerAssetId: BigIntString,
  takerAssetId: BigIntString,
  makerAmountFilled: BigIntString,
  takerAmountFilled: BigIntString,
  fee: BigIntString
})
export type OrderFilledEvent = typeof OrderFilledEvent.Type

const matches = (value: unknown, pattern: RegExp): boolean => typeof value === "string" && pattern.test(value)

/**
 * The checks of `OrderFilledEvent`, written out for the hot path (a backfill decodes millions of rows,
 * and the Schema's per-field machinery cost more than the fill derivation). Undefined when the row does
 * not pass: decode it with the Schema to learn why. test/domain/goldsky.test.ts holds the two equal.
 */
export const readOrderFilledEvent = (raw: unknown): OrderFilledEvent | undefined => {
  if (typeof raw !== "object" || raw === null) return undefined
  const e = raw as Record<keyof OrderFilledEvent, unknown>
  const ok =
    typeof e.id === "string" &&
    matches(e.transactionHash, HEX32) &&
    matches(e.timestamp, BIG_INT) &&
    matches(e.orderHash, HEX32) &&
    matches(e.maker, ADDRESS) &&
    matches(e.taker, ADDRESS) &&
    matches(e.makerAssetId, BIG_INT) &&
    matches(e.takerAssetId, BIG_INT) &&
    matches(e.makerAmountFilled, BIG_INT) &&
    matches(e.takerAmountFilled, BIG_INT) &&
    matches(e.fee, BIG_INT)
  return ok ? (raw as OrderFilledEvent) : undefined
}

const GraphQLErrors = Schema.optional(Schema.Array(Schema.Struct({ message: Schema.String })))

/**
 * The events of an orderFilledEvents answer, each still unknown so one bad row does not lose the page:
 * "no data" for `data` missing or null, "bad shape" for anything else that is not `{data: {orderFilledEvents: [...]}}`.
 * (GraphQL `errors` are read before this, by graphqlErrorOf.)
 */
export const orderFilledEventsOf = (json: unknown): ReadonlyArray<unknown> | "no data" | "bad shape" => {
  if (typeof json !== "object" || json === null) return "bad shape"
  const data: unknown = (json as { data?: unknown }).data
  if (data === undefined || data === null) return "no data"
  const events: unknown = typeof data === "object" ? (data as { orderFilledEvents?: unknown }).orderFilledEvents : undefined
  return Array.isArray(events) ? events : "bad shape"
}

/** `_meta.block`: how far the subgraph has indexed. graph-node may leave the timestamp null. */
export const SubgraphMetaPage = Schema.Struct({
  data: Schema.optional(
    Schema.NullOr(
      Schema.Struct({
        _meta: Schema.NullOr(
          Schema.Struct({
            block: Schema.Struct({
              number: Schema.Union(Schema.Number, Schema.NumberFromString),
              timestamp: Schema.optional(Schema.NullOr(Schema.Union(Schema.Number, Schema.NumberFromString)))
            })
          })
        )
      })
    )
  ),
  errors: GraphQLErrors
})

// graph-node's wording for overload and statement timeouts; anything else (a bad field, `first` too big) is final.
const TRANSIENT_GRAPHQL = /timed? ?out|timeout|too many|overload|unavailable|try again|temporar|connection|rate.?limit|busy|bad gateway/i

/** The first GraphQL error of an answer, if any, and whether asking again may help. */
export const graphqlErrorOf = (json: unknown): { readonly message: string; readonly transient: boolean } | undefined => {
  if (json === null || typeof json !== "object" || !("errors" in json) || !Array.isArray(json.errors) || json.errors.length === 0) return undefined
  const first: unknown = json.errors[0]
  const raw = first !== null && typeof first === "object" && "message" in first ? String(first.message) : JSON.stringify(first)
  const message = raw.replace(/\s+/g, " ").slice(0, 200)
  return { message, transient: TRANSIENT_GRAPHQL.test(message) }
}

export const GOLDSKY_PAGE_SIZE = 1000

const FIELDS = "id transactionHash timestamp orderHash maker taker makerAssetId takerAssetId makerAmountFilled takerAmountFilled fee"

export const SUBGRAPH_META_QUERY = "{ _meta { block { number timestamp } } }"

export interface GraphQLRequest {
  readonly query: string
  readonly variables: Record<string, unknown>
}

/**
 * One page of a market's fills, by the sticky (timestamp, id) cursor: normally `timestamp_gt: ts`
 * ordered by timestamp; inside a timestamp `{timestamp: ts, id_gt: stickyId}` ordered by id.
 * graph-node rejects column filters next to `or` at the same level, so the cursor filter is repeated
 * inside both branches (maker side, taker side). Values travel as variables, never spliced into the text.
 */
export const orderFilledQuery = (tokenIds: ReadonlyArray<string>, cursor: FillCursor, first = GOLDSKY_PAGE_SIZE): GraphQLRequest =>
  cursor.stickyId !== undefined
    ? {
        query:
          "query fills($tokens: [String!]!, $ts: BigInt!, $id: ID!, $first: Int!) { orderFilledEvents(first: $first, orderBy: id, " +
          "orderDirection: asc, where: {or: [{timestamp: $ts, id_gt: $id, makerAssetId_in: $tokens}, " +
          `{timestamp: $ts, id_gt: $id, takerAssetId_in: $tokens}]}) { ${FIELDS} } }`,
        variables: { tokens: tokenIds, ts: cursor.ts, id: cursor.stickyId, first }
      }
    : {
        query:
          "query fills($tokens: [String!]!, $ts: BigInt!, $first: Int!) { orderFilledEvents(first: $first, orderBy: timestamp, " +
          "orderDirection: asc, where: {or: [{timestamp_gt: $ts, makerAssetId_in: $tokens}, " +
          `{timestamp_gt: $ts, takerAssetId_in: $tokens}]}) { ${FIELDS} } }`,
        variables: { tokens: tokenIds, ts: cursor.ts, first }
      }

/**
 * The cursor after a page of `count` rows whose last row with a usable (id, timestamp) is `last`. A full
 * page continues at that row, sticky on its timestamp (graph-node breaks timestamp ties by id, so the rows
 * of that timestamp still to come all have larger ids); a short page in sticky mode moves past that
 * timestamp; a short page otherwise means the unit is complete.
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
