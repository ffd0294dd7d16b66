import { existsSync, readdirSync } from "node:fs"
import { join } from "node:path"
import { Args, Command } from "@effect/cli"
import { Console, Effect, Layer, Option } from "effect"
import { UnitStore } from "../services/UnitStore.js"
import { fillsCoverage, formatFillsCoverage } from "../streams/fillsCoverage.js"
import { onchainStatusLines } from "../streams/onchainStatus.js"
import { latestRpcHealth } from "../streams/rpcHealth.js"
import type { JobStatus } from "../streams/status.js"
import { formatStatus, jobStatuses, quarantineCount } from "../streams/status.js"
import { layerClickHouseFromOptions } from "./clickhouseLayer.js"
import type { ClickHouseOptionValues } from "./common.js"
import { clickhouseOptions, logOptions, resolveClickHouseTarget, withLogging } from "./common.js"
import { layerClickHouse as layerHeartbeatsClickHouse } from "../layers/HeartbeatsClickHouse.js"
import { layerClickHouse as layerUnitsClickHouse } from "../layers/UnitStoreClickHouse.js"
import { jobByName, layerFileStore } from "./jobLayers.js"
import { processAlive } from "./run.js"
import { checkpointOption } from "./runOptions.js"
import { suggestWith, withFlagsIn, withSuggestedFlags } from "./suggest.js"
import { jobNames } from "../streams/jobs/index.js"

type Checkpoint = "clickhouse" | "file"

/** status only reads: the managed server is used when it runs, never started. */
const readOnlyClickHouse = (opts: ClickHouseOptionValues) => layerClickHouseFromOptions(opts, { readOnly: true })

/** The onchain job's days and RPC URLs; the URLs' health lives in ClickHouse only. */
const onchainLines = (checkpoint: Checkpoint, opts: ClickHouseOptionValues) =>
  checkpoint === "clickhouse"
    ? Effect.flatMap(latestRpcHealth("onchain").pipe(Effect.orElseSucceed(() => [])), onchainStatusLines).pipe(
        Effect.provide(layerUnitsClickHouse.pipe(Layer.provideMerge(readOnlyClickHouse(opts))))
      )
    : Effect.provide(onchainStatusLines([]), layerFileStore(opts))

/** How much of the done markets lies past the subgraph's head. */
const fillsLines = (checkpoint: Checkpoint, opts: ClickHouseOptionValues) =>
  Effect.flatMap(UnitStore, (store) => store.load("fills")).pipe(
    Effect.map((units) => formatFillsCoverage(fillsCoverage(units, Math.floor(Date.now() / 1000)))),
    Effect.provide(
      checkpoint === "clickhouse"
        ? (layerUnitsClickHouse.pipe(Layer.provide(readOnlyClickHouse(opts))) as Layer.Layer<UnitStore, unknown>)
        : layerFileStore(opts)
    )
  )

/** The directory of the configured database's checkpoint files, when it holds any (opening the store would create it). */
const checkpointFilesDir = (opts: ClickHouseOptionValues) =>
  Effect.map(resolveClickHouseTarget(opts), (target) => {
    const dir = join(opts.stateDir, "checkpoints", target.database)
    return existsSync(dir) && readdirSync(dir).some((f) => f.endsWith(".jsonl")) ? dir : undefined
  })

const statusesFrom = (checkpoint: Checkpoint, job: string | undefined, opts: ClickHouseOptionValues) =>
  checkpoint === "clickhouse"
    ? Effect.provide(
        jobStatuses(job, { processAlive, quarantined: (name) => quarantineCount(name) }),
        Layer.mergeAll(layerUnitsClickHouse, layerHeartbeatsClickHouse).pipe(Layer.provideMerge(readOnlyClickHouse(opts)))
      )
    : Effect.provide(jobStatuses(job, { processAlive }), layerFileStore(opts))

export const statusCommand = Command.make(
  "status",
  {
    job: Args.text({ name: "job" }).pipe(Args.withDescription("one job (default: every job with units)"), Args.optional),
    checkpoint: checkpointOption,
    ...clickhouseOptions,
    ...logOptions
  },
  (opts) =>
    Effect.gen(function* () {
      const job = Option.getOrUndefined(opts.job)
      if (job !== undefined) yield* jobByName(job)
      let checkpoint: Checkpoint = opts.checkpoint
      const files = checkpoint === "clickhouse" ? yield* checkpointFilesDir(opts) : undefined
      // A plan kept in files says nothing in ClickHouse (which need not even run): show it rather than "no units yet".
      let statuses: ReadonlyArray<JobStatus> | undefined = yield* statusesFrom(checkpoint, job, opts).pipe(
        Effect.catchAll((e) => (files === undefined ? Effect.fail(e) : Effect.succeed(undefined)))
      )
      if (files !== undefined && (statuses === undefined || statuses.every((s) => s.units === 0))) {
        yield* Console.log(`no units in ClickHouse; the plan below is kept in checkpoint files in ${files} (--checkpoint file, or POLYBACKFILL_CHECKPOINT=file)`)
        checkpoint = "file"
        statuses = yield* statusesFrom(checkpoint, job, opts)
      }
      statuses ??= []
      // Every command it suggests reaches what this status read: the same ClickHouse, database, state dir and checkpoints.
      const say = (line: string) => Console.log(withFlagsIn(suggestWith(opts, checkpoint))(line))
      if (statuses.length === 0) yield* say(`no units yet: run \`polybackfill plan <job>\` (jobs: ${jobNames.join(", ")})`)
      for (const s of statuses) {
        for (const line of formatStatus(s)) yield* say(line)
        if (s.job === "onchain") for (const line of yield* onchainLines(checkpoint, opts)) yield* say(line)
        if (s.job === "fills") for (const line of yield* fillsLines(checkpoint, opts)) yield* say(`  ${line}`)
      }
    }).pipe(withSuggestedFlags(suggestWith(opts, opts.checkpoint)), withLogging(opts))
).pipe(
  Command.withDescription(
    "Each job's progress and ETA, units by status, each recent run (running, finished, interrupted, failed or crashed), quarantined rows and the latest errors; never starts a ClickHouse"
  )
)
