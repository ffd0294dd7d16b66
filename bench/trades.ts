/**
 * The trades job under the simulator's realistic Data-API (1,000 requests per 10 s, 40-200 ms
 * latency, rare 5xx and hangs, 429s in Cloudflare HTML): polybackfill's defaults (--workers auto, no
 * pause) against the runbook's settings (--workers 10 --sleep-ms 2000), in the same run.
 *
 *   npm run bench -- trades [--wallets 300] [--fills 300000] [--runbook-wallets 60]
 *
 * Prints wallets/s, trades/s, requests/s and the share of the Data-API's limit they use, and the
 * share of requests answered 429. The simulator runs in this process (the Data-API is the limit, not
 * CPU); rows go to memory tables, so ClickHouse is not measured here (bench/fills.ts does that).
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
import { simulatorSources, startSimulator, walletAddress } from "../src/simulator/index.js"
import type { SimulatorHandle } from "../src/simulator/index.js"
import { runJob } from "../src/streams/engine.js"
import { tradesFetcher, tradesJob, tradesPage } from "../src/streams/jobs/trades.js"
import type { Job } from "../src/streams/Job.js"
import { fmt, runIfDirect, value } from "./support.js"

/** The Data-API's general limit, requests per second (polymarket-sources.md §1). */
const DATA_LIMIT_PER_S = DOCUMENTED_LIMITS.find((r) => r.family === "data" && r.path === undefined)!.limit / 10

/** The job without its ClickHouse plan: the bench plans from the wallet list. */
const fetchOnly: Job<DataApiSource> = { ...tradesJob, plan: Effect.succeed([]), fetch: tradesFetcher(), page: tradesPage() }

interface Stats {
  readonly totals: { readonly requests: number; readonly rateLimited: number }
}
const stats = async (sim: SimulatorHandle, reset = false): Promise<Stats> => (await fetch(`${sim.statsUrl}${reset ? "?reset=1" : ""}`)).json() as Promise<Stats>

interface Setting {
  readonly label: string
  readonly governor: GovernorOptions
  readonly unitWorkers: number
  readonly sleepMs: number
  readonly wallets: number
}

const runOnce = (sim: SimulatorHandle, wallets: ReadonlyArray<string>, s: Setting) =>
  Effect.gen(function* () {
    const rows = new MemoryTables()
    const layers = Layer.mergeAll(
      layerUnits(),
      layerRows(rows),
      layerSilent,
      layerHeartbeats(),
      layerJobEnv(Layer.succeed(Sources, simulatorSources(sim)), layerGovernorFromOptions(s.governor)),
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
        selection: { retryErrors: false, shard: ALL_SHARDS, skip: 0, limit: s.wallets, since: undefined, until: undefined },
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
  const runbookWallets = Number(value(argv, "--runbook-wallets") ?? "60")
  const sim = await startSimulator({ world: { seed: 5, markets: 3000, wallets: walletCount, fills }, profile: "realistic" })
  try {
    const wallets = Array.from({ length: sim.world.walletCount }, (_, w) => walletAddress(sim.world, w))
    console.log(`trades bench: ${fmt(wallets.length)} wallets, ${fmt(fills)} fills, Data-API realistic (${DATA_LIMIT_PER_S * 10} requests/10 s, latency 40-200 ms)`)
    const ours = await Effect.runPromise(
      runOnce(sim, wallets, { label: "polybackfill: --workers auto, no pause", governor: { workers: "auto", min: undefined, max: undefined, rps: undefined }, unitWorkers: 256, sleepMs: 0, wallets: wallets.length })
    )
    const runbook = await Effect.runPromise(
      runOnce(sim, wallets, { label: `runbook: --workers 10 --sleep-ms 2000 (first ${runbookWallets} wallets)`, governor: { workers: 10, min: undefined, max: undefined, rps: undefined }, unitWorkers: 10, sleepMs: 2000, wallets: runbookWallets })
    )
    console.log(`polybackfill's defaults: ${fmt(ours.wallets / runbook.wallets, 1)}× the runbook's wallets/s, ${fmt(ours.trades / runbook.trades, 1)}× its trades/s`)
  } finally {
    await sim.close()
  }
}

runIfDirect(import.meta.url, main)
