import { Command, Options } from "@effect/cli"
import { writeFileSync } from "node:fs"
import { Console, Effect, Option } from "effect"
import { UsageError } from "../domain/errors.js"
import { coverageMarkdown, growthTable } from "../domain/tradesCoverage.js"
import { DEFAULT_GROWTH_DAYS, formatGate, tradesCoverage, tradesGates } from "../streams/validate.js"
import { layerClickHouseFromOptions } from "./clickhouseLayer.js"
import { clickhouseOptions, logOptions, withLogging } from "./common.js"
import { suggestWith, withFlagsIn, withSuggestedFlags } from "./suggest.js"

/** Failing gates: the command exits 1 after printing every gate (and writing the report). */
class GatesFailed extends Error {}

export const validateCommand = Command.make(
  "validate",
  {
    days: Options.integer("days").pipe(
      Options.withPseudoName("N"),
      Options.withDescription(`daily growth: trades per day and data source over the last N days to the newest trade's day (default ${DEFAULT_GROWTH_DAYS})`),
      Options.withDefault(DEFAULT_GROWTH_DAYS)
    ),
    report: Options.file("report").pipe(
      Options.withPseudoName("PATH.md"),
      Options.withDescription("also write a Markdown coverage report there: per data source, ghost markets, the wallet plan, the checks, daily growth"),
      Options.optional
    ),
    ...clickhouseOptions,
    ...logOptions
  },
  (opts) =>
    Effect.gen(function* () {
      // Before the ClickHouse layer: a bad flag starts no server.
      if (opts.days < 1) return yield* new UsageError({ message: `--days ${opts.days}: give a number of days, 1 or more` })
      const suggest = suggestWith(opts)
      yield* Effect.gen(function* () {
        const checked = yield* tradesGates(opts.days)
        const gates = checked.gates.map((g) => ({ ...g, result: withFlagsIn(suggest)(g.result) }))
        for (const gate of gates) for (const line of formatGate(gate)) yield* Console.log(line)
        if (checked.growth.days.length > 0) {
          yield* Console.log(`daily growth (trades per day in pm_trades_with_external, last ${opts.days} days):`)
          for (const line of growthTable(checked.growth, false)) yield* Console.log(`  ${line}`)
        }
        if (Option.isSome(opts.report)) {
          const path = opts.report.value
          const text = coverageMarkdown(yield* tradesCoverage({ gates, growth: checked.growth }, opts.days))
          yield* Effect.try({
            try: () => writeFileSync(path, text),
            catch: (e) => new UsageError({ message: `cannot write the report ${path}: ${String(e).split("\n")[0]} (check --report)` })
          })
          yield* Console.log(`coverage report written to ${path}`)
        }
        const failed = gates.filter((g) => !g.ok)
        if (failed.length > 0) return yield* Effect.fail(new GatesFailed(`${failed.length} of ${gates.length} checks failed: ${failed.map((g) => g.name).join("; ")}`))
        yield* Console.log(`all ${gates.length} checks passed`)
      }).pipe(Effect.provide(layerClickHouseFromOptions(opts)), withSuggestedFlags(suggest))
    }).pipe(withLogging(opts))
).pipe(
  Command.withDescription(
    "Check the database: required tables and views, no duplicate external trades, no market both in CLOB and external rows, no day without trades; trades per day; --report writes a Markdown coverage report"
  )
)
