import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Layer, Option } from "effect"
import { formatStatus, jobStatuses } from "../streams/status.js"
import { layerClickHouseFromOptions } from "./clickhouseLayer.js"
import { clickhouseOptions, logOptions, withLogging } from "./common.js"
import { layerClickHouse as layerHeartbeatsClickHouse } from "../layers/HeartbeatsClickHouse.js"
import { layerClickHouse as layerUnitsClickHouse } from "../layers/UnitStoreClickHouse.js"
import { jobByName, layerFileStore } from "./jobLayers.js"

export const statusCommand = Command.make(
  "status",
  {
    job: Args.text({ name: "job" }).pipe(Args.withDescription("one job (default: every job with units)"), Args.optional),
    checkpoint: Options.choice("checkpoint", ["clickhouse", "file"] as const).pipe(
      Options.withDescription("where unit status and cursors live (as for run)"),
      Options.withDefault("clickhouse" as const)
    ),
    ...clickhouseOptions,
    ...logOptions
  },
  (opts) =>
    Effect.gen(function* () {
      if (Option.isSome(opts.job)) yield* jobByName(opts.job.value)
      const read = jobStatuses(Option.getOrUndefined(opts.job))
      const statuses = yield* (opts.checkpoint === "clickhouse"
        ? Effect.provide(read, Layer.mergeAll(layerUnitsClickHouse, layerHeartbeatsClickHouse).pipe(Layer.provide(layerClickHouseFromOptions(opts))))
        : Effect.provide(read, layerFileStore(opts)))
      if (statuses.length === 0) yield* Console.log("no units yet: run `polybackfill plan <job>` (jobs: markets, fills)")
      for (const s of statuses) for (const line of formatStatus(s)) yield* Console.log(line)
    }).pipe(withLogging(opts))
).pipe(Command.withDescription("Units by status, rows, the rate of the last run and the latest errors"))
