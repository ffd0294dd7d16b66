import { DAY_S, dayOf } from "./chainDays.js"
import { DATA_API_SOURCE } from "./dataApi.js"

/** The union view's two data sources, in the order every table shows them. */
export const DATA_SOURCES = ["clob_fills", DATA_API_SOURCE] as const

/** Trades of one UTC day in pm_trades_with_external, per data source. */
export interface GrowthDay {
  readonly day: string
  readonly trades: Readonly<Record<string, number>>
  readonly total: number
}

export interface Growth {
  readonly days: ReadonlyArray<GrowthDay>
  /** Days without any trade after the window's first day with trades: a hole in the history loaded. */
  readonly empty: ReadonlyArray<string>
}

/**
 * The last `days` days up to the newest trade's day (not today: a backfill of old history still shows
 * its last days, and the newest day says how far it got). A source without trades on a day is normal
 * (external trades are few); a day without any trade between the first day with trades and the newest
 * is a hole, which fails `validate`.
 */
export const growthOf = (perDay: ReadonlyArray<{ readonly day: number; readonly data_source: string; readonly trades: number }>, days: number): Growth => {
  if (perDay.length === 0) return { days: [], empty: [] }
  const newest = perDay.reduce((n, r) => Math.max(n, r.day), 0)
  const out: Array<GrowthDay> = []
  for (let d = newest - days + 1; d <= newest; d++) {
    const trades: Record<string, number> = Object.fromEntries(DATA_SOURCES.map((s) => [s, 0]))
    for (const r of perDay) if (r.day === d) trades[r.data_source] = (trades[r.data_source] ?? 0) + r.trades
    out.push({ day: dayOf(d * DAY_S), trades, total: Object.values(trades).reduce((n, t) => n + t, 0) })
  }
  const first = out.findIndex((d) => d.total > 0)
  return { days: out, empty: out.slice(first).filter((d) => d.total === 0).map((d) => d.day) }
}

/** The gate's result line. */
export const growthResult = (g: Growth, days: number): string => {
  if (g.days.length === 0) return "no trades in pm_trades_with_external"
  const span = `last ${days} days to ${g.days[g.days.length - 1]!.day} (the newest trade's day)`
  return g.empty.length === 0 ? `${span}: no empty day` : `${span}: ${g.empty.length} day${g.empty.length === 1 ? "" : "s"} without trades: ${g.empty.join(", ")}`
}

/** Rows of cells as a table: `markdown` for the report, else aligned columns for the terminal. */
export const formatTable = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string | number>>, markdown: boolean): ReadonlyArray<string> => {
  const cells = [header, ...rows.map((r) => r.map(String))]
  if (markdown) {
    const line = (r: ReadonlyArray<string>) => `| ${r.join(" | ")} |`
    return [line(cells[0]!), line(header.map(() => "---")), ...cells.slice(1).map(line)]
  }
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)))
  return cells.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd())
}

export const growthTable = (g: Growth, markdown: boolean): ReadonlyArray<string> =>
  formatTable(["day", ...DATA_SOURCES, "total"], g.days.map((d) => [d.day, ...DATA_SOURCES.map((s) => d.trades[s] ?? 0), d.total]), markdown)

/** What the coverage report says, besides the gates. */
export interface Coverage {
  readonly database: string
  readonly generatedAt: string
  readonly perSource: ReadonlyArray<{ readonly data_source: string; readonly trades: number; readonly wallets: number; readonly markets: number }>
  readonly plan: ReadonlyArray<{ readonly status: string; readonly wallets: number }>
  readonly gates: ReadonlyArray<{ readonly name: string; readonly result: string; readonly ok: boolean; readonly query: string }>
  readonly growth: Growth
  readonly days: number
}

const PLAN_STATUSES = ["done", "error", "in_progress", "pending"] as const

/** The runbook's coverage report, in Markdown. */
export const coverageMarkdown = (c: Coverage): string => {
  const source = (s: string) => c.perSource.find((p) => p.data_source === s) ?? { data_source: s, trades: 0, wallets: 0, markets: 0 }
  const planned = c.plan.reduce((n, p) => n + p.wallets, 0)
  const ofStatus = (s: string) => c.plan.find((p) => p.status === s)?.wallets ?? 0
  const failed = c.gates.filter((g) => !g.ok).length
  return [
    "# Trades coverage",
    "",
    `Database \`${c.database}\`, ${c.generatedAt}. ${failed === 0 ? `All ${c.gates.length} checks passed.` : `${failed} of ${c.gates.length} checks failed.`}`,
    "",
    "## Per data source (`pm_trades_with_external`)",
    "",
    ...formatTable(["data source", "trades", "wallets", "markets"], DATA_SOURCES.map((s) => { const p = source(s); return [p.data_source, p.trades, p.wallets, p.markets] }), true),
    "",
    `Ghost markets (external trades only, no CLOB fill): ${source(DATA_API_SOURCE).markets}`,
    "",
    "## Wallet plan (`wallet_backfill_plan`)",
    "",
    ...formatTable(["planned", ...PLAN_STATUSES], [[planned, ...PLAN_STATUSES.map(ofStatus)]], true),
    "",
    "## Checks",
    "",
    ...formatTable(["check", "result", "passed"], c.gates.map((g) => [g.name, g.result.replace(/\|/g, "\\|"), g.ok ? "yes" : "**no**"]), true),
    "",
    `## Daily growth (trades per day, last ${c.days} days)`,
    "",
    ...(c.growth.days.length === 0 ? ["No trades."] : growthTable(c.growth, true)),
    ""
  ].join("\n")
}
