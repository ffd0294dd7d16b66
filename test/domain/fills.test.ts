import { describe, expect, it } from "@effect/vitest"
import { deriveFillV1, deriveFillV2 } from "../../src/domain/fills.js"
import { CONTRACTS } from "../../src/domain/polygon.js"

const TOKEN_A = "4841891773" + "1".repeat(67) // 77 digits
const TOKEN_B = "149432021" + "2".repeat(67) // 76 digits
const CONDITION = "0x" + "a".repeat(64)
const tokens = new Map([
  [TOKEN_A, { conditionId: CONDITION, outcomeIndex: 0 }],
  [TOKEN_B, { conditionId: CONDITION, outcomeIndex: 1 }]
])
const MAKER = "0x00000003" + "0".repeat(32)
const base = {
  txHash: "0x" + "1".repeat(64),
  orderHash: "0x" + "2".repeat(64),
  timestamp: 1_777_000_000,
  maker: MAKER,
  taker: "0x" + "B".repeat(40),
  fee: "0"
}

describe("V1 OrderFilled derivation", () => {
  it("a maker giving collateral is buying the taker asset, at usdc / shares", () => {
    const row = deriveFillV1({ ...base, makerAssetId: "0", takerAssetId: TOKEN_A, makerAmountFilled: "2500000", takerAmountFilled: "5000000" }, tokens, "goldsky", 9)
    expect(row).toMatchObject({
      side: "BUY",
      wallet: MAKER,
      token_id: TOKEN_A,
      condition_id: CONDITION,
      outcome_index: 0,
      price: 0.5,
      size: 5,
      usdc: 2.5,
      is_taker_leg: 0,
      era: "v1",
      log_index: -1,
      block_number: 0,
      exchange: "",
      taker: "0x" + "b".repeat(40),
      ingested_at: 9
    })
    expect(row.fill_id).toBe(`${base.txHash}_${base.orderHash}`)
  })

  it("a maker giving tokens is selling them; taker = an exchange contract flags the taker leg", () => {
    const row = deriveFillV1(
      { ...base, taker: CONTRACTS.negRiskExchangeV1.toUpperCase().replace("0X", "0x"), makerAssetId: TOKEN_B, takerAssetId: "0", makerAmountFilled: "4000000", takerAmountFilled: "1000000" },
      tokens,
      "goldsky",
      0
    )
    expect(row).toMatchObject({ side: "SELL", token_id: TOKEN_B, outcome_index: 1, price: 0.25, size: 4, usdc: 1, is_taker_leg: 1 })
  })

  it("a token missing from the map keeps condition '' and outcome -1 rather than guessing", () => {
    const row = deriveFillV1({ ...base, makerAssetId: "0", takerAssetId: "123", makerAmountFilled: "1", takerAmountFilled: "2" }, tokens, "goldsky", 0)
    expect(row).toMatchObject({ token_id: "123", condition_id: "", outcome_index: -1 })
  })
})

describe("V2 OrderFilled derivation", () => {
  const BUILDER = "0x" + "AB".repeat(32)
  const v2 = { ...base, tokenId: TOKEN_A, logIndex: 7, blockNumber: 84_902_400, exchange: CONTRACTS.ctfExchangeV2, builder: BUILDER, metadata: "0x" + "0".repeat(64) }

  it("side 0: the maker pays pUSD for tokens, stored with the V1 asset-id convention", () => {
    const row = deriveFillV2({ ...v2, side: 0, makerAmountFilled: "3000000", takerAmountFilled: "4000000" }, tokens, "rpc", 0)
    expect(row).toMatchObject({ era: "v2", side: "BUY", maker_asset_id: "0", taker_asset_id: TOKEN_A, price: 0.75, size: 4, usdc: 3, log_index: 7, block_number: 84_902_400 })
  })

  it("side 1: the maker sells tokens; taker = a V2 exchange is the taker leg", () => {
    const row = deriveFillV2({ ...v2, side: 1, taker: CONTRACTS.negRiskExchangeV2, makerAmountFilled: "10000000", takerAmountFilled: "1000000" }, tokens, "rpc", 0)
    expect(row).toMatchObject({ era: "v2", side: "SELL", maker_asset_id: TOKEN_A, taker_asset_id: "0", price: 0.1, size: 10, usdc: 1, is_taker_leg: 1 })
  })

  it("keeps builder and metadata, and records the fee as collateral (the assumed V2 unit) beside the raw value", () => {
    const row = deriveFillV2({ ...v2, side: 0, fee: "25000", makerAmountFilled: "3000000", takerAmountFilled: "4000000" }, tokens, "rpc", 0)
    expect(row).toMatchObject({ builder: "0x" + "ab".repeat(32), fee: "25000", fee_asset: "collateral", fee_usdc: 0.025, fee_shares: 0 })
  })
})

describe("fee asset in V1", () => {
  it("a BUY pays its fee in the tokens it receives, a SELL in collateral (CalculatorHelper.sol)", () => {
    const buy = deriveFillV1({ ...base, fee: "50000", makerAssetId: "0", takerAssetId: TOKEN_A, makerAmountFilled: "2500000", takerAmountFilled: "5000000" }, tokens, "rpc", 0)
    const sell = deriveFillV1({ ...base, fee: "50000", makerAssetId: TOKEN_A, takerAssetId: "0", makerAmountFilled: "5000000", takerAmountFilled: "2500000" }, tokens, "rpc", 0)
    expect(buy).toMatchObject({ fee_asset: "token", fee_shares: 0.05, fee_usdc: 0 })
    expect(sell).toMatchObject({ fee_asset: "collateral", fee_shares: 0, fee_usdc: 0.05 })
  })
})
