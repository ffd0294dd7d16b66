import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Layer, Option } from "effect"
import { UnitStore } from "../services/UnitStore.js"
import { fillsCoverage, formatFillsCoverage } from "../streams/fillsCoverage.js"
import { onchainStatusLines } from "../streams/onchainStatus.js"
import { latestRpcHealth } from "../streams/rpcHealth.js"
import { formatStatus, jobStatuses } from "../streams/status.js"
import { layerClickHouseFromOptions } from "./clickhouseLayer.js"
import type { ClickHouseOptionValues } from "./common.js"
import { clickhouseOptions, logOptions, withLogging } from "./common.js"
import { layerClickHouse as layerHeartbeatsClickHouse } from "../layers/HeartbeatsClickHouse.js"
import { layerClickHouse as layerUnitsClickHouse } from "../layers/UnitStoreClickHouse.js"
import { jobByName, layerFileStore } from "./jobLayers.js"

/** The onchain job's days and RPC URLs; the URLs' health lives in ClickHouse only. */
const onchainLines = (opts: { readonly checkpoint: "clickhouse" | "file" } & ClickHouseOptionValues) =>
  opts.checkpoint === "clickhouse"
    ? Effect.flatMap(latestRpcHealth("onchain").pipe(Effect.orElseSucceed(() => [])), onchainStatusLines).pipe(
        Effect.provide(layerUnitsClickHouse.pipe(Layer.provideMerge(layerClickHouseFromOptions(opts))))
      )
    : Effect.provide(onchainStatusLines([]), layerFileStore(opts))

/** How much of the done markets lies past the subgraph's head. */
const fillsLines = (opts: { readonly checkpoint: "clickhouse" | "file" } & ClickHouseOptionValues) =>
  Effect.flatMap(UnitStore, (store) => store.load("fills")).pipe(
    Effect.map((units) => formatFillsCoverage(fillsCoverage(units, Math.floor(Date.now() / 1000)))),
    Effect.provide(
      opts.checkpoint === "clickhouse"
        ? (layerUnitsClickHouse.pipe(Layer.provide(layerClickHouseFromOptions(opts))) as Layer.Layer<UnitStore, unknown>)
        : layerFileStore(opts)
    )
  )

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
      if (statuses.length === 0) yield* Console.log("no units yet: run `polybackfill plan <job>` (jobs: markets, fills, onchain)")
      for (const s of statuses) {
        for (const line of formatStatus(s)) yield* Console.log(line)
        if (s.job === "onchain") for (const line of yield* onchainLines(opts)) yield* Console.log(line)
        if (s.job === "fills") for (const line of yield* fillsLines(opts)) yield* Console.log(`  ${line}`)
      }
    }).pipe(withLogging(opts))
).pipe(Command.withDescription("Units by status, rows, the rate of the last run and the latest errors"))
