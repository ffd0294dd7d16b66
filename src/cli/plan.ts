import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Layer } from "effect"
import { SkippedInput } from "../domain/errors.js"
import { formatCount } from "../domain/progress.js"
import { layerFixed } from "../layers/GovernorFixed.js"
import { planJob } from "../streams/plan.js"
import { layerClickHouseFromOptions } from "./clickhouseLayer.js"
import { clickhouseOptions, logOptions, sourceOptions, withLogging } from "./common.js"
import { jobByName, layerSources, layerUnitStore } from "./jobLayers.js"
import { layerOnchainSettings, onchainPlanOptions, resolvePlanWindow } from "./onchainOptions.js"
import { checkpointOption } from "./runOptions.js"
import { suggestCommand, withFlagsIn, withSuggestedFlags } from "./suggest.js"
import { layerTradesSettings, resolveTradesPlan, tradesPlanOptions } from "./tradesOptions.js"

export const planCommand = Command.make(
  "plan",
  {
    job: Args.text({ name: "job" }).pipe(Args.withDescription("the job to plan: markets, fills, onchain, trades")),
    rebuild: Options.boolean("rebuild").pipe(Options.withDescription("start over: every unit back to pending (says how many done units it discards)")),
    checkpoint: checkpointOption,
    ...onchainPlanOptions,
    ...tradesPlanOptions,
    ...clickhouseOptions,
    ...sourceOptions,
    ...logOptions
  },
  (opts) =>
    Effect.gen(function* () {
      const job = yield* jobByName(opts.job)
      const window = yield* resolvePlanWindow(job.name, opts)
      const trades = yield* resolveTradesPlan(job.name, opts)
      const layers = Layer.mergeAll(
        layerUnitStore(opts.checkpoint, opts),
        layerSources(opts, layerFixed(8), job),
        layerOnchainSettings({ window }),
        layerTradesSettings(trades.settings)
      ).pipe(
        Layer.provideMerge(layerClickHouseFromOptions(opts))
      )
      const suggest = (args: string) => suggestCommand(args, { clickhouse: opts, checkpoint: opts.checkpoint, sources: { urls: opts, read: job.sources ?? [] } })
      const result = yield* planJob(job, { rebuild: opts.rebuild, say: (line) => Console.log(withFlagsIn(suggest)(line)) }).pipe(
        Effect.provide(layers),
        withSuggestedFlags(suggest)
      )
      yield* Console.log(
        opts.rebuild
          ? `${job.name}: ${formatCount(result.total)} units planned from scratch (all pending)`
          : `${job.name}: ${formatCount(result.added)} new units added, ${formatCount(result.kept)} kept as they were; ${formatCount(result.total)} units in all`
      )
      if (trades.badLines > 0) {
        return yield* new SkippedInput({
          message: `${trades.badLines} line${trades.badLines === 1 ? "" : "s"} of ${trades.file} skipped (listed above); every valid address was planned: fix those lines and plan again (planned wallets keep their status)`
        })
      }
    }).pipe(withLogging(opts))
).pipe(Command.withDescription("Build a job's units (pending); again: adds new units and keeps existing ones, --rebuild starts over"))
