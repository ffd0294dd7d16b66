import { Effect } from "effect"
import type { OversellRule, Position, Settlement } from "../domain/pnl.js"
import { applyTrade, emptyPosition, payoutsPerShare, settle } from "../domain/pnl.js"
import { Pnl, PNL_TABLES } from "../domain/statements.js"
import { ClickHouse } from "../services/ClickHouse.js"

/**
 * `polybackfill pnl rebuild`: ClickHouse sorts each bucket of wallets' trades into (wallet, token)
 * streams in the documented order; average cost, being order-dependent, is folded here (18.16 has no
 * window functions nor arrayFold); per-wallet aggregation and every gate run in SQL. Everything lands in
 * `_staging` tables, swapped in by one RENAME only when the gate passes.
 */

export interface RebuildOptions {
  readonly oversell: OversellRule
  /** Share of checked volume whose side must agree with the transfers (the runbook's 95%). */
  readonly directionThreshold: number
  /** Trades per bucket read at once (memory: about 1 KB each while folded). */
  readonly bucketTrades: number
  /** Epoch seconds, stamped on the rows. */
  readonly now: number
}

export const DEFAULT_REBUILD: Omit<RebuildOptions, "now"> = { oversell: "floor", directionThreshold: 0.95, bucketTrades: 200_000 }

export interface Gate {
  readonly name: "duplicates" | "one-hot" | "direction" | "conservation"
  readonly passed: boolean
  readonly value: number
  readonly threshold: number
  readonly detail: string
  /** Up to ten offending rows, one line each. */
  readonly offenders: ReadonlyArray<string>
}

export interface Snapshot {
  readonly oversell: OversellRule
  readonly swapped: boolean
  readonly trades: number
  readonly markets: number
  readonly marketsResolved: number
  readonly wallets: number
  readonly totalPnl: number
  readonly volume: number
  readonly fees: number
  readonly oversold: { readonly sells: number; readonly volume: number }
  /** Wallets per win-rate decile (index 0: [0, 0.1) … 9: [0.9, 1]); wallets with no resolved market apart. */
  readonly winRateDeciles: ReadonlyArray<number>
  readonly walletsWithoutResolvedMarket: number
  readonly gates: ReadonlyArray<Gate>
}

interface TokenFate {
  readonly conditionId: string
  readonly payout: Settlement
}

/** What each token settles at: its condition's payout for its outcome, undefined while open or unknown. */
const loadFates = Effect.gen(function* () {
  const ch = yield* ClickHouse
  const onchain = new Map((yield* ch.query(Pnl.onchainPayouts.sql(), Pnl.onchainPayouts.rows)).map((r) => [r.condition_id, r]))
  const gamma = new Map((yield* ch.query(Pnl.gammaPayouts.sql(), Pnl.gammaPayouts.rows)).map((r) => [r.condition_id, r]))
  const fates = new Map<string, TokenFate>()
  for (const t of yield* ch.query(Pnl.tokens.sql(), Pnl.tokens.rows)) {
    const chain = onchain.get(t.condition_id)
    const uma = gamma.get(t.condition_id)
    const payouts = payoutsPerShare(
      chain && { numerators: chain.numerators, denominator: chain.denominator },
      uma && { status: uma.resolution_status, outcomePrices: uma.outcome_prices }
    )
    fates.set(t.token_id, { conditionId: t.condition_id, payout: payouts?.[t.outcome_index] })
  }
  return fates
})

/** A wallet's figures in one market, its tokens added up. */
interface MarketAcc {
  realized: number
  pnlShort: number
  cost: number
  proceeds: number
  feesUsdc: number
  feesShares: number
  feeValue: number
  payout: number
  sharesLeft: number
  resolved: boolean
  volume: number
  trades: number
  oversoldSells: number
  oversoldVolume: number
}

const addToken = (acc: MarketAcc, chosen: Position, short: Position, payout: Settlement): void => {
  const s = settle(chosen, payout)
  acc.realized += s.realized
  acc.pnlShort += settle(short, payout).realized
  acc.cost += chosen.cost
  acc.proceeds += chosen.proceeds
  acc.feesUsdc += chosen.feesUsdc
  acc.feesShares += chosen.feesShares
  acc.feeValue += chosen.feesUsdc + chosen.feesShares * (payout ?? 0)
  acc.payout += s.payout
  acc.sharesLeft += s.sharesLeft
  acc.resolved ||= payout !== undefined
  acc.volume += chosen.volume
  acc.trades += chosen.trades
  acc.oversoldSells += chosen.oversoldSells
  acc.oversoldVolume += chosen.oversoldVolume
}

const emptyAcc = (): MarketAcc => ({
  realized: 0,
  pnlShort: 0,
  cost: 0,
  proceeds: 0,
  feesUsdc: 0,
  feesShares: 0,
  feeValue: 0,
  payout: 0,
  sharesLeft: 0,
  resolved: false,
  volume: 0,
  trades: 0,
  oversoldSells: 0,
  oversoldVolume: 0
})

const INSERT_BATCH = 50_000

/** Folds one bucket of wallets into wallet_market_pnl_staging; returns the trades read. */
const foldBucket = (bucket: number, fates: ReadonlyMap<string, TokenFate>, options: RebuildOptions) =>
  Effect.gen(function* () {
    const ch = yield* ClickHouse
    const trades = yield* ch.query(Pnl.trades.sql(bucket), Pnl.trades.rows)
    const markets = new Map<string, MarketAcc>()
    let i = 0
    while (i < trades.length) {
      const { wallet, token_id: token } = trades[i]!
      const chosen = emptyPosition()
      const short = emptyPosition()
      const conditionId = fates.get(token)?.conditionId ?? trades[i]!.condition_id
      for (; i < trades.length && trades[i]!.wallet === wallet && trades[i]!.token_id === token; i++) {
        const r = trades[i]!
        const t = { side: r.side === "BUY" ? "BUY" : "SELL", size: r.size, usdc: r.usdc, feeShares: r.fee_shares, feeUsdc: r.fee_usdc } as const
        applyTrade(chosen, t, options.oversell)
        applyTrade(short, t, "short")
      }
      const key = `${wallet}\u0000${conditionId}`
      const acc = markets.get(key) ?? emptyAcc()
      addToken(acc, chosen, short, fates.get(token)?.payout)
      markets.set(key, acc)
    }
    const rows = [...markets].map(([key, a]) => {
      const [wallet, condition_id] = key.split("\u0000") as [string, string]
      return {
        wallet,
        condition_id,
        realized_pnl: a.realized,
        pnl_short: a.pnlShort,
        cost: a.cost,
        proceeds: a.proceeds,
        fees_usdc: a.feesUsdc,
        fees_shares: a.feesShares,
        fee_value: a.feeValue,
        payout: a.payout,
        shares_left: a.sharesLeft,
        resolved: a.resolved ? 1 : 0,
        volume: a.volume,
        trades: a.trades,
        oversold_sells: a.oversoldSells,
        oversold_volume: a.oversoldVolume,
        updated_at: options.now
      }
    })
    for (let k = 0; k < rows.length; k += INSERT_BATCH) yield* ch.insert("wallet_market_pnl_staging", rows.slice(k, k + INSERT_BATCH))
    return trades.length
  })

const fmt = (x: number) => (Math.round(x * 1e6) / 1e6).toString()

/** The hard gate, on the inputs (after FINAL) and the staged result. */
const runGate = (directionThreshold: number) =>
  Effect.gen(function* () {
    const ch = yield* ClickHouse
    const dups = yield* ch.query(Pnl.duplicateFills.sql(), Pnl.duplicateFills.rows)
    const chain = yield* ch.query(Pnl.notOneHot.sql(), Pnl.notOneHot.rows)
    const gamma = yield* ch.query(Pnl.gammaNotOneHot.sql(), Pnl.gammaNotOneHot.rows)
    const [share] = yield* ch.query(Pnl.directionShare.sql(), Pnl.directionShare.rows)
    const agreeing = share === undefined || share.volume === 0 ? 1 : share.agreeing / share.volume
    const directionOk = agreeing >= directionThreshold
    const wrongWay = directionOk ? [] : yield* ch.query(Pnl.directionOffenders.sql(), Pnl.directionOffenders.rows)
    const [cons] = yield* ch.query(Pnl.conservationCount.sql(), Pnl.conservationCount.rows)
    const failing = cons?.failing ?? 0
    const gaps = failing === 0 ? [] : yield* ch.query(Pnl.conservation.sql(), Pnl.conservation.rows)
    const oneHot = [...chain.map((r) => ({ ...r, from: "market_resolutions" })), ...gamma.map((r) => ({ ...r, from: "markets (Gamma outcomePrices)" }))]
    const gates: ReadonlyArray<Gate> = [
      {
        name: "duplicates",
        passed: dups.length === 0,
        value: dups.length,
        threshold: 0,
        detail: "fill ids held by more than one clob_fills row after FINAL",
        offenders: dups.slice(0, 10).map((d) => `fill_id ${d.key}: ${d.n} rows`)
      },
      {
        name: "one-hot",
        passed: oneHot.length === 0,
        value: oneHot.length,
        threshold: 0,
        detail: "binary resolutions that are neither one-hot nor an equal-split void",
        offenders: oneHot.slice(0, 10).map((r) => `condition ${r.condition_id}: payouts [${r.payouts}] in ${r.from}`)
      },
      {
        name: "direction",
        passed: directionOk,
        value: agreeing,
        threshold: directionThreshold,
        detail:
          share === undefined || share.fills === 0
            ? "no fill has its transaction's transfers loaded: nothing to check"
            : `share of the volume of ${share.fills} fills with transfers whose side agrees with the wallet's token and collateral flows`,
        offenders: wrongWay.map((r) => `fill ${r.fill_id}: wallet ${r.wallet} ${r.side} ${fmt(r.usdc)} USDC, net token ${r.token_net}, net collateral ${r.collateral_net}`)
      },
      {
        name: "conservation",
        passed: failing === 0,
        value: failing,
        threshold: 0,
        detail: `resolved markets (of ${cons?.markets ?? 0}) whose P&L under short plus fees paid is off zero by more than a cent`,
        offenders: gaps.map((g) => `condition ${g.condition_id}: P&L ${fmt(g.pnl)} + fees ${fmt(g.fees)} = ${fmt(g.gap)}`)
      }
    ]
    return gates
  })

/**
 * Computes into staging, gates, and swaps only when every gate passes. Returns the snapshot (whether or
 * not it swapped); the caller writes it and sets the exit code.
 */
export const rebuildPnl = (options: RebuildOptions, say: (line: string) => Effect.Effect<void> = () => Effect.void) =>
  Effect.gen(function* () {
    const ch = yield* ClickHouse
    for (const s of [Pnl.resetMarketStaging, Pnl.createMarketStaging, Pnl.resetLeaderboardStaging, Pnl.createLeaderboardStaging]) yield* ch.command(s.sql())
    const fates = yield* loadFates
    const [count] = yield* ch.query(Pnl.tradeCount.sql(), Pnl.tradeCount.rows)
    const buckets = Math.max(1, Math.ceil((count?.n ?? 0) / options.bucketTrades))
    let trades = 0
    for (const s of [Pnl.resetTradesStaging, Pnl.createTradesStaging]) yield* ch.command(s.sql())
    yield* ch.command(Pnl.fillTradesStaging.sql(buckets))
    yield* say(`sorted the trades into ${buckets} bucket${buckets === 1 ? "" : "s"} of wallets`)
    for (let b = 0; b < buckets; b++) {
      trades += yield* foldBucket(b, fates, options)
      if (buckets > 1) yield* say(`folded bucket ${b + 1}/${buckets} (${trades} trades)`)
    }
    yield* ch.command(Pnl.resetTradesStaging.sql())
    yield* ch.command(Pnl.summarize.sql(options.now))
    const gates = yield* runGate(options.directionThreshold)
    const swapped = gates.every((g) => g.passed)
    const [totals] = yield* ch.query(Pnl.stagedTotals.sql(), Pnl.stagedTotals.rows)
    const [markets] = yield* ch.query(Pnl.stagedMarkets.sql(), Pnl.stagedMarkets.rows)
    const deciles = yield* ch.query(Pnl.stagedDeciles.sql(), Pnl.stagedDeciles.rows)
    if (swapped) {
      yield* ch.command(Pnl.swap.sql())
      for (const t of PNL_TABLES) yield* ch.command(Pnl.dropOld.sql(t))
    }
    const winRateDeciles = Array.from({ length: 10 }, (_, d) => deciles.find((r) => r.decile === d)?.wallets ?? 0)
    const snapshot: Snapshot = {
      oversell: options.oversell,
      swapped,
      trades,
      markets: markets?.markets ?? 0,
      marketsResolved: markets?.resolved ?? 0,
      wallets: totals?.wallets ?? 0,
      totalPnl: totals?.pnl ?? 0,
      volume: totals?.volume ?? 0,
      fees: totals?.fees ?? 0,
      oversold: { sells: markets?.oversold_sells ?? 0, volume: markets?.oversold_volume ?? 0 },
      winRateDeciles,
      walletsWithoutResolvedMarket: deciles.find((r) => r.decile === -1)?.wallets ?? 0,
      gates
    }
    return snapshot
  })
