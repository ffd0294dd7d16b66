import { Either, Schema } from "effect"
import { decodeReason } from "./decodeReason.js"
import { Address, Bytes32, Uint256 } from "./ids.js"
import type { ExternalTradeRow } from "./tables.js"

/**
 * The Data-API's `/activity` (v1: camelCase, bare array) and `/v2/activity` (snake_case, cursor
 * envelope) rows, polymarket-sources.md §1, as the trades job stores them in external_trades_raw.
 */

/** `data_source` of every external trade, as the runbook's queries expect it in the union view. */
export const DATA_API_SOURCE = "polymarket_data_api"

/** outcomeIndex 999: the Data-API does not know the outcome (ghost markets); stored as -1, like every unknown index. */
export const UNKNOWN_OUTCOME = 999

/**
 * A trade's key: transaction, wallet, token and side. One `/activity` TRADE row is one wallet's order
 * leg in one transaction; a wallet's legs in one transaction differ in token or side (one order per
 * token and side is matched per transaction), so the key is unique per trade and stable across reruns.
 * The timestamp is no key: two trades of one wallet in one second differ by transaction
 * (real-payloads.md 3.2). The same definition as the simulator's ground truth (`externalTradeId`).
 */
export const externalTradeId = (txHash: string, wallet: string, tokenId: string, side: string): string =>
  `${txHash}_${wallet}_${tokenId}_${side}`

const Side = Schema.Literal("BUY", "SELL")
const Text = Schema.optionalWith(Schema.String, { default: () => "" })

/** A v1 `/activity` TRADE row: only the fields the job stores are checked. */
export const ActivityTradeV1 = Schema.Struct({
  proxyWallet: Address,
  timestamp: Schema.Int,
  conditionId: Bytes32,
  type: Schema.Literal("TRADE"),
  size: Schema.Number,
  usdcSize: Schema.Number,
  transactionHash: Bytes32,
  price: Schema.Number,
  asset: Uint256,
  side: Side,
  outcomeIndex: Schema.Int,
  outcome: Text,
  title: Text,
  slug: Text
})

/** The same row from `/v2/activity`. */
export const ActivityTradeV2 = Schema.Struct({
  proxy_wallet: Address,
  timestamp: Schema.Int,
  condition_id: Bytes32,
  type: Schema.Literal("TRADE"),
  size: Schema.Number,
  usdc_size: Schema.Number,
  transaction_hash: Bytes32,
  price: Schema.Number,
  token_id: Uint256,
  side: Side,
  outcome_index: Schema.Int,
  outcome: Text,
  title: Text,
  slug: Text
})

export type DataApiVersion = "v1" | "v2"

interface Trade {
  readonly wallet: string
  readonly timestamp: number
  readonly conditionId: string
  readonly size: number
  readonly usdc: number
  readonly txHash: string
  readonly price: number
  readonly tokenId: string
  readonly side: "BUY" | "SELL"
  readonly outcomeIndex: number
  readonly outcome: string
  readonly title: string
  readonly slug: string
}

const decodeV1 = Schema.decodeUnknownEither(ActivityTradeV1)
const decodeV2 = Schema.decodeUnknownEither(ActivityTradeV2)

const tradeOf = (raw: unknown, api: DataApiVersion): Either.Either<Trade, string> =>
  api === "v1"
    ? Either.map(Either.mapLeft(decodeV1(raw), decodeReason), (r) => ({
        wallet: r.proxyWallet,
        timestamp: r.timestamp,
        conditionId: r.conditionId,
        size: r.size,
        usdc: r.usdcSize,
        txHash: r.transactionHash,
        price: r.price,
        tokenId: r.asset,
        side: r.side,
        outcomeIndex: r.outcomeIndex,
        outcome: r.outcome,
        title: r.title,
        slug: r.slug
      }))
    : Either.map(Either.mapLeft(decodeV2(raw), decodeReason), (r) => ({
        wallet: r.proxy_wallet,
        timestamp: r.timestamp,
        conditionId: r.condition_id,
        size: r.size,
        usdc: r.usdc_size,
        txHash: r.transaction_hash,
        price: r.price,
        tokenId: r.token_id,
        side: r.side,
        outcomeIndex: r.outcome_index,
        outcome: r.outcome,
        title: r.title,
        slug: r.slug
      }))

export type ExternalTrade = Omit<ExternalTradeRow, "ingested_at">

/**
 * The row of one trade. The price is the USDC paid per share (usdcSize / size): the API's `price` is
 * rounded to the cent, the amounts are not (usdcSize = size × price on the real rows of
 * real-payloads.md 3.2, so both agree there).
 */
export const toExternalTrade = (t: Trade, api: DataApiVersion): ExternalTrade => ({
  external_trade_id: externalTradeId(t.txHash, t.wallet, t.tokenId, t.side),
  wallet: t.wallet,
  side: t.side,
  token_id: t.tokenId,
  condition_id: t.conditionId,
  outcome_index: t.outcomeIndex === UNKNOWN_OUTCOME ? -1 : t.outcomeIndex,
  outcome: t.outcome,
  price: t.size > 0 ? t.usdc / t.size : t.price,
  size: t.size,
  usdc: t.usdc,
  timestamp: t.timestamp,
  tx_hash: t.txHash,
  title: t.title,
  slug: t.slug,
  source: api === "v1" ? "data-api-v1" : "data-api-v2"
})

/** What one page of rows holds: trades, the other activity types counted by type, and rows that did not decode. */
export interface ActivityRows {
  readonly trades: ReadonlyArray<ExternalTrade>
  /** Non-TRADE rows (REDEEM, SPLIT, ...): counted, not stored as trades. */
  readonly skipped: number
  readonly malformed: ReadonlyArray<{ readonly reason: string; readonly raw: unknown }>
  /** Timestamps of every row in the order received (trades, skipped and malformed alike when readable): paging follows them. */
  readonly timestamps: ReadonlyArray<number>
}

const typeOf = (raw: unknown): unknown => (raw !== null && typeof raw === "object" && "type" in raw ? raw.type : undefined)
const timestampOf = (raw: unknown): number | undefined => {
  const ts = raw !== null && typeof raw === "object" && "timestamp" in raw ? raw.timestamp : undefined
  return typeof ts === "number" && Number.isSafeInteger(ts) ? ts : undefined
}

export const readActivityRows = (rows: ReadonlyArray<unknown>, api: DataApiVersion): ActivityRows => {
  const trades: Array<ExternalTrade> = []
  const malformed: Array<{ reason: string; raw: unknown }> = []
  const timestamps: Array<number> = []
  let skipped = 0
  for (const raw of rows) {
    const ts = timestampOf(raw)
    if (ts !== undefined) timestamps.push(ts)
    const type = typeOf(raw)
    if (typeof type === "string" && type !== "TRADE") {
      skipped++
      continue
    }
    const trade = tradeOf(raw, api)
    if (Either.isLeft(trade)) malformed.push({ reason: `malformed ${api} activity row: ${trade.left}`, raw })
    else trades.push(toExternalTrade(trade.right, api))
  }
  return { trades, skipped, malformed, timestamps }
}
