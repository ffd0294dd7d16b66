/** One scenario's line of the drill table. */
export interface DrillResult {
  readonly scenario: string
  /** Rows clob_fills should hold at the end (the ground truth, minus what the scenario says). */
  readonly expected: number
  /** Rows clob_fills FINAL holds. */
  readonly found: number
  /** count() − uniqExact(fill_id) without FINAL: replays not merged away yet (harmless). */
  readonly duplicatesBeforeFinal: number
  /** The same with FINAL: must be 0. */
  readonly duplicatesAfterFinal: number
  readonly passed: boolean
  /** A few words: "exact", "refused, nothing marked done", or what went wrong. */
  readonly outcome: string
  /** What happened, for the notes under the table. */
  readonly detail: string
  readonly seconds: number
}

const HEADERS = ["scenario", "rows expected", "rows found", "dups before FINAL", "dups after FINAL", "outcome"] as const

const number = (n: number) => n.toLocaleString("en-US")

/** The results as one aligned table, then one note per scenario. */
export const formatDrillTable = (results: ReadonlyArray<DrillResult>): string => {
  const cells = results.map((r) => [
    r.scenario,
    number(r.expected),
    number(r.found),
    number(r.duplicatesBeforeFinal),
    number(r.duplicatesAfterFinal),
    `${r.passed ? "PASS" : "FAIL"} ${r.outcome}`
  ])
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)))
  const numeric = (i: number) => i >= 1 && i <= 4
  const line = (row: ReadonlyArray<string>) => row.map((c, i) => (numeric(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(" | ").trimEnd()
  const rule = widths.map((w) => "-".repeat(w)).join("-|-")
  const notes = results.map((r) => `- ${r.scenario} (${r.seconds.toFixed(0)} s): ${r.detail}`)
  return [line(HEADERS), rule, ...cells.map(line), "", ...notes].join("\n")
}
