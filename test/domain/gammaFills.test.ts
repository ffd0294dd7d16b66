import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { deriveFillV1 } from "../../src/domain/fills.js"
import { decodeGammaMarket, parseGammaTime, toMarketRows } from "../../src/domain/gamma.js"
import { nextFillCursor, orderFilledQuery } from "../../src/domain/goldsky.js"
import { CONTRACTS } from "../../src/domain/polygon.js"

const TOKEN_A = "4841891773" + "1".repeat(67) // 77 digits
const TOKEN_B = "149432021" + "2".repeat(67) // 76 digits
const market = {
  id: "2229686",
  question: "Up or down?",
  conditionId: "0x" + "a".repeat(64),
  questionID: "0x" + "d".repeat(64),
  slug: "btc-updown",
  clobTokenIds: JSON.stringify([TOKEN_A, TOKEN_B]),
  outcomes: '["Up", "Down"]',
  outcomePrices: '["1", "0"]',
  closed: true,
  umaResolutionStatus: "resolved",
  closedTime: "2026-07-07 21:25:17+00",
  endDate: "2026-07-07T21:00:00Z"
}

describe("Gamma market objects", () => {
  it("parses the JSON-encoded fields, keeps 76/77-digit token ids as strings, and reads the winner", () => {
    const decoded = decodeGammaMarket(market)
    expect(Either.isRight(decoded)).toBe(true)
    const { market: row, tokens } = toMarketRows(Either.getOrThrow(decoded), 100)
    expect(row.token_ids).toEqual([TOKEN_A, TOKEN_B])
    expect(row).toMatchObject({ resolved: 1, winning_outcome_index: 0, is_void: 0, volume: 0, closed_time: 1783459517 })
    expect(tokens.map((t) => [t.token_id, t.outcome_index, t.winner])).toEqual([[TOKEN_A, 0, 1], [TOKEN_B, 1, 0]])
  })

  it("a 50/50 resolution is a void with no winner", () => {
    const { market: row } = toMarketRows(Either.getOrThrow(decodeGammaMarket({ ...market, outcomePrices: '["0.5","0.5"]' })), 0)
    expect(row).toMatchObject({ resolved: 1, is_void: 1, winning_outcome_index: -1 })
  })

  it("missing optional keys are fine; a missing conditionId or broken clobTokenIds is a one-line reason", () => {
    const { volume: _v, ...noVolume } = { ...market, volume: "1" }
    expect(Either.isRight(decodeGammaMarket(noVolume))).toBe(true)
    const { conditionId: _c, ...noCondition } = market
    expect(Either.getLeft(decodeGammaMarket(noCondition))._tag).toBe("Some")
    const broken = decodeGammaMarket({ ...market, clobTokenIds: '["123"' })
    expect(Either.isLeft(broken) && broken.left).toMatch(/clobTokenIds/)
  })

  it("reads ISO dates and Gamma's non-ISO closedTime", () => {
    expect(parseGammaTime("2026-07-07 21:25:17+00")).toBe(Date.UTC(2026, 6, 7, 21, 25, 17) / 1000)
    expect(parseGammaTime("2026-07-07T21:25:17Z")).toBe(Date.UTC(2026, 6, 7, 21, 25, 17) / 1000)
    expect(parseGammaTime(undefined)).toBe(0)
    expect(parseGammaTime("garbage")).toBe(0)
  })
})

describe("V1 OrderFilled derivation", () => {
  const tokens = new Map([[TOKEN_A, { conditionId: market.conditionId, outcomeIndex: 0 }]])
  const base = {
    txHash: "0x" + "1".repeat(64),
    orderHash: "0x" + "2".repeat(64),
    timestamp: 1,
    maker: "0x00000003" + "0".repeat(32),
    taker: "0x" + "b".repeat(40),
    fee: "0"
  }

  it("maker giving collateral is buying the taker asset", () => {
    const row = deriveFillV1({ ...base, makerAssetId: "0", takerAssetId: TOKEN_A, makerAmountFilled: "2500000", takerAmountFilled: "5000000" }, tokens, "goldsky", 0)
    expect(row).toMatchObject({ side: "BUY", token_id: TOKEN_A, price: 0.5, size: 5, usdc: 2.5, outcome_index: 0, is_taker_leg: 0 })
    expect(row.wallet).toBe("0x00000003" + "0".repeat(32))
    expect(row.fill_id).toBe(`${base.txHash}_${base.orderHash}`)
  })

  it("maker giving tokens is selling; taker = exchange flags the taker leg; unknown tokens keep -1", () => {
    const row = deriveFillV1(
      { ...base, taker: CONTRACTS.ctfExchangeV1, makerAssetId: TOKEN_B, takerAssetId: "0", makerAmountFilled: "4000000", takerAmountFilled: "1000000" },
      tokens,
      "goldsky",
      0
    )
    expect(row).toMatchObject({ side: "SELL", token_id: TOKEN_B, price: 0.25, is_taker_leg: 1, condition_id: "", outcome_index: -1 })
  })
})

describe("the sticky (timestamp, id) cursor", () => {
  it("a full page sticks on its last timestamp, then moves past it when that timestamp is exhausted", () => {
    const full = nextFillCursor({ ts: "10" }, 1000, { id: "0xab_cd", timestamp: "17" })
    expect(full).toEqual({ ts: "17", stickyId: "0xab_cd" })
    expect(orderFilledQuery(["1"], full!)).toContain('{timestamp: "17", id_gt: "0xab_cd"')
    expect(nextFillCursor(full!, 3, { id: "0xzz", timestamp: "17" })).toEqual({ ts: "17" })
    expect(orderFilledQuery(["1"], { ts: "17" })).toContain('timestamp_gt: "17"')
    expect(nextFillCursor({ ts: "17" }, 999, { id: "0x1", timestamp: "20" })).toBeUndefined()
  })
})
