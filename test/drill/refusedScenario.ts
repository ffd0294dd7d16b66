import { Effect } from "effect"
import { describeExit, runCliToEnd, tail } from "./child.js"
import type { DrillOptions, ScenarioOutcome } from "./common.js"
import { Checks, drillWorld, goldskyLatency, scenario, simulator } from "./common.js"
import { count, drillDatabaseName, fillDuplicates, fillUnits, openDatabase, prepareFills, statusLine } from "./database.js"
import { compareFills, describeComparison } from "./groundTruth.js"
import { fillTruths, readFills } from "../support/fills.js"

/**
 * Scenario 5: ClickHouse refuses the inserts (clob_fills dropped after the plan). The run must fail
 * with one line naming the table and what to do, and leave every unit as it was: not done, cursor
 * unmoved. Then the table is recreated (`polybackfill migrate`, as the message says)
 * and the same command completes exactly: nothing was skipped as done.
 */
export const refusedScenario = (options: DrillOptions) =>
  scenario(
    "5. inserts refused (table dropped)",
    Effect.gen(function* () {
      const checks = new Checks()
      const sim = yield* simulator({ world: drillWorld(options.seed + 5, Math.max(20, Math.floor(options.markets / 3)), 40), knobs: goldskyLatency(10, 30) })
      const clickhouse = yield* openDatabase(options.serverUrl, drillDatabaseName("refused"), { drop: true })
      const units = yield* prepareFills(clickhouse, sim)
      yield* clickhouse.command("DROP TABLE clob_fills")
      const before = yield* fillUnits(clickhouse)

      const args = ["run", "fills", "--database", clickhouse.database, "--goldsky-url", sim.goldskyUrl, "--flush-interval", "200ms", "--checkpoint-interval", "10"]
      const refused = yield* runCliToEnd(args, options.serverUrl)
      checks.check(refused.exit.code === 1, () => `the run did not fail with exit 1: ${describeExit(refused.exit)}: ${tail(refused.output)}`)
      const lines = refused.output.split("\n").filter((l) => l.startsWith("polybackfill: "))
      checks.check(lines.length === 1, () => `expected one "polybackfill: ..." line, got ${lines.length}: ${tail(refused.output)}`)
      const message = lines[0] ?? ""
      checks.check(/clob_fills/.test(message), `the message does not name the table: "${message}"`)
      checks.check(!/\n\s+at /.test(refused.output), "the output holds a stack trace")

      const after = yield* fillUnits(clickhouse)
      const done = after.filter((u) => u.status === "done").length
      checks.check(done === 0, `${done} units marked done`)
      const moved = after.filter((u) => before.find((b) => b.unit_key === u.unit_key)?.cursor !== u.cursor || u.rows !== 0)
      checks.check(moved.length === 0, () => `${moved.length} units have a cursor or rows now (e.g. ${moved[0]?.unit_key}: ${moved[0]?.cursor})`)
      checks.check(after.every((u) => u.status === "pending"), () => `units not back to pending: ${statusLine(after)}`)
      const stateAfter = statusLine(after)

      // The fix the message names, then the same command again.
      const migrated = yield* runCliToEnd(["migrate", "--database", clickhouse.database], options.serverUrl)
      checks.check(migrated.exit.code === 0, () => `migrate failed: ${describeExit(migrated.exit)}: ${tail(migrated.output)}`)
      const recreated = (yield* count(clickhouse, "SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name = 'clob_fills'")) === 1
      checks.check(recreated, "`polybackfill migrate` did not recreate clob_fills")
      checks.check(/recreated clob_fills/.test(migrated.output), () => `migrate did not say it recreated clob_fills: ${tail(migrated.output)}`)
      const rerun = yield* runCliToEnd(args, options.serverUrl)
      checks.check(rerun.exit.code === 0, () => `the rerun after recreating the table failed: ${describeExit(rerun.exit)}: ${tail(rerun.output)}`)
      const comparison = compareFills(yield* readFills(clickhouse), fillTruths(sim.world))
      checks.check(comparison.exact, `after the rerun: ${describeComparison(comparison)}`)
      const dups = yield* fillDuplicates(clickhouse)
      return {
        expected: 0,
        found: 0,
        duplicatesBeforeFinal: 0,
        duplicatesAfterFinal: 0,
        passed: checks.passed,
        outcome: checks.passed ? "refused, nothing marked done" : "not as expected",
        detail:
          `${units} units; the run exited ${refused.exit.code} with "${message.slice(0, 200)}"; afterwards ${stateAfter}, ` +
          `no cursor moved, no rows counted; ${recreated ? "`polybackfill migrate` recreated clob_fills" : "`polybackfill migrate` did NOT recreate clob_fills"}; ` +
          `then the same run command completed: ${describeComparison(comparison)} ` +
          `(duplicates ${dups.beforeFinal} before FINAL, ${dups.afterFinal} after)` +
          (checks.passed ? "" : `. FAILED: ${checks.failures}`)
      } satisfies ScenarioOutcome
    })
  )
