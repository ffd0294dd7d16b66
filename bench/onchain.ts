/**
 * The onchain job end to end: simulator (a child process; eth_getLogs capped at 10,000 results, 100 ms
 * latency) -> `polybackfill run onchain` (the built CLI, a child process) -> the local ClickHouse.
 *
 *   npm run bench -- onchain [--markets 4000] [--fills 400000] [--days 6] [--workers 16] [--quick]
 *
 * Two runs in one: the adaptive eth_getLogs span against a span pinned at 1,000 blocks
 * (`--log-range 1000 --max-log-range 1000`). Prints logs/s and days/s, requests, the engine's CPU per
 * log and peak RSS, and how fast ClickHouse alone ingests the same rows from JSONEachRow files.
 */
import { mkdtempSync, rmSync } from "node:fs"
import os, { tmpdir } from "node:os"
import { join } from "node:path"
import { Duration, Effect, Layer, Option, Schema } from "effect"
import { layerClickHouseFromOptions } from "../src/cli/clickhouseLayer.js"
import { layerJobEnv } from "../src/cli/jobLayers.js"
import { layerOnchainSettings } from "../src/cli/onchainOptions.js"
import { dayOf } from "../src/domain/chainDays.js"
import { ALL_SHARDS } from "../src/domain/units.js"
import { layerFixed } from "../src/layers/GovernorFixed.js"
import { MIGRATIONS } from "../src/layers/migrations/index.js"
import { layerLogLines } from "../src/layers/ProgressLive.js"
import { layerClickHouse as layerRowSink } from "../src/layers/RowSinkClickHouse.js"
import { layerClickHouse as layerUnits } from "../src/layers/UnitStoreClickHouse.js"
import { ClickHouse } from "../src/services/ClickHouse.js"
import { Sources } from "../src/services/Sources.js"
import { World, worldConfig } from "../src/simulator/index.js"
import { txsInBlocks } from "../src/simulator/ledger.js"
import { emptyDatabase } from "../src/streams/demo.js"
import { runJob } from "../src/streams/engine.js"
import { findJob } from "../src/streams/jobs/index.js"
import { migrate } from "../src/streams/migrate.js"
import { planJob } from "../src/streams/plan.js"
import type { Sim } from "./support.js"
import { checkBuilt, clickhouseHttp, cpuSecondsOf, fmt, localClickHousePid, runCliJob, runIfDirect, startSim, stopSim, value } from "./support.js"

const DATABASE = "polybackfill_bench_onchain"
const TABLES = ["clob_fills", "erc1155_transfers", "erc20_transfers", "market_resolutions"] as const

interface GetLogsStats {
  readonly endpoints: Record<string, { requests: number }>
  readonly getLogs: ReadonlyArray<{ readonly from: number; readonly to: number; readonly refused: boolean }>
}
const simStats = async (sim: Sim, reset = false) => (await (await fetch(`${sim.statsUrl}${reset ? "?reset=1" : ""}`)).json()) as GetLogsStats

/** Logs the job asks for (every kind, OrdersMatched aside), from the world's ledger. */
const logsInWorld = (world: World): number => {
  let n = 0
  for (const tx of txsInBlocks(world, world.firstBlock, world.headBlock)) n += tx.logs.filter((l) => l.t !== "matched").length
  return n
}

const jobLayers = (sim: Sim, from: string, to: string) =>
  Layer.mergeAll(
    layerUnits,
    layerRowSink,
    layerLogLines,
    layerOnchainSettings({ window: { by: "dates", from, to } }),
    layerJobEnv(Layer.succeed(Sources, { gamma: sim.gammaUrl, dataApi: "", goldsky: sim.goldskyUrl, rpc: [sim.rpcUrl] }), layerFixed(4), findJob("onchain"))
  )

const runOnchain = (sim: Sim, workers: number, spanArgs: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const clickhouse = yield* ClickHouse
    for (const t of TABLES) yield* clickhouse.command(`TRUNCATE TABLE IF EXISTS ${t}`)
    yield* planJob(findJob("onchain")!, { rebuild: true })
    yield* Effect.promise(() => simStats(sim, true))
    const sim0 = cpuSecondsOf(sim.child.pid)
    const chPid = localClickHousePid()
    const ch0 = cpuSecondsOf(chPid)
    const run = yield* Effect.promise(() =>
      runCliJob("onchain", ["--workers", String(workers), "--database", clickhouse.database, "--rpc-url", sim.rpcUrl, "--batch-size", "5000", "--flush-interval", "2s", ...spanArgs])
    )
    const stats = yield* Effect.promise(() => simStats(sim))
    return {
      ...run,
      simCpu: cpuSecondsOf(sim.child.pid) - sim0,
      clickhouseCpu: chPid === undefined ? undefined : cpuSecondsOf(chPid) - ch0,
      requests: Object.values(stats.endpoints).reduce((n, e) => n + e.requests, 0),
      getLogs: stats.getLogs.length,
      refused: stats.getLogs.filter((c) => c.refused).length
    }
  })

type OnchainRun = Effect.Effect.Success<ReturnType<typeof runOnchain>>

/** ClickHouse alone: each table's rows from a JSONEachRow file, one HTTP insert each, timed together. */
const rawIngest = Effect.gen(function* () {
  const clickhouse = yield* ClickHouse
  const dir = mkdtempSync(join(tmpdir(), "pb-bench-onchain-"))
  const base = clickhouse.displayUrl
  const db = clickhouse.database
  let seconds = 0
  let rows = 0
  for (const t of TABLES) {
    const file = join(dir, `${t}.jsonl`)
    yield* Effect.promise(() => clickhouseHttp(base, `SELECT * FROM ${db}.${t} FINAL FORMAT JSONEachRow`, { download: file }))
    yield* clickhouse.command(`DROP TABLE IF EXISTS ${db}.${t}_raw`)
    yield* clickhouse.command(`CREATE TABLE ${db}.${t}_raw AS ${db}.${t}`)
    const t0 = performance.now()
    yield* Effect.promise(() => clickhouseHttp(base, `INSERT INTO ${db}.${t}_raw FORMAT JSONEachRow`, { upload: file }))
    seconds += (performance.now() - t0) / 1000
    rows += (yield* clickhouse.query(`SELECT count() AS n FROM ${db}.${t}_raw`, Schema.Struct({ n: Schema.NumberFromString })))[0]!.n
    yield* clickhouse.command(`DROP TABLE IF EXISTS ${db}.${t}_raw`)
  }
  rmSync(dir, { recursive: true, force: true })
  return { rows, seconds }
})

const report = (label: string, r: OnchainRun, logs: number, days: number) => {
  const s = r.summary
  console.log(`${label}`)
  console.log(`  days         ${fmt(s.done)} done, ${fmt(s.errors)} errors in ${fmt(r.seconds, 1)} s: ${fmt(s.done / r.seconds, 2)} days/s`)
  console.log(`  logs         ${fmt(logs)}: ${fmt(logs / r.seconds)} logs/s; ${fmt(s.rows)} rows (${fmt(s.rows / r.seconds)} rows/s) in ${fmt(s.inserts)} inserts`)
  console.log(`  requests     ${fmt(r.requests)} (${fmt(r.getLogs)} eth_getLogs, ${fmt(r.refused)} refused by the 10,000-result cap): ${fmt(r.getLogs / days, 1)} per day`)
  console.log(`  peak RSS     ${fmt(r.peakRssMb)} MB (the "polybackfill run onchain" process)`)
  console.log(
    `  CPU          engine ${fmt(r.cpu, 1)} s = ${fmt((r.cpu * 1e6) / logs, 1)} µs per log, simulator ${fmt(r.simCpu, 1)} s` +
      `${r.clickhouseCpu === undefined ? "" : `, ClickHouse ${fmt(r.clickhouseCpu, 1)} s`} on ${os.cpus().length} cores`
  )
}

export interface OnchainBenchOptions {
  readonly markets: number
  readonly fills: number
  readonly days: number
  readonly workers: number
}

export const runOnchainBench = (o: OnchainBenchOptions) =>
  Effect.gen(function* () {
    yield* Effect.sync(checkBuilt)
    // Half the days before the 2026-04-28 switch, half after.
    const first = Date.UTC(2026, 3, 28) / 1000 - Math.floor(o.days / 2) * 86_400
    const from = dayOf(first)
    const to = dayOf(first + (o.days - 1) * 86_400)
    const world = new World(worldConfig({ markets: o.markets, fills: o.fills, wallets: 5000, from, to }))
    const logs = logsInWorld(world)
    console.log(`onchain bench: ${o.days} days (${from}..${to}, across the V2 switch), ${fmt(o.markets)} markets, ${fmt(logs)} logs; eth_getLogs capped at 10,000 results, latency 100 ms, ${o.workers} workers`)
    const clickhouse = yield* ClickHouse
    yield* emptyDatabase
    yield* migrate(MIGRATIONS, () => Effect.void)
    const sim = yield* Effect.promise(() =>
      startSim(["--markets", String(o.markets), "--fills", String(o.fills), "--wallets", "5000", "--from", from, "--to", to, "--latency", "100..100", "--max-logs", "10000"])
    )
    const [adaptive, fixed] = yield* Effect.gen(function* () {
      const markets = findJob("markets")!
      yield* planJob(markets, { rebuild: true })
      yield* runJob(markets, {
        runId: "bench-markets",
        workers: 2,
        sink: { batchSize: 5000, flushInterval: Duration.seconds(1) },
        checkpointInterval: 5000,
        selection: { retryErrors: false, shard: ALL_SHARDS, skip: 0, limit: undefined, since: undefined, until: undefined }
      })
      const adaptive = yield* runOnchain(sim, o.workers, [])
      const fixed = yield* runOnchain(sim, o.workers, ["--log-range", "1000", "--max-log-range", "1000"])
      return [adaptive, fixed] as const
    }).pipe(Effect.provide(jobLayers(sim, from, to)), Effect.ensuring(Effect.promise(() => stopSim(sim))))
    const raw = yield* rawIngest
    const rawRate = raw.rows / raw.seconds
    console.log(`clickhouse: ${clickhouse.database} at ${clickhouse.displayUrl}`)
    console.log("")
    report("adaptive span (starts at 1,000 blocks, doubles until refused, then +25% per answer)", adaptive, logs, o.days)
    report("fixed span of 1,000 blocks", fixed, logs, o.days)
    console.log(`  adaptive / fixed: ${fmt(fixed.seconds / adaptive.seconds, 2)}x the speed, ${fmt(adaptive.getLogs / Math.max(1, fixed.getLogs), 2)}x the eth_getLogs requests`)
    console.log(`clickhouse alone: ${fmt(raw.rows)} rows of the four tables from JSONEachRow files in ${fmt(raw.seconds, 2)} s: ${fmt(rawRate)} rows/s`)
    console.log(`  engine / raw: ${fmt(adaptive.summary.rows / adaptive.seconds / rawRate, 2)} (adaptive run's rows/s over ClickHouse's own)`)
  }).pipe(
    Effect.provide(layerClickHouseFromOptions({ clickhouseUrl: Option.none(), database: Option.some(DATABASE), stateDir: ".polybackfill" }, { createDatabase: true }))
  )

export const main = async (argv: ReadonlyArray<string>): Promise<void> => {
  const quick = argv.includes("--quick")
  await Effect.runPromise(
    runOnchainBench({
      markets: Number(value(argv, "--markets") ?? (quick ? 1000 : 4000)),
      fills: Number(value(argv, "--fills") ?? (quick ? 60_000 : 400_000)),
      days: Number(value(argv, "--days") ?? (quick ? 3 : 6)),
      workers: Number(value(argv, "--workers") ?? 16)
    }).pipe(Effect.orDie)
  )
}

runIfDirect(import.meta.url, main)
