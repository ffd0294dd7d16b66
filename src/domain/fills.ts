import { isExchangeAddress } from "./polygon.js"
import type { ClobFillRow, FeeAsset } from "./tables.js"

/** The fields of a V1 OrderFilled, from any source (subgraph or decoded log). */
export interface OrderFilledV1 {
  readonly txHash: string
  readonly orderHash: string
  readonly timestamp: number
  readonly maker: string
  readonly taker: string
  readonly makerAssetId: string
  readonly takerAssetId: string
  readonly makerAmountFilled: string
  readonly takerAmountFilled: string
  readonly fee: string
  readonly logIndex?: number
  readonly blockNumber?: number
  readonly exchange?: string
  /** Later fills of the same order in the same transaction (on chain; the subgraph keeps only the last). */
  readonly later?: number
}

/** token id -> (condition id, outcome index), from market_tokens or a unit's payload. */
export type TokenMap = ReadonlyMap<string, { readonly conditionId: string; readonly outcomeIndex: number }>

/**
 * A fill's identity. The subgraph's id is `txHash_orderHash`, and when one order fills twice in one
 * transaction its entity is saved twice under that id, so the last save (the last fill) is what it
 * serves. On chain every fill is a log: the last fill of an order in a transaction takes the subgraph's
 * id, an earlier one `_n` with n the number of fills of that order after it in the transaction. So the
 * same fill from both sources is one key, and two fills of one order in one transaction are two.
 * Stable: a mined transaction's logs never change.
 */
export const fillId = (txHash: string, orderHash: string, later = 0): string =>
  later > 0 ? `${txHash}_${orderHash}_${later}` : `${txHash}_${orderHash}`

const feeColumns = (feeAsset: FeeAsset, fee: string) => {
  const amount = Number(fee) / 1e6
  return { fee_asset: feeAsset, fee_shares: feeAsset === "token" ? amount : 0, fee_usdc: feeAsset === "collateral" ? amount : 0 }
}

/**
 * Maker-perspective trade from a V1 OrderFilled (polymarket-sources.md §3): asset "0" is collateral;
 * when the maker gives collateral it is buying the taker asset. Both sides have 6 decimals, so
 * price = usdc / shares on the raw amounts. The taker-leg row (taker = an exchange contract) is flagged
 * so volume can be counted once.
 */
export const deriveFillV1 = (e: OrderFilledV1, tokens: TokenMap, source: string, now: number): ClobFillRow => {
  const makerBuys = e.makerAssetId === "0"
  const tokenId = makerBuys ? e.takerAssetId : e.makerAssetId
  const usdcRaw = Number(makerBuys ? e.makerAmountFilled : e.takerAmountFilled)
  const sharesRaw = Number(makerBuys ? e.takerAmountFilled : e.makerAmountFilled)
  const token = tokens.get(tokenId)
  return {
    fill_id: fillId(e.txHash.toLowerCase(), e.orderHash.toLowerCase(), e.later),
    tx_hash: e.txHash.toLowerCase(),
    order_hash: e.orderHash.toLowerCase(),
    log_index: e.logIndex ?? -1,
    block_number: e.blockNumber ?? 0,
    timestamp: e.timestamp,
    exchange: (e.exchange ?? "").toLowerCase(),
    era: "v1",
    maker: e.maker.toLowerCase(),
    taker: e.taker.toLowerCase(),
    maker_asset_id: e.makerAssetId,
    taker_asset_id: e.takerAssetId,
    maker_amount_filled: e.makerAmountFilled,
    taker_amount_filled: e.takerAmountFilled,
    fee: e.fee,
    // V1 charges the fee on what the order receives (CalculatorHelper.sol): tokens on a BUY.
    ...feeColumns(makerBuys ? "token" : "collateral", e.fee),
    builder: "",
    metadata: "",
    wallet: e.maker.toLowerCase(),
    side: makerBuys ? "BUY" : "SELL",
    token_id: tokenId,
    condition_id: token?.conditionId ?? "",
    outcome_index: token?.outcomeIndex ?? -1,
    price: sharesRaw === 0 ? 0 : usdcRaw / sharesRaw,
    size: sharesRaw / 1e6,
    usdc: usdcRaw / 1e6,
    is_taker_leg: isExchangeAddress(e.taker) ? 1 : 0,
    source,
    ingested_at: now
  }
}

/** The fields of a V2 OrderFilled (polymarket-sources.md §4): the maker order's side and its outcome token. */
export interface OrderFilledV2 {
  readonly txHash: string
  readonly orderHash: string
  readonly timestamp: number
  readonly maker: string
  readonly taker: string
  /** 0 = the maker buys (pays pUSD), 1 = the maker sells (gives tokens). */
  readonly side: number
  readonly tokenId: string
  readonly makerAmountFilled: string
  readonly takerAmountFilled: string
  readonly fee: string
  readonly logIndex: number
  readonly blockNumber: number
  readonly exchange: string
  readonly builder: string
  readonly metadata: string
  readonly later?: number
}

/**
 * Maker-perspective trade from a V2 OrderFilled. The layout names the side and the token instead of two
 * asset ids; the row keeps the V1 shape (asset "0" is collateral) so both eras query alike. The fee's
 * unit is assumed to be collateral (the one observed V2 fill matched it; unconfirmed): the raw value
 * is kept beside it.
 */
export const deriveFillV2 = (e: OrderFilledV2, tokens: TokenMap, source: string, now: number): ClobFillRow => {
  const makerBuys = e.side === 0
  const v1Shape: OrderFilledV1 = {
    ...e,
    makerAssetId: makerBuys ? "0" : e.tokenId,
    takerAssetId: makerBuys ? e.tokenId : "0"
  }
  return {
    ...deriveFillV1(v1Shape, tokens, source, now),
    era: "v2",
    ...feeColumns("collateral", e.fee),
    builder: e.builder.toLowerCase(),
    metadata: e.metadata.toLowerCase()
  }
}
