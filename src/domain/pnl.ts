/**
 * Wallet P&L by the average-cost method, as pure functions over one wallet's trades of one token in
 * their documented order (timestamp, then block and log index where the source gives one, else fill
 * id). The README's "Wallet P&L" section defines every figure; rebuild.ts feeds these from ClickHouse.
 */

/** What a sell beyond the recorded holding does: `floor` ignores the excess (Polymarket's indexer), `short` goes below zero. */
export type OversellRule = "floor" | "short"
export const OVERSELL_RULES: ReadonlyArray<OversellRule> = ["floor", "short"]

/** One trade in the wallet's perspective; fees in the unit they were paid (one of the two is 0). */
export interface PnlTrade {
  readonly side: "BUY" | "SELL"
  readonly size: number // shares traded (before a token fee)
  readonly usdc: number // collateral at the trade's price (before a collateral fee)
  readonly feeShares: number // V1 BUY: the shares received are size − feeShares
  readonly feeUsdc: number // SELL (and V2 BUY): collateral the wallet gives up on top
}

/** A (wallet, token) position while trades are folded in, and its flows. Mutable: folding millions of trades allocates nothing. */
export interface Position {
  qty: number // shares held; below zero only under `short`
  avgCost: number // per share, fees included (for a short: the average price it was sold at)
  realized: number
  cost: number // collateral paid for buys, fees included
  proceeds: number // collateral received for sells, fees deducted
  feesUsdc: number
  feesShares: number
  volume: number // collateral traded, before fees
  trades: number
  oversoldSells: number // sells that went beyond the holding
  oversoldVolume: number // collateral of the part beyond the holding
}

export const emptyPosition = (): Position => ({
  qty: 0,
  avgCost: 0,
  realized: 0,
  cost: 0,
  proceeds: 0,
  feesUsdc: 0,
  feesShares: 0,
  volume: 0,
  trades: 0,
  oversoldSells: 0,
  oversoldVolume: 0
})

// Below a millionth of a share (the tokens' smallest unit) a position is closed: float dust is not a short.
const DUST = 5e-7

/** Moves `delta` shares (signed) at `price` per share into the position, realizing what closes. */
const move = (p: Position, delta: number, price: number, rule: OversellRule): void => {
  const buying = delta > 0
  let rest = Math.abs(delta)
  if (p.qty !== 0 && p.qty > 0 !== buying) {
    const closing = Math.min(rest, Math.abs(p.qty))
    p.realized += closing * (buying ? p.avgCost - price : price - p.avgCost)
    p.qty += buying ? closing : -closing
    rest -= closing
    if (Math.abs(p.qty) < DUST) p.qty = 0
  }
  if (rest < DUST) return
  if (!buying && p.qty <= 0) {
    p.oversoldSells += 1
    p.oversoldVolume += rest * price
    if (rule === "floor") return
  }
  const held = Math.abs(p.qty)
  p.avgCost = (held * p.avgCost + rest * price) / (held + rest)
  p.qty += buying ? rest : -rest
}

/** Folds one trade in: a buy at (usdc + feeUsdc) / (size − feeShares) per share received, a sell at (usdc − feeUsdc) / size. */
export const applyTrade = (p: Position, t: PnlTrade, rule: OversellRule): Position => {
  p.trades += 1
  p.volume += t.usdc
  p.feesUsdc += t.feeUsdc
  p.feesShares += t.feeShares
  if (t.side === "BUY") {
    const received = t.size - t.feeShares
    const paid = t.usdc + t.feeUsdc
    p.cost += paid
    if (received > 0) move(p, received, paid / received, rule)
    else p.realized -= paid // a fee that ate every share is a loss
  } else {
    const got = t.usdc - t.feeUsdc
    p.proceeds += got
    if (t.size > 0) move(p, -t.size, got / t.size, rule)
  }
  return p
}

/** A token's fate: `payout` per share when resolved (1, 0, or a void's fraction), undefined while open. */
export type Settlement = number | undefined

export interface SettledPosition {
  readonly realized: number
  readonly payout: number // collateral the remaining shares settled for (negative for a short)
  readonly sharesLeft: number // shares still open (0 once resolved)
}

/** At resolution the remaining shares settle at the payout per share; an open market leaves them open, unvalued. */
export const settle = (p: Position, payout: Settlement): SettledPosition =>
  payout === undefined
    ? { realized: p.realized, payout: 0, sharesLeft: p.qty }
    : { realized: p.realized + p.qty * (payout - p.avgCost), payout: p.qty * payout, sharesLeft: 0 }

export const foldTrades = (trades: Iterable<PnlTrade>, rule: OversellRule): Position => {
  const p = emptyPosition()
  for (const t of trades) applyTrade(p, t, rule)
  return p
}

/**
 * Payout per share of each outcome: on-chain numerators / denominator when the condition resolved on
 * chain, else Gamma's outcomePrices once umaResolutionStatus is "resolved"; undefined while open.
 */
export const payoutsPerShare = (
  onchain: { readonly numerators: ReadonlyArray<number>; readonly denominator: number } | undefined,
  gamma: { readonly status: string; readonly outcomePrices: ReadonlyArray<number> } | undefined
): ReadonlyArray<number> | undefined => {
  if (onchain !== undefined && onchain.denominator > 0) return onchain.numerators.map((n) => n / onchain.denominator)
  if (gamma !== undefined && gamma.status === "resolved" && gamma.outcomePrices.length > 0) return gamma.outcomePrices
  return undefined
}

/** One wallet's result in one market (its tokens' positions added up). */
export interface WalletMarketPnl {
  readonly realized: number
  readonly resolved: boolean
}

export interface WalletSummary {
  readonly pnl: number
  readonly resolvedMarkets: number
  readonly wins: number
  readonly winRate: number // wins / resolved markets, 0 without any
  readonly gains: number // sum of the resolved markets' positive P&L
  readonly losses: number // absolute sum of their negative P&L
  readonly omega: number // gains / losses; +Infinity with gains and no loss, 0 with neither
}

/** Omega at threshold 0 over per-market P&L: a wallet that never lost has +Infinity (ranked first), one with no gain and no loss 0. */
export const omegaOf = (gains: number, losses: number): number => (losses > 0 ? gains / losses : gains > 0 ? Infinity : 0)

/** Win rate and Omega count resolved markets only: an open market's realized P&L is not its outcome. */
export const summarize = (markets: Iterable<WalletMarketPnl>): WalletSummary => {
  let pnl = 0
  let resolvedMarkets = 0
  let wins = 0
  let gains = 0
  let losses = 0
  for (const m of markets) {
    pnl += m.realized
    if (!m.resolved) continue
    resolvedMarkets += 1
    if (m.realized > 0) {
      wins += 1
      gains += m.realized
    } else losses -= m.realized
  }
  return { pnl, resolvedMarkets, wins, winRate: resolvedMarkets === 0 ? 0 : wins / resolvedMarkets, gains, losses, omega: omegaOf(gains, losses) }
}
