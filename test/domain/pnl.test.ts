import fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { PnlTrade } from "../../src/domain/pnl.js"
import { applyTrade, emptyPosition, foldTrades, omegaOf, payoutsPerShare, settle, summarize } from "../../src/domain/pnl.js"

const buy = (size: number, price: number, fee: { shares?: number; usdc?: number } = {}): PnlTrade => ({
  side: "BUY",
  size,
  usdc: size * price,
  feeShares: fee.shares ?? 0,
  feeUsdc: fee.usdc ?? 0
})
const sell = (size: number, price: number, feeUsdc = 0): PnlTrade => ({ side: "SELL", size, usdc: size * price, feeShares: 0, feeUsdc })

// The README's worked example ("Wallet P&L"): every figure there is checked here.
const WORKED = [buy(101, 0.4, { shares: 1 }), sell(60, 0.55, 0.33), sell(50, 0.7)]

describe("wallet P&L by average cost", () => {
  it("the README's worked example: 20.27 under floor, 27.27 under short, the oversold sell counted", () => {
    const floor = foldTrades(WORKED, "floor")
    expect(floor.cost).toBeCloseTo(40.4, 9)
    expect(floor.proceeds).toBeCloseTo(32.67 + 35, 9)
    expect(floor.feesShares).toBe(1)
    expect(floor.feesUsdc).toBeCloseTo(0.33, 9)
    expect(floor.oversoldSells).toBe(1)
    expect(floor.oversoldVolume).toBeCloseTo(7, 9)
    expect(floor.qty).toBe(0)
    expect(settle(floor, 0).realized).toBeCloseTo(20.27, 9)
    const short = foldTrades(WORKED, "short")
    expect(short.qty).toBeCloseTo(-10, 9)
    expect(settle(short, 0).realized).toBeCloseTo(27.27, 9)
    // Open: the short stays open and unvalued, only the sells so far are realized.
    expect(settle(short, undefined)).toEqual({ realized: short.realized, payout: 0, sharesLeft: short.qty })
    expect(short.realized).toBeCloseTo(8.43 + 11.84, 9)
  })

  it("a V1 buy's fee in shares raises the cost per share; a sell's fee lowers the proceeds", () => {
    const p = applyTrade(emptyPosition(), buy(10, 0.5, { shares: 0.5 }), "floor")
    expect(p.qty).toBeCloseTo(9.5, 12)
    expect(p.avgCost).toBeCloseTo(5 / 9.5, 12)
    applyTrade(p, sell(9.5, 0.6, 0.1), "floor")
    expect(p.realized).toBeCloseTo(9.5 * 0.6 - 0.1 - 5, 12)
  })

  const trade = fc.record({
    side: fc.constantFrom<"BUY" | "SELL">("BUY", "SELL"),
    size: fc.integer({ min: 1, max: 50_000 }).map((n) => n / 100),
    cents: fc.integer({ min: 1, max: 99 }),
    feeBps: fc.constantFrom(0, 10, 100, 200),
    feeInShares: fc.boolean()
  }).map(({ side, size, cents, feeBps, feeInShares }): PnlTrade => {
    const usdc = (size * cents) / 100
    const tokenFee = side === "BUY" && feeInShares
    return { side, size, usdc, feeShares: tokenFee ? (size * feeBps) / 10_000 : 0, feeUsdc: tokenFee ? 0 : (usdc * feeBps) / 10_000 }
  })
  const payout = fc.constantFrom(0, 0.5, 1)

  it("under short, a settled position's P&L is its cash flow plus the payout of its net shares, whatever the order", () => {
    fc.assert(
      fc.property(fc.array(trade, { maxLength: 40 }), payout, (trades, pay) => {
        const p = foldTrades(trades, "short")
        const cash = trades.reduce((c, t) => c + (t.side === "BUY" ? -(t.usdc + t.feeUsdc) : t.usdc - t.feeUsdc), 0)
        const shares = trades.reduce((q, t) => q + (t.side === "BUY" ? t.size - t.feeShares : -t.size), 0)
        expect(settle(p, pay).realized).toBeCloseTo(cash + pay * shares, 6)
        expect(settle(p, pay).payout).toBeCloseTo(pay * shares, 6)
      })
    )
  })

  it("under floor a position never goes below zero, and with no sell beyond the holding both rules agree", () => {
    fc.assert(
      fc.property(fc.array(trade, { maxLength: 40 }), payout, (trades, pay) => {
        const floor = foldTrades(trades, "floor")
        expect(floor.qty).toBeGreaterThanOrEqual(0)
        const short = foldTrades(trades, "short")
        if (floor.oversoldSells === 0) expect(settle(floor, pay).realized).toBeCloseTo(settle(short, pay).realized, 6)
        else expect(short.oversoldSells).toBeGreaterThan(0)
      })
    )
  })

  it("payouts: on-chain numerators first, Gamma's prices only once resolved, open otherwise", () => {
    expect(payoutsPerShare({ numerators: [1, 1], denominator: 2 }, { status: "resolved", outcomePrices: [1, 0] })).toEqual([0.5, 0.5])
    expect(payoutsPerShare(undefined, { status: "resolved", outcomePrices: [0, 1] })).toEqual([0, 1])
    expect(payoutsPerShare(undefined, { status: "proposed", outcomePrices: [0.3, 0.7] })).toBeUndefined()
    expect(payoutsPerShare(undefined, undefined)).toBeUndefined()
  })

  it("summary: win rate and Omega over resolved markets; a wallet with no loss has Omega +Infinity, with neither 0", () => {
    const s = summarize([
      { realized: 30, resolved: true },
      { realized: -10, resolved: true },
      { realized: -5, resolved: true },
      { realized: 100, resolved: false }
    ])
    expect(s).toMatchObject({ pnl: 115, resolvedMarkets: 3, wins: 1, gains: 30, losses: 15, omega: 2 })
    expect(s.winRate).toBeCloseTo(1 / 3, 12)
    expect(omegaOf(5, 0)).toBe(Infinity)
    expect(omegaOf(0, 0)).toBe(0)
  })
})
