/**
 * The trades job under the simulator's realistic Data-API (1,000 requests per 10 s, 40-200 ms
 * latency, rare 5xx and hangs, 429s in Cloudflare HTML): polybackfill's defaults (--workers auto, no
 * pause) against the runbook's settings (--workers 10 --sleep-ms 2000), in the same run.
 *
 *   npm run bench -- trades [--wallets 300] [--fills 300000] [--run-wallets 60]
 *
 * Prints wallets/s, trades/s, requests/s and the share of the Data-API's limit they use, and the
 * share of requests answered 429, both on the same wallets (the first N of the world, its busiest). The
 * simulator runs in a child process, so its CPU is not the engine's; rows go to memory tables, so
 * ClickHouse is not measured here (bench/fills.ts does that).
 */
import { Duration, Effect, Layer } from "effect"
import { layerJobEnv } from "../src/cli/jobLayers.js"
import { ALL_SHARDS, newUnit } from "../src/domain/units.js"
import { layerGovernorFromOptions } from "../src/layers/GovernorFromOptions.js"
import type { GovernorOptions } from "../src/layers/GovernorFromOptions.js"
import { layerMemory as layerHeartbeats } from "../src/layers/HeartbeatsMemory.js"
import { layerSilent } from "../src/layers/ProgressLive.js"
import { layerMemory as layerRows, MemoryTables } from "../src/layers/RowSinkMemory.js"
import { layerMemory as layerUnits } from "../src/layers/UnitStoreMemory.js"
import type { DataApiSource } from "../src/services/DataApiSource.js"
import { Sources } from "../src/services/Sources.js"
import { DEFAULT_TRADES_SETTINGS, TradesSettings } from "../src/services/TradesSettings.js"
import { UnitStore } from "../src/services/UnitStore.js"
import { DOCUMENTED_LIMITS } from "../src/simulator/config.js"
import { walletAddress, World, worldConfig } from "../src/simulator/index.js"
import { runJob } from "../src/streams/engine.js"
import { tradesFetcher, tradesJob, tradesPage } from "../src/streams/jobs/trades.js"
import type { Job } from "../src/streams/Job.js"
import type { Sim } from "./support.js"
import { fmt, runIfDirect, startSim, stopSim, value } from "./support.js"

/** The Data-API's general limit, requests per second (polymarket-sources.md §1). */
const DATA_LIMIT_PER_S = DOCUMENTED_LIMITS.find((r) => r.family === "data" && r.path === undefined)!.limit / 10

/** The job without its ClickHouse plan: the bench plans from the wallet list. */
const { probe: _probe, ...withoutProbe } = tradesJob
const fetchOnly: Job<DataApiSource> = { ...withoutProbe, plan: Effect.succeed([]), fetch: tradesFetcher(), page: tradesPage() }

interface Stats {
  readonly totals: { readonly requests: number; readonly rateLimited: number }
}
const stats = async (sim: Sim, reset = false): Promise<Stats> => (await fetch(`${sim.statsUrl}${reset ? "?reset=1" : ""}`)).json() as Promise<Stats>

interface Setting {
  readonly label: string
  readonly governor: GovernorOptions
  readonly unitWorkers: number
  readonly sleepMs: number
}

const runOnce = (sim: Sim, wallets: ReadonlyArray<string>, s: Setting) =>
  Effect.gen(function* () {
    const rows = new MemoryTables()
    const layers = Layer.mergeAll(
      layerUnits(),
      layerRows(rows),
      layerSilent,
      layerHeartbeats(),
      layerJobEnv(Layer.succeed(Sources, { gamma: sim.gammaUrl, dataApi: sim.dataApiUrl, goldsky: sim.goldskyUrl, rpc: [sim.rpcUrl] }), layerGovernorFromOptions(s.governor)),
      Layer.succeed(TradesSettings, { ...DEFAULT_TRADES_SETTINGS, top: undefined, wallets, sleepMs: s.sleepMs })
    )
    return yield* Effect.gen(function* () {
      // The plan as `plan trades --wallets-file` makes it (ranked in file order), without ClickHouse.
      yield* Effect.flatMap(UnitStore, (store) => store.save(wallets.map((w, i) => newUnit("trades", w, JSON.stringify({ rank: i + 1 })))))
      yield* Effect.promise(() => stats(sim, true))
      const summary = yield* runJob(fetchOnly, {
        runId: `bench-${s.label.replace(/\W+/g, "-")}`,
        workers: s.unitWorkers,
        sink: { batchSize: 5000, flushInterval: Duration.seconds(1) },
        checkpointInterval: 5000,
        selection: { retryErrors: false, shard: ALL_SHARDS, skip: 0, limit: undefined, since: undefined, until: undefined },
        say: () => Effect.void
      })
      const st = yield* Effect.promise(() => stats(sim))
      const seconds = summary.elapsedMs / 1000
      const perS = (n: number) => n / seconds
      console.log(
        `${s.label}\n` +
          `  ${fmt(summary.done)} wallets (${summary.errors} errors), ${fmt(summary.rows)} trades in ${fmt(seconds, 1)} s: ` +
          `${fmt(perS(summary.done), 1)} wallets/s, ${fmt(perS(summary.rows))} trades/s\n` +
          `  ${fmt(st.totals.requests)} requests, ${fmt(perS(st.totals.requests), 1)}/s = ${fmt((perS(st.totals.requests) / DATA_LIMIT_PER_S) * 100, 1)}% of the Data-API's ${DATA_LIMIT_PER_S}/s; ` +
          `429s ${fmt((st.totals.rateLimited / Math.max(1, st.totals.requests)) * 100, 2)}% of requests`
      )
      return { wallets: perS(summary.done), trades: perS(summary.rows) }
    }).pipe(Effect.provide(layers))
  })

export const main = async (argv: ReadonlyArray<string>) => {
  const walletCount = Number(value(argv, "--wallets") ?? "300")
  const fills = Number(value(argv, "--fills") ?? "300000")
  const runWallets = Number(value(argv, "--run-wallets") ?? "60")
  const worldArgs = ["--seed", "5", "--markets", "3000", "--wallets", String(walletCount), "--fills", String(fills)]
  const sim = await startSim([...worldArgs, "--profile", "realistic"])
  try {
    // The same world as the child's, for the addresses only.
    const world = new World(worldConfig({ seed: 5, markets: 3000, wallets: walletCount, fills }))
    const wallets = Array.from({ length: Math.min(runWallets, world.walletCount) }, (_, w) => walletAddress(world, w))
    console.log(`trades bench: ${fmt(wallets.length)} wallets of ${fmt(world.walletCount)}, ${fmt(fills)} fills, Data-API realistic (${DATA_LIMIT_PER_S * 10} requests/10 s, latency 40-200 ms)`)
    const ours = await Effect.runPromise(
      runOnce(sim, wallets, { label: "polybackfill: --workers auto, no pause", governor: { workers: "auto", min: undefined, max: undefined, rps: undefined }, unitWorkers: 256, sleepMs: 0 })
    )
    const runbook = await Effect.runPromise(
      runOnce(sim, wallets, { label: "runbook: --workers 10 --sleep-ms 2000", governor: { workers: 10, min: undefined, max: undefined, rps: undefined }, unitWorkers: 10, sleepMs: 2000 })
    )
    console.log(`polybackfill's defaults: ${fmt(ours.wallets / runbook.wallets, 1)}× the runbook's wallets/s and trades/s`)
  } finally {
    await stopSim(sim)
  }
}

runIfDirect(import.meta.url, main)
