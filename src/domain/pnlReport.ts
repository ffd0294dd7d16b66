import { omegaOf } from "./pnl.js"

/** What `leaderboard` prints per wallet (from wallet_leaderboard). */
export interface LeaderboardEntry {
  readonly wallet: string
  readonly pnl: number
  readonly markets: number
  readonly resolved_markets: number
  readonly win_rate: number
  readonly gains: number
  readonly losses: number
  readonly volume: number
  readonly fees: number
}

/** What `pnl wallet` prints per market (from wallet_market_pnl). */
export interface WalletMarketEntry {
  readonly condition_id: string
  readonly question: string
  readonly realized_pnl: number
  readonly cost: number
  readonly proceeds: number
  readonly fees_usdc: number
  readonly fees_shares: number
  readonly payout: number
  readonly shares_left: number
  readonly resolved: number
  readonly trades: number
  readonly oversold_sells: number
}

export type ReportFormat = "table" | "csv" | "json"
export const REPORT_FORMATS: ReadonlyArray<ReportFormat> = ["table", "csv", "json"]

const usd = (x: number) => x.toFixed(2)
/** Omega as text: "inf" for a wallet that never lost (JSON has no Infinity). */
const omegaText = (e: LeaderboardEntry): string => {
  const o = omegaOf(e.gains, e.losses)
  return o === Infinity ? "inf" : o.toFixed(3)
}

const render = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>, format: "table" | "csv"): string => {
  if (format === "csv") return [header, ...rows].map((r) => r.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(",")).join("\n")
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  // Text columns (the first) left-aligned, figures right-aligned.
  const line = (r: ReadonlyArray<string>) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd()
  return [line(header), ...rows.map(line)].join("\n")
}

export const formatLeaderboard = (entries: ReadonlyArray<LeaderboardEntry>, format: ReportFormat): string => {
  if (format === "json") {
    return JSON.stringify(
      entries.map((e, i) => ({
        rank: i + 1,
        wallet: e.wallet,
        pnl: e.pnl,
        win_rate: e.win_rate,
        omega: omegaText(e) === "inf" ? "inf" : omegaOf(e.gains, e.losses),
        resolved_markets: e.resolved_markets,
        markets: e.markets,
        volume: e.volume,
        fees: e.fees
      })),
      null,
      2
    )
  }
  const header = ["wallet", "rank", "pnl_usdc", "win_rate", "omega", "resolved", "markets", "volume_usdc", "fees_usdc"]
  const rows = entries.map((e, i) => [
    e.wallet,
    String(i + 1),
    usd(e.pnl),
    e.win_rate.toFixed(3),
    omegaText(e),
    String(e.resolved_markets),
    String(e.markets),
    usd(e.volume),
    usd(e.fees)
  ])
  return render(header, rows, format)
}

export const formatWalletMarkets = (wallet: string, entries: ReadonlyArray<WalletMarketEntry>, format: ReportFormat): string => {
  if (format === "json") return JSON.stringify({ wallet, markets: entries }, null, 2)
  const header = ["market", "status", "trades", "cost", "proceeds", "fees_usdc", "fees_shares", "payout", "shares_left", "pnl", "oversold_sells"]
  const rows = entries.map((e) => [
    e.question === "" ? e.condition_id : `${e.question.slice(0, 48)} (${e.condition_id.slice(0, 10)}…)`,
    e.resolved === 1 ? "resolved" : "open",
    String(e.trades),
    usd(e.cost),
    usd(e.proceeds),
    usd(e.fees_usdc),
    e.fees_shares.toFixed(4),
    usd(e.payout),
    e.shares_left.toFixed(4),
    usd(e.realized_pnl),
    String(e.oversold_sells)
  ])
  const total = entries.reduce((s, e) => s + e.realized_pnl, 0)
  const body = render(header, rows, format)
  return format === "csv" ? body : `${body}\n\n${wallet}: ${entries.length} markets, realized P&L ${usd(total)} USDC`
}
