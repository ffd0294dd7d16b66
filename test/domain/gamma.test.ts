import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { decodeGammaMarket, parseGammaTime, toMarketRows } from "../../src/domain/gamma.js"

import { market, TOKEN_A, TOKEN_B } from "./gammaFixture.js"

const rowsOf = (raw: unknown) => toMarketRows(Either.getOrThrow(decodeGammaMarket(raw)), 100)

describe("Gamma market objects", () => {
  it("parses the JSON-encoded fields, keeps 76/77-digit token ids as strings, and reads the winner", () => {
    const { market: row, tokens } = rowsOf(market)
    expect(row.token_ids).toEqual([TOKEN_A, TOKEN_B])
    expect(row.outcomes).toEqual(["Up", "Down"])
    expect(row).toMatchObject({
      condition_id: "0x" + "a".repeat(64),
      market_id: "2229686",
      event_slug: "btc-updown-5m",
      resolved: 1,
      winning_outcome_index: 0,
      is_void: 0,
      volume: 236.04008700000003,
      closed_time: Date.UTC(2026, 6, 7, 21, 25, 17) / 1000,
      end_date: Date.UTC(2026, 6, 7, 21, 0, 0) / 1000,
      updated_at: 100
    })
    expect(tokens.map((t) => [t.token_id, t.outcome_index, t.outcome, t.winner])).toEqual([
      [TOKEN_A, 0, "Up", 1],
      [TOKEN_B, 1, "Down", 0]
    ])
  })

  it("a 50/50 resolution is a void with no winner; an unresolved market has no winner either", () => {
    expect(rowsOf({ ...market, outcomePrices: '["0.5","0.5"]' }).market).toMatchObject({ resolved: 1, is_void: 1, winning_outcome_index: -1 })
    const open = rowsOf({ ...market, closed: false, umaResolutionStatus: "proposed", outcomePrices: '["0.515","0.485"]' })
    expect(open.market).toMatchObject({ resolved: 0, is_void: 0, winning_outcome_index: -1, closed: 0 })
    expect(open.tokens.map((t) => t.winner)).toEqual([0, 0])
  })

  it("missing optional keys are fine: a resolved market with no volume, dates or events", () => {
    const { volume: _v, closedTime: _c, endDate: _e, events: _ev, questionID: _q, ...bare } = market
    const { market: row } = rowsOf(bare)
    expect(row).toMatchObject({ volume: 0, closed_time: 0, end_date: 0, event_slug: "", question_id: "", resolved: 1 })
  })

  it("a broken object is a one-line reason naming the field", () => {
    const { conditionId: _c, ...noCondition } = market
    const missing = decodeGammaMarket(noCondition)
    expect(Either.isLeft(missing) && missing.left).toMatch(/conditionId/)
    const broken = decodeGammaMarket({ ...market, clobTokenIds: '["123"' })
    expect(Either.isLeft(broken) && broken.left).toMatch(/clobTokenIds/)
    expect(Either.isLeft(broken) && broken.left).not.toMatch(/\n/)
    const numeric = decodeGammaMarket({ ...market, clobTokenIds: JSON.stringify([1.5e76, 2]) })
    expect(Either.isLeft(numeric)).toBe(true)
    const mismatch = decodeGammaMarket({ ...market, outcomes: '["Yes"]' })
    expect(Either.isLeft(mismatch) && mismatch.left).toMatch(/differ in length/)
  })

  it("reads ISO dates and Gamma's non-ISO closedTime", () => {
    expect(parseGammaTime("2026-07-07 21:25:17+00")).toBe(Date.UTC(2026, 6, 7, 21, 25, 17) / 1000)
    expect(parseGammaTime("2026-07-07 23:25:17+02")).toBe(Date.UTC(2026, 6, 7, 21, 25, 17) / 1000)
    expect(parseGammaTime("2026-07-07T21:25:17Z")).toBe(Date.UTC(2026, 6, 7, 21, 25, 17) / 1000)
    expect(parseGammaTime("2026-07-07T21:25:17.123Z")).toBe(Date.UTC(2026, 6, 7, 21, 25, 17) / 1000)
    expect(parseGammaTime(undefined)).toBe(0)
    expect(parseGammaTime("garbage")).toBe(0)
  })
})
