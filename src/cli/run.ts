import { randomBytes } from "node:crypto"
import { hostname } from "node:os"
import { Args, Command, Options } from "@effect/cli"
import { Console, Duration, Effect, Layer, Option } from "effect"
import { layerDryRunSink, layerReadOnlyUnits } from "../layers/DryRun.js"
import { layerClickHouse as layerHeartbeatsClickHouse } from "../layers/HeartbeatsClickHouse.js"
import { layerGovernorFromOptions, layerGovernorFromOptionsPersistent } from "../layers/GovernorFromOptions.js"
import { layerAuto as layerProgress } from "../layers/ProgressLive.js"
import { layerClickHouse as layerRowSinkClickHouse } from "../layers/RowSinkClickHouse.js"
import { Governor } from "../services/Governor.js"
import { PolygonRpc } from "../services/PolygonRpc.js"
import { UnitStore } from "../services/UnitStore.js"
import { formatRpcHealth } from "../domain/rpcHealth.js"
import { withRpcHealth } from "../streams/rpcHealth.js"
import { fillsCoverage, formatFillsCoverage } from "../streams/fillsCoverage.js"
import { DEFAULT_REQUEST_POLICY, RequestPolicy } from "../services/RequestPolicy.js"
import type { RunSummary } from "../streams/engine.js"
import { formatSummary, runJob } from "../streams/engine.js"
import { DEAD_AFTER_S } from "../streams/heartbeat.js"
import type { JobEnv } from "../streams/jobs/index.js"
import type { Job } from "../streams/Job.js"
import { RunIncomplete } from "../domain/errors.js"
import { formatCount } from "../domain/progress.js"
import { layerClickHouseFromOptions } from "./clickhouseLayer.js"
import type { ClickHouseOptionValues, SourceOptionValues } from "./common.js"
import { clickhouseOptions, logOptions, sourceOptions, withLogging } from "./common.js"
import { jobByName, layerSources, layerUnitStore } from "./jobLayers.js"
import { onCompleteEnv, runOnComplete } from "./onComplete.js"
import { EXIT_CODES, setLeftBehind } from "./report.js"
import { kindsOption, layerOnchainSettings, logRangeOptions, resolveKinds, resolveLogRange } from "./onchainOptions.js"
import type { RunSettings } from "./runOptions.js"
import { resolveRunOptions, runOptions } from "./runOptions.js"
import { layerTradesSettings, resolveTradesRun, tradesRunOptions } from "./tradesOptions.js"
import { suggestCommand, withFlagsIn, withSuggestedFlags } from "./suggest.js"

export const newRunId = (): string => randomBytes(6).toString("hex")

/** A heartbeat's process on this host can be checked directly: a crashed run's units need not wait 30 s. */
export const processAlive = (host: string, pid: number): boolean | undefined => {
  if (host !== hostname() || pid <= 0) return undefined
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

const share = (part: number, whole: number) => (whole > 0 ? part / whole : 0)

/** The governor as the progress line shows it: the busiest host's limit, requests in flight and 429 share. */
const governorLabel = (governor: Governor["Type"], fallback: string) =>
  Effect.map(governor.snapshot, (hosts) => {
    const busiest = [...hosts].sort((a, b) => b.inFlight - a.inFlight)[0]
    if (busiest === undefined) return fallback
    const limited = busiest.rateLimited > 0 ? `, ${(share(busiest.rateLimited, busiest.requests) * 100).toFixed(1)}% 429s` : ""
    return `${busiest.inFlight} in flight (limit ${busiest.limit}${limited})`
  })

/** The RPC pool's URLs once it is in use (each its own governor), else the busiest host's governor. */
const workersLabel = (governor: Governor["Type"], rpc: PolygonRpc["Type"], fallback: string) =>
  Effect.flatMap(rpc.health, (urls) => (urls.length > 0 ? Effect.succeed(formatRpcHealth(urls)) : governorLabel(governor, fallback)))

/** The governor's figures for the heartbeats: the highest limit, all requests in flight, the 429 share. */
const governorStats = (governor: Governor["Type"]) =>
  Effect.map(governor.snapshot, (hosts) => ({
    limit: hosts.reduce((n, h) => Math.max(n, h.limit), 0),
    inFlight: hosts.reduce((n, h) => n + h.inFlight, 0),
    rateLimitedShare: share(hosts.reduce((n, h) => n + h.rateLimited, 0), hosts.reduce((n, h) => n + h.requests, 0))
  }))

/** `polybackfill <args>` with the flags of this run that select the same ClickHouse, checkpoints and sources. */
export const suggestFor =
  (job: Job<JobEnv>, settings: RunSettings, opts: ClickHouseOptionValues & SourceOptionValues) =>
  (args: string): string =>
    suggestCommand(args, { clickhouse: opts, checkpoint: settings.checkpoint, sources: { urls: opts, read: job.sources ?? [] } })

/** Runs one job with resolved settings against the configured ClickHouse and sources. */
export const runWithSettings = (
  job: Job<JobEnv>,
  settings: RunSettings,
  opts: ClickHouseOptionValues & SourceOptionValues,
  runId: string = newRunId()
): Effect.Effect<RunSummary, unknown> => {
  const units = settings.dryRun ? layerReadOnlyUnits.pipe(Layer.provide(layerUnitStore(settings.checkpoint, opts))) : layerUnitStore(settings.checkpoint, opts)
  const governor = settings.dryRun ? layerGovernorFromOptions(settings.governor) : layerGovernorFromOptionsPersistent(settings.governor)
  const policy = Layer.succeed(RequestPolicy, {
    ...DEFAULT_REQUEST_POLICY,
    timeout: Duration.millis(settings.requestTimeoutMs),
    delay: Duration.millis(settings.delayMs),
    ...(settings.maxAttempts !== undefined ? { maxAttempts: settings.maxAttempts } : {})
  })
  const layers = Layer.mergeAll(
    settings.dryRun ? Layer.empty : layerHeartbeatsClickHouse,
    units,
    settings.dryRun ? layerDryRunSink() : layerRowSinkClickHouse,
    layerSources(opts, governor, job),
    layerProgress,
    policy
  ).pipe(Layer.provideMerge(layerClickHouseFromOptions(opts, { needsServerFor: settings.shard.count > 1 ? "--shard" : undefined })))
  return Effect.flatMap(Effect.all([Governor, PolygonRpc]), ([governor, rpc]) =>
    runJob(job, {
      runId,
      workers: settings.unitConcurrency,
      sink: { batchSize: settings.batchSize, flushInterval: Duration.millis(settings.flushIntervalMs) },
      checkpointInterval: settings.checkpointInterval,
      stallTimeout: Duration.millis(settings.stallTimeoutMs),
      selection: settings.selection,
      workersLabel: workersLabel(governor, rpc, settings.workersLabel),
      identity: { host: hostname(), pid: process.pid },
      processAlive,
      governorStats: governorStats(governor),
      onLeftBehind: setLeftBehind,
      suggest: suggestFor(job, settings, opts)
    }).pipe(settings.dryRun ? (run) => run : withRpcHealth(job.name, runId))
  ).pipe(Effect.provide(layers))
}

/** Every unit of the job (every shard's), after the run: --on-complete waits for all of them, the fills coverage reads them. */
const loadUnits = (job: string, settings: RunSettings, opts: ClickHouseOptionValues) =>
  Effect.flatMap(UnitStore, (store) => store.load(job)).pipe(
    Effect.provide(layerUnitStore(settings.checkpoint, opts).pipe(Layer.provide(layerClickHouseFromOptions(opts))))
  )

export const runCommand = Command.make(
  "run",
  {
    job: Args.text({ name: "job" }).pipe(Args.withDescription("the job to run: markets, fills, onchain, trades")),
    ...runOptions,
    kinds: kindsOption,
    ...logRangeOptions,
    ...tradesRunOptions,
    onComplete: Options.text("on-complete").pipe(
      Options.withPseudoName("COMMAND"),
      Options.withDescription("a shell command to run once every unit of the job is done, with the run's summary in POLYBACKFILL_* variables"),
      Options.optional
    ),
    ...clickhouseOptions,
    ...sourceOptions,
    ...logOptions
  },
  (opts) =>
    Effect.gen(function* () {
      const job = yield* jobByName(opts.job)
      const { settings, trades } = yield* resolveTradesRun(job.name, yield* resolveRunOptions(opts), opts)
      const kinds = yield* resolveKinds(job.name, opts.kinds)
      const spans = yield* resolveLogRange(job.name, opts)
      const runId = newRunId()
      yield* Effect.logInfo(
        `run ${runId}: ${job.name} with workers ${settings.workersLabel}${settings.dryRun ? " (dry run: nothing is written)" : ""}` +
          `${settings.shard.count > 1 ? `, shard ${settings.shard.index}/${settings.shard.count}` : ""}`
      )
      const suggest = suggestFor(job, settings, opts)
      const summary = yield* runWithSettings(job, settings, opts, runId).pipe(
        Effect.provide(Layer.merge(layerOnchainSettings({ kinds, ...spans }), layerTradesSettings(trades))),
        withSuggestedFlags(suggest)
      )
      yield* Console.log(`${settings.dryRun ? "dry run, nothing written: " : ""}${formatSummary(summary)}`)
      if (summary.selected === 0 && summary.leftToLiveRuns > 0) {
        yield* Console.log(
          `nothing to take now: ${summary.leftToLiveRuns} units are in progress in runs that still send heartbeats ` +
            `(see \`${suggest(`status ${job.name}`)}\`); a run silent for ${DEAD_AFTER_S} s is dead, and the next run takes its units back`
        )
      } else if (summary.selected === 0) {
        yield* Console.log(`nothing to do: every unit of ${job.name} is done${settings.selection.retryErrors ? "" : " or in error (add --retry-errors)"}`)
      }
      if (summary.errors > 0) {
        yield* Console.log(`${summary.errors} units ended in error; the latest:`)
        for (const e of summary.lastErrors.slice(-5)) yield* Console.log(withFlagsIn(suggest)(`  ${e.unit}: ${e.message}`))
      }
      if (!settings.dryRun) {
        const units = yield* loadUnits(job.name, settings, opts)
        if (job.name === "fills") for (const line of formatFillsCoverage(fillsCoverage(units, Math.floor(Date.now() / 1000)))) yield* Console.log(withFlagsIn(suggest)(line))
        // Once: by the run that finished the last units, not again by a rerun with nothing to do.
        if (Option.isSome(opts.onComplete) && summary.done > 0 && units.every((u) => u.status === "done")) {
          yield* runOnComplete(opts.onComplete.value, onCompleteEnv(summary, runId))
        }
      }
      // Exit 1 unless every unit this run took ended done; the one line says how to take the rest.
      if (summary.errors > 0) {
        return yield* new RunIncomplete({
          message: settings.dryRun
            ? `${formatCount(summary.errors)} of ${formatCount(summary.selected)} units of ${job.name} failed in this dry run (nothing was marked)`
            : `${formatCount(summary.errors)} of ${formatCount(summary.selected)} units of ${job.name} ended in error: ` +
              `retry them with \`${suggest(`run ${job.name} --retry-errors`)}\` (details: \`${suggest(`status ${job.name}`)}\`)`
        })
      }
    }).pipe(withLogging(opts))
).pipe(Command.withDescription(`Run a job's pending units (and resume those a dead run left in progress). ${EXIT_CODES}`))
