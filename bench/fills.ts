/**
 * The engine on the fills job, end to end: simulator (a child process, latency 50-150 ms, no rate
 * limit) -> Goldsky pages -> `polybackfill run fills` (the built CLI, a child process) -> the local
 * ClickHouse (or CLICKHOUSE_URL).
 *
 *   npm run bench -- fills [--markets 20000] [--fills 1000000] [--workers 256]
 *                          [--latency 50..150] [--no-128] [--quick] [--clickhouse-url embedded]
 *
 * Prints markets/s, fills/s, requests/s and the peak RSS of the CLI process (the simulator runs in
 * its own), then, in the same run, how fast ClickHouse alone ingests the same rows
 * from a JSONEachRow file over HTTP (its physical limit here), and a second run with 128 workers and
 * 150 ms latency, whose markets/s compares with 128 / 0.15 s. With `--clickhouse-url embedded`, the
 * same fills run again on the embedded engine (chdb, inside the CLI process), and the two are printed
 * side by side: rows/s, CPU per row (the CLI's, plus the server's for the managed server), peak RSS.
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
import { checkBuilt, clickhouseHttp, cpuSecondsOf, fmt, localClickHousePid, peakRssMbOf, runCliJob, runIfDirect, simRequests, startSim, stopSim, value } from "./support.js"

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

/**
 * `polybackfill run fills` over the planned units, measured: wall time, requests, the CLI's CPU and
 * peak RSS, the simulator's CPU and, for the local server (`clickhousePid`), ClickHouse's CPU.
 */
const measureFillsCli = (sim: Sim, workers: number, database: string, extraArgs: ReadonlyArray<string>, clickhousePid: number | undefined) =>
  Effect.gen(function* () {
    yield* Effect.promise(() => simRequests(sim, true))
    const sim0 = cpuSecondsOf(sim.child.pid)
    const ch0 = cpuSecondsOf(clickhousePid)
    const run = yield* Effect.promise(() =>
      runCliJob("fills", ["--workers", String(workers), "--database", database, "--goldsky-url", sim.goldskyUrl, "--batch-size", "5000", "--flush-interval", "2s", "--checkpoint-interval", "5000", ...extraArgs])
    )
    return {
      summary: run.summary,
      seconds: run.seconds,
      requests: yield* Effect.promise(() => simRequests(sim)),
      peakRssMb: run.peakRssMb,
      engineCpu: run.cpu,
      simCpu: cpuSecondsOf(sim.child.pid) - sim0,
      clickhouseCpu: clickhousePid === undefined ? undefined : cpuSecondsOf(clickhousePid) - ch0
    } satisfies FillsRun
  })

const runFills = (sim: Sim, workers: number) =>
  Effect.gen(function* () {
    yield* planJob(findJob("fills")!, { rebuild: true })
    const clickhouse = yield* ClickHouse
    return yield* measureFillsCli(sim, workers, clickhouse.database, [], localClickHousePid())
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
  /** Also run the fills on the embedded engine and compare (`--clickhouse-url embedded`). */
  readonly embedded: boolean
}

interface EmbeddedRun {
  readonly run: FillsRun
  readonly finalRows: number
}

const marketsFirst = Effect.gen(function* () {
  const markets = findJob("markets")!
  yield* planJob(markets, { rebuild: true })
  return yield* runJob(markets, {
    runId: "bench-markets",
    workers: 2,
    sink: { batchSize: 5000, flushInterval: Duration.seconds(1) },
    checkpointInterval: 5000,
    selection: { retryErrors: false, shard: ALL_SHARDS, skip: 0, limit: undefined, since: undefined, until: undefined }
  })
})

/**
 * The same fills run on the embedded engine: this process migrates and plans, then lets go of the
 * engine (it lives in one process), and `polybackfill run fills --clickhouse-url embedded` runs with
 * ClickHouse inside it, so its CPU and peak RSS include the engine's.
 */
const runOnEmbedded = (o: FillsBenchOptions, worldArgs: ReadonlyArray<string>): Effect.Effect<EmbeddedRun, unknown> =>
  Effect.gen(function* () {
    const stateDir = mkdtempSync(join(tmpdir(), "pb-bench-embedded-"))
    const embedded = layerClickHouseFromOptions({ clickhouseUrl: Option.some("embedded"), database: Option.some(DATABASE), stateDir }, { createDatabase: true })
    const sim = yield* Effect.promise(() => startSim([...worldArgs, "--latency", o.latency]))
    return yield* Effect.gen(function* () {
      yield* Effect.gen(function* () {
        yield* migrate(MIGRATIONS, () => Effect.void)
        // The unit store checks for its table when it is built: after the migration.
        const m = yield* marketsFirst.pipe(Effect.provide(jobLayers(sim, o.workers)))
        console.log(`embedded: markets job: ${fmt(m.rows)} rows in ${fmt(m.elapsedMs / 1000, 1)} s`)
        yield* planJob(findJob("fills")!, { rebuild: true }).pipe(Effect.provide(jobLayers(sim, o.workers)))
      }).pipe(Effect.provide(embedded))
      const fillsRun = yield* measureFillsCli(sim, o.workers, DATABASE, ["--clickhouse-url", "embedded", "--state-dir", stateDir], undefined)
      const finalRows = yield* Effect.flatMap(ClickHouse, (ch) =>
        ch.query(`SELECT count() AS n FROM clob_fills FINAL`, Schema.Struct({ n: Schema.NumberFromString }))
      ).pipe(Effect.map((rows) => rows[0]!.n), Effect.provide(embedded))
      return { run: fillsRun, finalRows }
    }).pipe(
      Effect.ensuring(Effect.promise(() => stopSim(sim))),
      Effect.ensuring(Effect.sync(() => rmSync(stateDir, { recursive: true, force: true })))
    )
  })

/** The managed server's run and the embedded one, side by side. */
const printSideBySide = (server: FillsRun, serverPid: number | undefined, embedded: EmbeddedRun): void => {
  const perRowUs = (cpu: number, rows: number) => (rows > 0 ? (cpu * 1e6) / rows : 0)
  const e = embedded.run
  const row = (label: string, a: string, b: string) => console.log(`  ${label.padEnd(16)}${a.padEnd(52)}${b}`)
  console.log("")
  console.log("managed server vs embedded (the same fills run, the same world)")
  row("", "managed server", "embedded (chdb in the CLI)")
  row("rows", fmt(server.summary.rows), fmt(e.summary.rows))
  row("wall time", `${fmt(server.seconds, 1)} s`, `${fmt(e.seconds, 1)} s`)
  row("rows/s", fmt(server.summary.rows / server.seconds), fmt(e.summary.rows / e.seconds))
  row("markets/s", fmt(server.summary.done / server.seconds, 1), fmt(e.summary.done / e.seconds, 1))
  const serverCh = server.clickhouseCpu
  row(
    "CPU per row",
    `${fmt(perRowUs(server.engineCpu + (serverCh ?? 0), server.summary.rows), 1)} µs (CLI ${fmt(perRowUs(server.engineCpu, server.summary.rows), 1)} + server ${serverCh === undefined ? "?" : fmt(perRowUs(serverCh, server.summary.rows), 1)})`,
    `${fmt(perRowUs(e.engineCpu, e.summary.rows), 1)} µs (CLI with the engine inside)`
  )
  row("peak RSS", `${fmt(server.peakRssMb)} MB CLI (+ server ${fmt(peakRssMbOf(serverPid))} MB since its start)`, `${fmt(e.peakRssMb)} MB CLI, engine included`)
  row("simulator CPU", `${fmt(server.simCpu, 1)} s`, `${fmt(e.simCpu, 1)} s`)
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
      const m = yield* marketsFirst
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
    if (o.embedded) {
      const embedded = yield* runOnEmbedded(o, worldArgs)
      console.log(`embedded: ${fmt(embedded.finalRows)} fills after FINAL (managed server: ${fmt(finalRows)})`)
      printSideBySide(main, localClickHousePid(), embedded)
    }
  }).pipe(
    Effect.provide(layerClickHouseFromOptions({ clickhouseUrl: Option.none(), database: Option.some(DATABASE), stateDir: ".polybackfill" }, { createDatabase: true }))
  )

/** The bench's own ClickHouse is the managed server (or CLICKHOUSE_URL); the flag adds the embedded engine. */
const embeddedChosen = (url: string | undefined): boolean => {
  if (url === undefined) return false
  if (url === "embedded") return true
  throw new Error(`--clickhouse-url takes only "embedded" here (compared with the managed server); for a server of yours set CLICKHOUSE_URL`)
}

export const main = async (argv: ReadonlyArray<string>): Promise<void> => {
  const quick = argv.includes("--quick")
  await Effect.runPromise(
    runFillsBench({
      markets: Number(value(argv, "--markets") ?? (quick ? 2000 : 20_000)),
      fills: Number(value(argv, "--fills") ?? (quick ? 100_000 : 1_000_000)),
      workers: Number(value(argv, "--workers") ?? 256),
      latency: value(argv, "--latency") ?? "50..150",
      with128: !argv.includes("--no-128"),
      embedded: embeddedChosen(value(argv, "--clickhouse-url"))
    }).pipe(Effect.orDie)
  )
}

runIfDirect(import.meta.url, main)
