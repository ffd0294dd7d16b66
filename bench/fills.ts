/**
 * The engine on the fills job, end to end: simulator (a child process, latency 50-150 ms, no rate
 * limit) -> Goldsky pages -> `polybackfill run fills` (the built CLI, a child process) -> the local
 * ClickHouse (or CLICKHOUSE_URL).
 *
 *   npm run bench -- fills [--markets 20000] [--fills 1000000] [--workers 256]
 *                          [--latency 50..150] [--no-128] [--quick]
 *
 * Prints markets/s, fills/s, requests/s and the peak RSS of the CLI process (the simulator runs in
 * its own), then, in the same run, how fast ClickHouse alone ingests the same rows
 * from a JSONEachRow file over HTTP (its physical limit here), and a second run with 128 workers and
 * 150 ms latency, whose markets/s compares with 128 / 0.15 s.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs"
import os, { tmpdir } from "node:os"
import { join } from "node:path"
import { Duration, Effect, Layer, Option, Schema } from "effect"
import { layerClickHouseFromOptions } from "../src/cli/clickhouseLayer.js"
import { layerJobEnv } from "../src/cli/jobLayers.js"
import { ALL_SHARDS } from "../src/domain/units.js"
import { layerFixed } from "../src/layers/GovernorFixed.js"
import { MIGRATIONS } from "../src/layers/migrations/index.js"
import { layerLogLines } from "../src/layers/ProgressLive.js"
import { layerClickHouse as layerRowSink } from "../src/layers/RowSinkClickHouse.js"
import { layerClickHouse as layerUnits } from "../src/layers/UnitStoreClickHouse.js"
import { ClickHouse } from "../src/services/ClickHouse.js"
import { Sources } from "../src/services/Sources.js"
import { emptyDatabase } from "../src/streams/demo.js"
import type { SummaryLine } from "../src/streams/engine.js"
import { runJob } from "../src/streams/engine.js"
import { findJob } from "../src/streams/jobs/index.js"
import { migrate } from "../src/streams/migrate.js"
import { planJob } from "../src/streams/plan.js"
import type { Sim } from "./support.js"
import { checkBuilt, clickhouseHttp, cpuSecondsOf, fmt, localClickHousePid, runCliJob, runIfDirect, simRequests, startSim, stopSim, value } from "./support.js"

const DATABASE = "polybackfill_bench"

interface FillsRun {
  readonly summary: SummaryLine
  readonly seconds: number
  readonly requests: number
  readonly peakRssMb: number
  readonly engineCpu: number
  readonly simCpu: number
  readonly clickhouseCpu: number | undefined
}

const jobLayers = (sim: Sim, workers: number) =>
  Layer.mergeAll(
    layerUnits,
    layerRowSink,
    layerLogLines,
    layerJobEnv(Layer.succeed(Sources, { gamma: sim.gammaUrl, dataApi: "", goldsky: sim.goldskyUrl, rpc: [] }), layerFixed(workers))
  )

const runFills = (sim: Sim, workers: number) =>
  Effect.gen(function* () {
    const fills = findJob("fills")!
    yield* planJob(fills, { rebuild: true })
    yield* Effect.promise(() => simRequests(sim, true))
    const sim0 = cpuSecondsOf(sim.child.pid)
    const chPid = localClickHousePid()
    const ch0 = cpuSecondsOf(chPid)
    const clickhouse = yield* ClickHouse
    const run = yield* Effect.promise(() =>
      runCliJob("fills", ["--workers", String(workers), "--database", clickhouse.database, "--goldsky-url", sim.goldskyUrl, "--batch-size", "5000", "--flush-interval", "2s", "--checkpoint-interval", "5000"])
    )
    const simCpu = cpuSecondsOf(sim.child.pid) - sim0
    const clickhouseCpu = chPid === undefined ? undefined : cpuSecondsOf(chPid) - ch0
    const requests = yield* Effect.promise(() => simRequests(sim))
    return {
      summary: run.summary,
      seconds: run.seconds,
      requests,
      peakRssMb: run.peakRssMb,
      engineCpu: run.cpu,
      simCpu,
      clickhouseCpu
    } satisfies FillsRun
  }).pipe(Effect.provide(jobLayers(sim, workers)))

/**
 * CPU per market of the three processes, and the markets/s the machine's cores could give at those
 * costs: when the run is close to that ceiling, the machine is the limit, not the engine alone.
 */
const cpuBudget = (r: FillsRun): string => {
  const markets = r.summary.done + r.summary.errors
  if (markets === 0 || r.clickhouseCpu === undefined) return "  CPU/market   (unknown: ClickHouse is not the local server)"
  const ms = (cpu: number) => (cpu * 1000) / markets
  const total = ms(r.engineCpu) + ms(r.simCpu) + ms(r.clickhouseCpu)
  const cores = os.cpus().length
  return (
    `  CPU/market   engine ${fmt(ms(r.engineCpu), 2)} ms, simulator ${fmt(ms(r.simCpu), 2)} ms, ClickHouse ${fmt(ms(r.clickhouseCpu), 2)} ms: ` +
    `${fmt(total, 2)} ms in all, so ${cores} cores give at most ${fmt((cores * 1000) / total)} markets/s at these costs`
  )
}

const clickhouseShare = (r: FillsRun): string =>
  r.clickhouseCpu === undefined ? "" : `, ClickHouse ${fmt(r.clickhouseCpu, 1)} s (${fmt((r.clickhouseCpu / r.seconds) * 100)}%)`

export interface FillsBenchOptions {
  readonly markets: number
  readonly fills: number
  readonly workers: number
  readonly latency: string
  readonly with128: boolean
}

export const runFillsBench = (o: FillsBenchOptions) =>
  Effect.gen(function* () {
    yield* Effect.sync(checkBuilt)
    const worldArgs = ["--markets", String(o.markets), "--fills", String(o.fills), "--wallets", "5000", "--from", "2026-03-01", "--to", "2026-04-27"]
    console.log(`fills bench: ${fmt(o.markets)} markets, ~${fmt(o.fills)} fills (all in the subgraph's era), latency ${o.latency} ms, no rate limit, ${o.workers} workers`)
    const clickhouse = yield* ClickHouse
    yield* emptyDatabase
    yield* migrate(MIGRATIONS, () => Effect.void)
    console.log(`clickhouse: ${clickhouse.database} at ${clickhouse.displayUrl}`)

    const sim = yield* Effect.promise(() => startSim([...worldArgs, "--latency", o.latency]))
    const main = yield* Effect.gen(function* () {
      const markets = findJob("markets")!
      yield* planJob(markets, { rebuild: true })
      const m = yield* runJob(markets, {
        runId: "bench-markets",
        workers: 2,
        sink: { batchSize: 5000, flushInterval: Duration.seconds(1) },
        checkpointInterval: 5000,
        selection: { retryErrors: false, shard: ALL_SHARDS, skip: 0, limit: undefined, since: undefined, until: undefined }
      })
      console.log(`markets job: ${fmt(m.rows)} rows in ${fmt(m.elapsedMs / 1000, 1)} s`)
      return yield* runFills(sim, o.workers)
    }).pipe(Effect.provide(jobLayers(sim, o.workers)), Effect.ensuring(Effect.promise(() => stopSim(sim))))

    // ClickHouse alone: the same rows from a pre-built JSONEachRow file, one HTTP insert.
    const dir = mkdtempSync(join(tmpdir(), "pb-bench-"))
    const file = join(dir, "clob_fills.jsonl")
    const base = clickhouse.displayUrl
    const db = clickhouse.database
    yield* Effect.promise(() => clickhouseHttp(base, `SELECT * FROM ${db}.clob_fills FINAL FORMAT JSONEachRow`, { download: file }))
    yield* clickhouse.command(`DROP TABLE IF EXISTS ${db}.clob_fills_raw`)
    yield* clickhouse.command(`CREATE TABLE ${db}.clob_fills_raw AS ${db}.clob_fills`)
    const r0 = performance.now()
    yield* Effect.promise(() => clickhouseHttp(base, `INSERT INTO ${db}.clob_fills_raw FORMAT JSONEachRow`, { upload: file }))
    const rawSeconds = (performance.now() - r0) / 1000
    const rawRows = (yield* clickhouse.query(`SELECT count() AS n FROM ${db}.clob_fills_raw`, Schema.Struct({ n: Schema.NumberFromString })))[0]!.n
    const fileMb = statSync(file).size / 1e6
    rmSync(dir, { recursive: true, force: true })
    yield* clickhouse.command(`DROP TABLE IF EXISTS ${db}.clob_fills_raw`)
    const finalRows = (yield* clickhouse.query(`SELECT count() AS n FROM ${db}.clob_fills FINAL`, Schema.Struct({ n: Schema.NumberFromString })))[0]!.n

    let at128: FillsRun | undefined
    if (o.with128) {
      const slow = yield* Effect.promise(() => startSim([...worldArgs, "--latency", "150..150"]))
      at128 = yield* Effect.gen(function* () {
        return yield* runFills(slow, 128)
      }).pipe(Effect.ensuring(Effect.promise(() => stopSim(slow))))
    }

    const s = main.summary
    const rawRate = rawRows / rawSeconds
    const fillsRate = s.rows / main.seconds
    console.log("")
    console.log(`fills run (${o.workers} workers, latency ${o.latency} ms)`)
    console.log(`  markets      ${fmt(s.done)} done, ${fmt(s.errors)} errors in ${fmt(main.seconds, 1)} s: ${fmt(s.done / main.seconds, 1)} markets/s`)
    console.log(`  fills        ${fmt(s.rows)} rows (${fmt(finalRows)} after FINAL): ${fmt(fillsRate)} fills/s in ${fmt(s.inserts)} inserts`)
    console.log(`  requests     ${fmt(main.requests)}: ${fmt(main.requests / main.seconds, 1)} requests/s`)
    console.log(`  peak RSS     ${fmt(main.peakRssMb)} MB (the "polybackfill run fills" process; the simulator runs apart)`)
    console.log(`  CPU          engine ${fmt(main.engineCpu, 1)} s (${fmt((main.engineCpu / main.seconds) * 100)}% of a core), simulator ${fmt(main.simCpu, 1)} s (${fmt((main.simCpu / main.seconds) * 100)}%)${clickhouseShare(main)}, on ${os.cpus().length} cores; load average ${os.loadavg()[0]!.toFixed(1)}`)
    console.log(cpuBudget(main))
    console.log(`clickhouse alone: ${fmt(rawRows)} rows (${fmt(fileMb, 1)} MB JSONEachRow) in ${fmt(rawSeconds, 2)} s: ${fmt(rawRate)} rows/s`)
    console.log(`  engine / raw: ${fmt(fillsRate / rawRate, 2)} (target >= 0.5)`)
    if (at128 !== undefined) {
      const perSec = at128.summary.done / at128.seconds
      const ideal = 128 / 0.15
      console.log(`128 workers, 150 ms latency: ${fmt(at128.summary.done)} markets in ${fmt(at128.seconds, 1)} s: ${fmt(perSec, 1)} markets/s, ` +
        `${fmt(at128.requests / at128.seconds, 1)} requests/s = ${fmt((perSec / ideal) * 100, 0)}% of 128 / 0.15 s = ${fmt(ideal)} markets/s ` +
        `(target >= 70%; requests/s ${fmt((at128.requests / at128.seconds / ideal) * 100, 0)}%; the seeds' best: 109 markets/s)`)
      console.log(`  peak RSS ${fmt(at128.peakRssMb)} MB; CPU engine ${fmt((at128.engineCpu / at128.seconds) * 100)}% of a core, simulator ${fmt((at128.simCpu / at128.seconds) * 100)}%${clickhouseShare(at128)}`)
      console.log(cpuBudget(at128))
    }
  }).pipe(
    Effect.provide(layerClickHouseFromOptions({ clickhouseUrl: Option.none(), database: Option.some(DATABASE), stateDir: ".polybackfill" }, { createDatabase: true }))
  )

export const main = async (argv: ReadonlyArray<string>): Promise<void> => {
  const quick = argv.includes("--quick")
  await Effect.runPromise(
    runFillsBench({
      markets: Number(value(argv, "--markets") ?? (quick ? 2000 : 20_000)),
      fills: Number(value(argv, "--fills") ?? (quick ? 100_000 : 1_000_000)),
      workers: Number(value(argv, "--workers") ?? 256),
      latency: value(argv, "--latency") ?? "50..150",
      with128: !argv.includes("--no-128")
    }).pipe(Effect.orDie)
  )
}

runIfDirect(import.meta.url, main)
