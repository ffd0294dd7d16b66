import { Effect, Schema } from "effect"
import { profileKnobs } from "../../src/simulator/index.js"
import { describeExit, runCliToEnd, tail } from "./child.js"
import type { DrillOptions } from "./common.js"
import { Checks, comparedOutcome, drillWorld, scenario, simulator } from "./common.js"
import { drillDatabaseName, fillDuplicates, fillUnits, openDatabase, prepareFills, statusLine } from "./database.js"
import { compareFills, countByMarket, describeComparison, doneWithoutRows } from "./groundTruth.js"
import { fillTruths, readFills } from "../support/fills.js"

const QuarantineRow = Schema.Struct({ job: Schema.String, unit_key: Schema.String, source: Schema.String, reason: Schema.String, raw: Schema.String })

/** The fill id a quarantined subgraph event carries (the simulator corrupts any field but `id`). */
const idOf = (raw: string): string | undefined => {
  try {
    const parsed: unknown = JSON.parse(raw)
    return typeof parsed === "object" && parsed !== null && "id" in parsed && typeof parsed.id === "string" ? parsed.id : undefined
  } catch {
    return undefined
  }
}

const HARSH = profileKnobs("harsh")
/**
 * `--profile harsh` (5xx, truncated bodies, 429s under a quarter of the documented limits, hangs,
 * malformed rows), with shorter hangs (the requests time out after 2 s anyway), more malformed pages
 * than 2% and a subgraph limit of 25 requests per 2 s, so a small world still meets all of them.
 */
const DRILL_HARSH = {
  ...HARSH,
  rateLimits: [...HARSH.rateLimits, { family: "goldsky" as const, limit: 25, windowMs: 2_000 }],
  faults: { ...HARSH.faults, hangMs: 3_000, malformedRate: 0.08 }
}

/**
 * Scenario 3: the fills runs against the harsh simulator. Every malformed row must be in quarantine
 * with its unit and a reason; every other fill exact. Units that exhaust their attempts end in error
 * and are run again with --retry-errors until done.
 */
export const harshScenario = (options: DrillOptions) =>
  scenario(
    "3. simulator --profile harsh",
    Effect.gen(function* () {
      const checks = new Checks()
      const world = drillWorld(options.seed + 3, options.markets, 60)
      // The catalogue comes from a calm simulator of the same world: the drill is about the fills runs.
      const calm = yield* simulator({ world })
      const harsh = yield* simulator({ world, knobs: DRILL_HARSH })
      const clickhouse = yield* openDatabase(options.serverUrl, drillDatabaseName("harsh"), { drop: true })
      const units = yield* prepareFills(clickhouse, calm)
      const truth = fillTruths(harsh.world)
      const args = ["run", "fills", "--database", clickhouse.database, "--goldsky-url", harsh.goldskyUrl, "--request-timeout", "2s", "--flush-interval", "200ms"]

      const runs: Array<string> = []
      for (let attempt = 0; attempt < 4; attempt++) {
        const run = yield* runCliToEnd(attempt === 0 ? args : [...args, "--retry-errors"], options.serverUrl, "240 seconds")
        const now = yield* fillUnits(clickhouse)
        const errors = now.filter((u) => u.status === "error").length
        // Exit 1 exactly when units are left in error (or pending, when the source was called down).
        const expected = now.every((u) => u.status === "done") ? 0 : 1
        checks.check(run.exit.code === expected, () => `run ${attempt + 1}: ${describeExit(run.exit)}, expected exit ${expected}: ${tail(run.output)}`)
        runs.push(attempt === 0 ? `first run: ${statusLine(now)}` : `--retry-errors run: ${statusLine(now)}`)
        if (errors === 0) break
      }
      const unitRows = yield* fillUnits(clickhouse)
      checks.check(unitRows.length === units && unitRows.every((u) => u.status === "done"), () => `units not all done: ${statusLine(unitRows)}`)

      const quarantined = yield* clickhouse.query("SELECT job, unit_key, source, reason, raw FROM quarantine", QuarantineRow)
      checks.check(quarantined.length > 0, "no row was quarantined")
      checks.check(quarantined.every((q) => q.job === "fills" && q.reason !== ""), "quarantine rows without a job or a reason")
      const marketOf = new Map(truth.map((t) => [t.fill_id, t.condition_id]))
      const ids = quarantined.map((q) => idOf(q.raw))
      const misplaced = quarantined.filter((q, i) => marketOf.get(ids[i] ?? "") !== q.unit_key)
      checks.check(misplaced.length === 0, () => `${misplaced.length} quarantine rows name a unit other than the fill's market (e.g. ${misplaced[0]?.unit_key})`)
      const excused = new Set(ids.filter((id): id is string => id !== undefined))

      const comparison = compareFills(yield* readFills(clickhouse), truth, excused)
      checks.check(comparison.exact, describeComparison(comparison))
      const excusedPerMarket = countByMarket([...excused].map((id) => ({ condition_id: marketOf.get(id) ?? "" })))
      const missing = yield* doneWithoutRows(clickhouse, countByMarket(truth), excusedPerMarket)
      checks.check(missing.length === 0, () => `${missing.length} done units lack rows`)
      const dups = yield* fillDuplicates(clickhouse)
      checks.check(dups.afterFinal === 0, `${dups.afterFinal} duplicate fill ids under FINAL`)
      const served = yield* Effect.promise(() => fetch(harsh.statsUrl).then((r) => r.json() as Promise<{ totals: Record<string, number> }>))
      const t = served.totals
      const faults = `the simulator answered ${t["requests"]} requests with ${t["errors"]} 5xx, ${t["rateLimited"]} 429, ${t["hangs"]} hangs, ${t["truncated"]} truncated and ${t["malformed"]} malformed pages`
      const reasons = [...new Set(quarantined.map((q) => q.reason.replace(/: .*$/, "")))].join(", ")
      return comparedOutcome(
        comparison,
        dups,
        checks,
        `exact, ${quarantined.length} quarantined`,
          `${units} units, ${truth.length} fills in the truth; ${faults}; ${runs.join("; ")}; ${quarantined.length} rows in quarantine ` +
          `(${reasons}; each with its unit), ${comparison.excusedButFound} of them also arrived intact on a later fetch; ` +
          `expected = truth minus the ${comparison.expected === truth.length ? 0 : truth.length - comparison.expected} fills only seen malformed; ${describeComparison(comparison)}`
      )
    })
  )
