import { mkdirSync, readFileSync } from "node:fs"
import { hostname } from "node:os"
import { join, resolve } from "node:path"
import { Command, Options } from "@effect/cli"
import { Clock, Console, Duration, Effect, Layer, Option } from "effect"
import { UsageError } from "../domain/errors.js"
import { formatLeaderboard } from "../domain/pnlReport.js"
import { formatCount, formatDuration } from "../domain/progress.js"
import { layerFixed } from "../layers/GovernorFixed.js"
import { layerClickHouse as layerHeartbeatsClickHouse } from "../layers/HeartbeatsClickHouse.js"
import { MIGRATIONS } from "../layers/migrations/index.js"
import { layerAuto as layerProgress } from "../layers/ProgressLive.js"
import { layerClickHouse as layerRowSinkClickHouse } from "../layers/RowSinkClickHouse.js"
import { layerClickHouse as layerUnitsClickHouse } from "../layers/UnitStoreClickHouse.js"
import { ClickHouse } from "../services/ClickHouse.js"
import { Sources } from "../services/Sources.js"
import type { TradesSettingsApi } from "../services/TradesSettings.js"
import type { DemoReport } from "../streams/demo.js"
import { emptyDatabase, EXAMPLE_QUERIES, runDemo } from "../streams/demo.js"
import { formatSummary } from "../streams/engine.js"
import { JOBS } from "../streams/jobs/index.js"
import { migrate } from "../streams/migrate.js"
import { layerClickHouseFromOptions } from "./clickhouseLayer.js"
import { clickhouseOptions, logOptions, withLogging } from "./common.js"
import { layerJobEnv } from "./jobLayers.js"
import { DEFAULT_MIN_MARKETS } from "./leaderboard.js"
import { layerOnchainSettings } from "./onchainOptions.js"
import { GateFailed, gateLine, summaryLines, writeSnapshot } from "./pnl.js"
import { newRunId } from "./run.js"
import { layerTradesSettings, resolveTradesPlan } from "./tradesOptions.js"

export const DEMO_DATABASE = "polybackfill_demo"
/** The simulated world's days: a week on each side of the 2026-04-28 switch to CLOB V2. */
const DEMO_FROM = "2026-04-21"
const DEMO_TO = "2026-05-05"
/** The leaderboard's first lines, as `leaderboard --top 10` shows them. */
const LEADERBOARD_TOP = 10

const options = {
  markets: Options.integer("markets").pipe(Options.withPseudoName("N"), Options.withDescription("markets in the simulated world"), Options.withDefault(2000)),
  wallets: Options.integer("wallets").pipe(Options.withPseudoName("N"), Options.withDescription("trading wallets in the simulated world"), Options.withDefault(500)),
  top: Options.integer("top").pipe(
    Options.withPseudoName("N"),
    Options.withDescription("the trades job's wallets: the N with the most CLOB volume, as plan trades --top (default 100)"),
    Options.withDefault(100)
  ),
  workers: Options.integer("workers").pipe(Options.withPseudoName("N"), Options.withDescription("units and requests at once"), Options.withDefault(64)),
  clickhouseUrl: clickhouseOptions.clickhouseUrl,
  database: Options.text("database").pipe(
    Options.withPseudoName("NAME"),
    Options.withDescription(`database the demo empties and fills (default ${DEMO_DATABASE}; must end in _demo)`),
    Options.withDefault(DEMO_DATABASE)
  ),
  stateDir: clickhouseOptions.stateDir,
  ...logOptions
} as const

const iso = (s: number) => new Date(s * 1000).toISOString().slice(0, 16).replace("T", " ")

/** How to reach the demo's ClickHouse with clickhouse-client: the managed server's TCP port, or the configured host. */
const clientFlags = (stateDir: string, clickhouseUrl: Option.Option<string>, database: string): string => {
  const configured = Option.orElse(clickhouseUrl, () => Option.fromNullable(process.env["CLICKHOUSE_URL"]))
  if (Option.isSome(configured) || process.env["CLICKHOUSE_HOST"] !== undefined) {
    const host = Option.isSome(configured) ? new URL(configured.value).hostname : process.env["CLICKHOUSE_HOST"]!
    return `--host ${host} --database ${database}`
  }
  try {
    const state = JSON.parse(readFileSync(join(resolve(stateDir, "clickhouse"), "state.json"), "utf8")) as { tcpPort?: unknown }
    if (typeof state.tcpPort === "number") return `--port ${state.tcpPort} --database ${database}`
  } catch {
    // fall through: the server's port is not known here
  }
  return `--database ${database}`
}

/** A shell command that runs one query: clickhouse-client for a server, Node and chdb for the embedded engine. */
const queryCommand = (opts: { stateDir: string; clickhouseUrl: Option.Option<string> }, displayUrl: string, database: string) => {
  if (displayUrl.startsWith("embedded:")) {
    const dir = displayUrl.slice("embedded:".length)
    return (sql: string) =>
      `node -e "const {Session} = require('chdb'); const s = new Session(process.argv[1]); console.log(s.query('USE ${database}; ' + process.argv[2], 'PrettyCompact')); s.close()" ${dir} "${sql}"`
  }
  const flags = clientFlags(opts.stateDir, opts.clickhouseUrl, database)
  return (sql: string) => `clickhouse-client ${flags} --query "${sql}"`
}

/** A polybackfill command (`status`, `pnl wallet 0x…`) that reaches the demo's database: the same engine, state dir and database. */
const cliCommand = (opts: { stateDir: string; clickhouseUrl: Option.Option<string> }, displayUrl: string, database: string) => {
  const flags = [`--database ${database}`]
  if (displayUrl.startsWith("embedded:")) flags.push("--clickhouse-url embedded")
  else if (Option.isSome(opts.clickhouseUrl)) flags.push(`--clickhouse-url ${displayUrl}`)
  // A remote server needs no state dir; the managed and embedded ones live in it (said when not the default one).
  const remote = Option.isSome(opts.clickhouseUrl) && !displayUrl.startsWith("embedded:")
  if (!remote && resolve(opts.stateDir) !== resolve(".polybackfill")) flags.push(`--state-dir ${opts.stateDir}`)
  return (command: string) => `polybackfill ${command} ${flags.join(" ")}`
}

/** The rebuild's gate, one line per gate (with its offenders when it failed), and where its snapshot went. */
const pnlLines = (pnl: DemoReport["pnl"], snapshotPath: string): ReadonlyArray<string> => {
  const s = pnl.snapshot
  const lines = [
    `pnl rebuild (${formatDuration(pnl.ms)}): ${s.swapped ? "gate passed, swapped in wallet_market_pnl and wallet_leaderboard" : "gate FAILED, nothing swapped"}`,
    ...summaryLines(s).map((l) => `  ${l}`)
  ]
  for (const g of s.gates) lines.push(`  ${gateLine(g)}`, ...g.offenders.map((o) => `    ${o}`))
  lines.push(`  snapshot: ${snapshotPath}`)
  return lines
}

const leaderboardLines = (board: DemoReport["pnl"]["leaderboard"], cli: (command: string) => string): ReadonlyArray<string> => {
  const ranked = `by Omega, wallets with ${DEFAULT_MIN_MARKETS} or more resolved markets`
  if (board.length === 0) return [`leaderboard: no wallet ranked ${ranked}`]
  return [
    `leaderboard: the top ${board.length} ${ranked} (all of them: \`${cli("leaderboard")}\`)`,
    ...formatLeaderboard(board, "table").split("\n").map((l) => `  ${l}`),
    `the top wallet's markets: \`${cli(`pnl wallet ${board[0]!.wallet}`)}\``
  ]
}

export const formatDemoReport = (
  report: DemoReport,
  command: (sql: string) => string,
  cli: (command: string) => string,
  snapshotPath: string
): ReadonlyArray<string> => {
  const lines: Array<string> = ["", "polybackfill demo: done"]
  for (const j of report.jobs) lines.push(`  ${formatSummary(j.run)}`)
  lines.push("", "rows per table (FINAL: one row per key):")
  const width = Math.max(...report.tables.map((t) => t.table.length))
  for (const t of report.tables) lines.push(`  ${t.table.padEnd(width)}  ${formatCount(t.rows).padStart(10)}`)
  const c = report.coverage
  const wallets = report.jobs.find((j) => j.job === "trades")?.plan.total ?? 0
  lines.push(
    "",
    `coverage: ${formatCount(c.marketsWithFills)} of ${formatCount(c.markets)} markets have fills` +
      (c.fillsTo > 0 ? `, from ${iso(c.fillsFrom)} to ${iso(c.fillsTo)} UTC` : ""),
    `  ${formatCount(c.marketsV1)} traded before the 2026-04-28 switch (V1), ${formatCount(c.marketsV2)} after it (V2); ` +
      `fills read from the chain ${formatCount(c.fromChain)}, from the subgraph only ${formatCount(c.fromGoldsky)} (it ends at the switch)`,
    `  the Data-API, asked for the trades of the ${formatCount(wallets)} wallets with the most CLOB volume, added ${formatCount(c.ghostMarkets)} ghost markets ` +
      `(${formatCount(c.ghostTrades)} trades in markets Gamma and the CLOB tables lack), in pm_trades_with_external`,
    "",
    ...pnlLines(report.pnl, snapshotPath),
    "",
    ...leaderboardLines(report.pnl.leaderboard, cli),
    "",
    `wall time: ${formatDuration(report.wallMs)}`,
    `the demo's jobs and runs are in database ${report.database}: see them with \`${cli("status")}\``,
    "",
    "try:"
  )
  for (const q of EXAMPLE_QUERIES) lines.push(`  # ${q.title}`, `  ${command(q.sql)}`)
  return lines
}

type DemoOptions = { readonly [K in keyof typeof options]: (typeof options)[K] extends Options.Options<infer A> ? A : never }

export const demoCommand = Command.make("demo", options, (opts) =>
  Effect.gen(function* () {
    // Checked before anything starts: the demo must never create or empty a database that is not its own.
    if (!/^[A-Za-z_][A-Za-z0-9_]*_demo$/.test(opts.database)) {
      return yield* new UsageError({ message: `the demo empties its database: choose a name ending in _demo (got --database ${opts.database})` })
    }
    const trades = yield* resolveTradesPlan("trades", { top: Option.some(opts.top), walletsFile: Option.none() })
    yield* demo(opts, trades.settings)
  }).pipe(withLogging(opts))
).pipe(
  Command.withDescription(
    "Simulate Polymarket locally, backfill it into the local ClickHouse (migrate, plan, run every job), rebuild wallet P&L and show what landed and the leaderboard"
  )
)

// Loaded here only: `run` and the other commands need not carry the simulator (viem, graphql) in their heap.
const loadSimulator = Effect.promise(() => import("../simulator/server.js"))

const demo = (opts: DemoOptions, trades: Partial<TradesSettingsApi>) => Effect.flatMap(loadSimulator, ({ layerSimulator, SimulatorServer, simulatorSources }) =>
  Effect.gen(function* () {
    const started = yield* Clock.currentTimeMillis
    const sim = yield* SimulatorServer
    yield* Console.log(
      `simulator: ${formatCount(sim.world.marketCount)} markets, ${formatCount(opts.wallets)} wallets, ${DEMO_FROM}..${DEMO_TO} at ${sim.baseUrl}`
    )
    const clickhouse = yield* ClickHouse
    yield* emptyDatabase
    yield* migrate(MIGRATIONS, () => Effect.void)
    yield* Console.log(`clickhouse: database ${clickhouse.database} at ${clickhouse.displayUrl}, emptied and migrated`)
    const jobLayers = Layer.mergeAll(
      layerHeartbeatsClickHouse,
      layerUnitsClickHouse,
      layerRowSinkClickHouse,
      layerProgress,
      layerJobEnv(Layer.succeed(Sources, simulatorSources(sim)), layerFixed(opts.workers)),
      layerOnchainSettings({ window: { by: "dates", from: DEMO_FROM, to: DEMO_TO } }),
      layerTradesSettings(trades)
    )
    const report = yield* runDemo(JOBS, {
      runId: newRunId(),
      workers: opts.workers,
      sink: { batchSize: 5000, flushInterval: Duration.seconds(1) },
      checkpointInterval: 5000,
      identity: { host: hostname(), pid: process.pid }
    }, { minMarkets: DEFAULT_MIN_MARKETS, top: LEADERBOARD_TOP }).pipe(Effect.provide(jobLayers))
    // Next to the managed engine's data (gitignored), not in the working directory `npm run demo` runs in.
    yield* Effect.ignore(Effect.try(() => mkdirSync(opts.stateDir, { recursive: true })))
    const snapshotPath = yield* writeSnapshot(opts.stateDir, report.pnl.nowMs, report.pnl.snapshot, "check --state-dir")
    const wallMs = (yield* Clock.currentTimeMillis) - started
    const cli = cliCommand(opts, clickhouse.displayUrl, clickhouse.database)
    for (const line of formatDemoReport({ ...report, wallMs }, queryCommand(opts, clickhouse.displayUrl, clickhouse.database), cli, snapshotPath)) {
      yield* Console.log(line)
    }
    if (!report.pnl.snapshot.swapped) {
      const failed = report.pnl.snapshot.gates.filter((g) => !g.passed).map((g) => g.name)
      return yield* new GateFailed({ message: `demo: the P&L gate ${failed.join(", ")} failed on the simulator's data (listed above); nothing was swapped` })
    }
  }).pipe(
    Effect.provide(layerClickHouseFromOptions({ clickhouseUrl: opts.clickhouseUrl, database: Option.some(opts.database), stateDir: opts.stateDir }, { createDatabase: true })),
    Effect.provide(layerSimulator({ world: { markets: opts.markets, wallets: opts.wallets, from: DEMO_FROM, to: DEMO_TO } }))
  ))
