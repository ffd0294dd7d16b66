import { Clock, Effect } from "effect"
import { DATA_API_SOURCE } from "../domain/dataApi.js"
import type { ClickHouseError, SourceUnavailable } from "../domain/errors.js"
import type { LeaderboardEntry } from "../domain/pnlReport.js"
import { Catalogue, DemoReport, EXAMPLE_QUERIES, Pnl, PNL_TABLES, Trades } from "../domain/statements.js"
import { TABLES } from "../domain/tables.js"
import { ClickHouse } from "../services/ClickHouse.js"
import type { Progress } from "../services/Progress.js"
import type { RowSink } from "../services/RowSink.js"
import type { UnitStore, UnitStoreError } from "../services/UnitStore.js"
import type { EngineOptions, RunSummary } from "./engine.js"
import { runJob } from "./engine.js"
import type { Job } from "./Job.js"
import type { PlanFailed, PlanResult } from "./plan.js"
import { planJob } from "./plan.js"
import type { Snapshot } from "./pnlRebuild.js"
import { DEFAULT_REBUILD, rebuildPnl } from "./pnlRebuild.js"
import type { SinkStopped } from "./sink.js"
import type { UsageError } from "../domain/errors.js"


/** Empties the demo database (its tables and views), so every demo starts from nothing. */
export const emptyDatabase: Effect.Effect<number, ClickHouseError, ClickHouse> = Effect.gen(function* () {
  const clickhouse = yield* ClickHouse
  const tables = yield* clickhouse.query(Catalogue.tables.sql(), Catalogue.tables.rows)
  for (const t of tables) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(t.name)) continue
    yield* clickhouse.command(Catalogue.dropTable.sql(t.name))
  }
  return tables.length
})

export interface JobReport {
  readonly job: string
  readonly plan: PlanResult
  readonly run: RunSummary
}

export interface TableCount {
  readonly table: string
  readonly rows: number
}

export interface Coverage {
  readonly markets: number
  readonly marketsWithFills: number
  /** Markets with fills before the 2026-04-28 switch (V1) and after it (V2). */
  readonly marketsV1: number
  readonly marketsV2: number
  readonly fillsFrom: number
  readonly fillsTo: number
  /** Fills by where they were read: the subgraph (V1 only) or the chain (both eras). */
  readonly fromGoldsky: number
  readonly fromChain: number
  /** Markets only the Data-API knows (no CLOB fill), as pm_trades_with_external shows them, and their trades. */
  readonly ghostMarkets: number
  readonly ghostTrades: number
}

/** `pnl rebuild` after the jobs, and the leaderboard it swapped in. */
export interface DemoPnl {
  readonly snapshot: Snapshot
  /** When it ran (the snapshot file's name) and how long it took. */
  readonly nowMs: number
  readonly ms: number
  readonly leaderboard: ReadonlyArray<LeaderboardEntry>
}

export interface DemoReport {
  readonly jobs: ReadonlyArray<JobReport>
  readonly tables: ReadonlyArray<TableCount>
  readonly coverage: Coverage
  readonly pnl: DemoPnl
  readonly wallMs: number
  /** Where it all landed: `status --database` reads it there. */
  readonly database: string
}

export { EXAMPLE_QUERIES }

const countOf = (clickhouse: ClickHouse["Type"], table: string, final: boolean) =>
  Effect.map(clickhouse.query(DemoReport.count.sql(table, final), DemoReport.count.rows), (rows) => rows[0]?.n ?? 0)

/** The leaderboard the demo shows: by Omega, wallets with at least `minMarkets` resolved markets. */
export interface DemoLeaderboard {
  readonly minMarkets: number
  readonly top: number
}

/**
 * The demo's work once the simulator, ClickHouse and the migrations are in place: plan and run every
 * job in order, rebuild wallet P&L (as `pnl rebuild` with its defaults), read the leaderboard, then count
 * what landed (FINAL) and check the example queries run.
 */
export const runDemo = <R>(
  jobs: ReadonlyArray<Job<R>>,
  engine: Omit<EngineOptions, "selection">,
  leaderboard: DemoLeaderboard
): Effect.Effect<DemoReport, ClickHouseError | UnitStoreError | PlanFailed | SinkStopped | UsageError | SourceUnavailable, R | ClickHouse | UnitStore | RowSink | Progress> =>
  Effect.gen(function* () {
    const clickhouse = yield* ClickHouse
    const started = yield* Clock.currentTimeMillis
    const reports: Array<JobReport> = []
    for (const job of jobs) {
      const plan = yield* planJob(job, { rebuild: false })
      const run = yield* runJob(job, {
        ...engine,
        selection: { retryErrors: false, shard: { index: 0, count: 1 }, skip: 0, limit: undefined, since: undefined, until: undefined }
      })
      reports.push({ job: job.name, plan, run })
    }
    const nowMs = yield* Clock.currentTimeMillis
    const snapshot = yield* rebuildPnl({ ...DEFAULT_REBUILD, now: Math.floor(nowMs / 1000) })
    const board = yield* clickhouse.query(Pnl.leaderboard.sql("omega", leaderboard.minMarkets, leaderboard.top), Pnl.leaderboard.rows)
    const pnl: DemoPnl = { snapshot, nowMs, ms: (yield* Clock.currentTimeMillis) - nowMs, leaderboard: board }
    // The P&L tables are plain MergeTree (rebuilt whole, no duplicates to fold), as is quarantine: no FINAL.
    const plain = new Set<string>([TABLES.quarantine, ...PNL_TABLES])
    const tableNames = [...new Set(jobs.flatMap((j) => j.tables)), ...PNL_TABLES, TABLES.quarantine]
    const tables: Array<TableCount> = []
    for (const table of tableNames) {
      if (!/^[a-z_][a-z0-9_]*$/.test(table)) continue
      tables.push({ table, rows: yield* countOf(clickhouse, table, !plain.has(table)) })
    }
    const span = yield* clickhouse.query(DemoReport.fillsSpan.sql(), DemoReport.fillsSpan.rows)
    const s = span[0]
    const ghost = (yield* clickhouse.query(Trades.perSource.sql(), Trades.perSource.rows)).find((r) => r.data_source === DATA_API_SOURCE)
    const coverage: Coverage = {
      markets: yield* countOf(clickhouse, TABLES.markets, true),
      marketsWithFills: s?.m ?? 0,
      marketsV1: s?.m1 ?? 0,
      marketsV2: s?.m2 ?? 0,
      fillsFrom: s?.lo ?? 0,
      fillsTo: s?.hi ?? 0,
      fromGoldsky: s?.g ?? 0,
      fromChain: s?.c ?? 0,
      ghostMarkets: ghost?.markets ?? 0,
      ghostTrades: ghost?.trades ?? 0
    }
    for (const q of EXAMPLE_QUERIES) yield* clickhouse.command(q.sql)
    const ended = yield* Clock.currentTimeMillis
    return { jobs: reports, tables, coverage, pnl, wallMs: ended - started, database: clickhouse.database }
  })
