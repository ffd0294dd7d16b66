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
import { spawn } from "node:child_process"
import type { ChildProcess } from "node:child_process"
import { createReadStream, createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs"
import { request } from "node:http"
import os, { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { createInterface } from "node:readline"
import { pipeline } from "node:stream/promises"
import { fileURLToPath, pathToFileURL } from "node:url"
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
import { parseSummary, runJob } from "../src/streams/engine.js"
import { findJob } from "../src/streams/jobs/index.js"
import { migrate } from "../src/streams/migrate.js"
import { planJob } from "../src/streams/plan.js"

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const DATABASE = "polybackfill_bench"

interface Sim {
  readonly gammaUrl: string
  readonly goldskyUrl: string
  readonly statsUrl: string
  readonly child: ChildProcess
}

/** `polybackfill simulate` in a child process, so its CPU and memory are not the engine's. */
const startSim = (args: ReadonlyArray<string>): Promise<Sim> =>
  new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(ROOT, "node_modules", "vite-node", "vite-node.mjs"), "--root", ROOT, join(ROOT, "src", "main.ts"), "--", "simulate", "--port", "0", ...args], {
      stdio: ["ignore", "pipe", "inherit"]
    })
    const urls: Record<string, string> = {}
    const lines = createInterface({ input: child.stdout! })
    lines.on("line", (line) => {
      const m = /--(gamma-url|goldsky-url) (\S+)/.exec(line)
      if (m !== null) urls[m[1]!] = m[2]!
      const s = /stats: (\S+)/.exec(line)
      if (s !== null) urls["stats"] = s[1]!
      if (line.startsWith("Serving on")) {
        resolvePromise({ gammaUrl: urls["gamma-url"]!, goldskyUrl: urls["goldsky-url"]!, statsUrl: urls["stats"]!, child })
      } else if (!/^\s+--|stats:/.test(line)) process.stdout.write(`  simulator: ${line}\n`)
    })
    child.once("exit", (code) => reject(new Error(`simulator exited with ${code}`)))
  })

const stopSim = (sim: Sim) =>
  new Promise<void>((res) => {
    sim.child.removeAllListeners("exit")
    sim.child.once("exit", () => res())
    sim.child.kill("SIGINT")
  })

/** CPU seconds a process has used so far (Linux /proc; 0 elsewhere). */
const cpuSecondsOf = (pid: number | undefined): number => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return 0
  }
}

const simRequests = async (sim: Sim, reset = false): Promise<number> => {
  const body = (await (await fetch(`${sim.statsUrl}${reset ? "?reset=1" : ""}`)).json()) as { totals: { requests: number } }
  return body.totals.requests
}

/** One HTTP request to ClickHouse with a file as body or a file as destination, streamed (no rows in memory). */
const clickhouseHttp = (baseUrl: string, query: string, io: { readonly upload?: string; readonly download?: string }) =>
  new Promise<void>((resolvePromise, reject) => {
    const url = new URL(baseUrl)
    url.searchParams.set("query", query)
    const req = request(url, { method: io.upload !== undefined ? "POST" : "GET" }, (res) => {
      if (res.statusCode !== 200) {
        let text = ""
        res.on("data", (d) => (text += String(d)))
        res.on("end", () => reject(new Error(`ClickHouse answered ${res.statusCode}: ${text.slice(0, 300)}`)))
        return
      }
      if (io.download !== undefined) pipeline(res, createWriteStream(io.download)).then(() => resolvePromise(), reject)
      else res.resume().on("end", () => resolvePromise())
    })
    req.on("error", reject)
    if (io.upload !== undefined) pipeline(createReadStream(io.upload), req).catch(reject)
    else req.end()
  })

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })

interface FillsRun {
  readonly summary: SummaryLine
  readonly seconds: number
  readonly requests: number
  readonly peakRssMb: number
  readonly engineCpu: number
  readonly simCpu: number
  readonly clickhouseCpu: number | undefined
}

/** The pid of the local ClickHouse this bench uses, when it is the project's own (CLICKHOUSE_URL: unknown). */
const localClickHousePid = (): number | undefined => {
  if (process.env["CLICKHOUSE_URL"] !== undefined) return undefined
  try {
    return (JSON.parse(readFileSync(join(ROOT, ".polybackfill", "clickhouse", "state.json"), "utf8")) as { pid?: number }).pid
  } catch {
    return undefined
  }
}

/** Peak resident memory of a live process in MB (Linux /proc VmHWM; 0 elsewhere). */
const peakRssMbOf = (pid: number | undefined): number => {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))
    return m === null ? 0 : Number(m[1]) / 1024
  } catch {
    return 0
  }
}

const CLI = join(ROOT, "dist", "main.js")

/** The newest modification time of a file under `dir`, in ms. */
const newestUnder = (dir: string): number =>
  Math.max(0, ...readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => statSync(join(e.parentPath, e.name)).mtimeMs))

/** The bench measures the built CLI: a build older than the sources would measure old code. */
const checkBuilt = (): void => {
  let built = 0
  try {
    built = statSync(CLI).mtimeMs
  } catch {
    // not built
  }
  if (built < newestUnder(join(ROOT, "src"))) throw new Error(`${CLI} is missing or older than src/: run \`npm run build\` (npm run bench builds first)`)
}

/**
 * `polybackfill run fills` as users run it: the built CLI in a process of its own, so its peak RSS and
 * CPU are the engine's alone (not this bench's TypeScript loader). Both are read from /proc until it
 * exits; the wall time includes its start and the load of the plan.
 */
const runFillsCli = (goldskyUrl: string, workers: number, database: string): Promise<{ summary: SummaryLine; seconds: number; peakRssMb: number; cpu: number }> =>
  new Promise((resolvePromise, reject) => {
    const t0 = performance.now()
    const child = spawn(
      process.execPath,
      [CLI, "run", "fills", "--workers", String(workers), "--database", database, "--goldsky-url", goldskyUrl, "--batch-size", "5000", "--flush-interval", "2s", "--checkpoint-interval", "5000", "--log-format", "logfmt"],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, POLYBACKFILL_STATE_DIR: join(ROOT, ".polybackfill") } }
    )
    let peakRssMb = 0
    let cpu = 0
    const poll = setInterval(() => {
      peakRssMb = Math.max(peakRssMb, peakRssMbOf(child.pid))
      cpu = Math.max(cpu, cpuSecondsOf(child.pid))
    }, 200)
    let summary: SummaryLine | undefined
    const lines: Array<string> = []
    const onLine = (line: string) => {
      summary = parseSummary("fills", line) ?? summary
      lines.push(line)
      if (lines.length > 20) lines.shift()
      if (/level=(INFO|WARN|ERROR)/.test(line)) console.log(`  cli: ${line.replace(/^timestamp=\S+ /, "")}`)
    }
    createInterface({ input: child.stdout! }).on("line", onLine)
    createInterface({ input: child.stderr! }).on("line", onLine)
    child.once("error", reject)
    child.once("exit", (code) => {
      clearInterval(poll)
      const seconds = (performance.now() - t0) / 1000
      if (code !== 0 || summary === undefined) reject(new Error(`polybackfill run fills exited with ${code}:\n${lines.join("\n")}`))
      else resolvePromise({ summary, seconds, peakRssMb, cpu })
    })
  })

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
    const run = yield* Effect.promise(() => runFillsCli(sim.goldskyUrl, workers, clickhouse.database))
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

const value = (argv: ReadonlyArray<string>, name: string): string | undefined => {
  const i = argv.indexOf(name)
  return i >= 0 ? argv[i + 1] : undefined
}

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

// Run directly (node, or vite-node which drops the script from argv) unless bench/run.ts imported us.
const entry = process.argv[1] ?? ""
const direct = /vite-node(\.mjs)?$/.test(entry) ? process.env["POLYBACKFILL_BENCH_DISPATCH"] === undefined : import.meta.url === pathToFileURL(entry).href
if (direct) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (e) => {
      console.error(e)
      process.exit(1)
    }
  )
}
