import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Layer, Option } from "effect"
import { formatReset, resetUnits } from "../streams/reset.js"
import { layerClickHouseFromOptions } from "./clickhouseLayer.js"
import { clickhouseOptions, logOptions, withLogging } from "./common.js"
import { checkpointOption } from "./runOptions.js"
import { suggestWith, withFlagsIn, withSuggestedFlags } from "./suggest.js"
import { layerClickHouse as layerUnitsClickHouse } from "../layers/UnitStoreClickHouse.js"
import { jobByName, layerFileStore } from "./jobLayers.js"

export const resetCommand = Command.make(
  "reset",
  {
    job: Args.text({ name: "job" }).pipe(Args.withDescription("the job whose units to reset: markets, fills, onchain, trades")),
    status: Options.choice("status", ["error", "in_progress"] as const).pipe(
      Options.withDescription("the units to put back to pending: those in error, or those left in_progress (by a run that died)")
    ),
    unit: Options.text("unit").pipe(Options.withPseudoName("KEY"), Options.withDescription("only this unit (a wallet address for trades, a condition id for fills, ...)"), Options.optional),
    checkpoint: checkpointOption,
    ...clickhouseOptions,
    ...logOptions
  },
  (opts) =>
    Effect.gen(function* () {
      const job = yield* jobByName(opts.job)
      const unit = Option.getOrUndefined(opts.unit)
      const reset = resetUnits(job.name, opts.status, unit)
      const result =
        opts.checkpoint === "clickhouse"
          ? yield* Effect.provide(reset, layerUnitsClickHouse.pipe(Layer.provide(layerClickHouseFromOptions(opts))))
          : yield* Effect.provide(reset, layerFileStore(opts))
      for (const line of formatReset(result, unit)) yield* Console.log(withFlagsIn(suggestWith(opts, opts.checkpoint))(line))
    }).pipe(withSuggestedFlags(suggestWith(opts, opts.checkpoint)), withLogging(opts))
).pipe(Command.withDescription("Put a job's units in error or in_progress back to pending (prints each unit it changed)"))
