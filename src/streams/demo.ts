import { Clock, Effect } from "effect"
import type { ClickHouseError, SourceUnavailable } from "../domain/errors.js"
import { Catalogue, DemoReport, EXAMPLE_QUERIES } from "../domain/statements.js"
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
}

export interface DemoReport {
  readonly jobs: ReadonlyArray<JobReport>
  readonly tables: ReadonlyArray<TableCount>
  readonly coverage: Coverage
  readonly wallMs: number
  /** Where it all landed: `status --database` reads it there. */
  readonly database: string
}

export { EXAMPLE_QUERIES }

const countOf = (clickhouse: ClickHouse["Type"], table: string, final: boolean) =>
  Effect.map(clickhouse.query(DemoReport.count.sql(table, final), DemoReport.count.rows), (rows) => rows[0]?.n ?? 0)

/**
 * The demo's work once the simulator, ClickHouse and the migrations are in place: plan and run every
 * job in order, then count what landed (FINAL) and check the example queries run.
 */
export const runDemo = <R>(
  jobs: ReadonlyArray<Job<R>>,
  engine: Omit<EngineOptions, "selection">
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
    const tableNames = [...new Set(jobs.flatMap((j) => j.tables)), TABLES.quarantine]
    const tables: Array<TableCount> = []
    for (const table of tableNames) {
      if (!/^[a-z_][a-z0-9_]*$/.test(table)) continue
      tables.push({ table, rows: yield* countOf(clickhouse, table, table !== TABLES.quarantine) })
    }
    const span = yield* clickhouse.query(DemoReport.fillsSpan.sql(), DemoReport.fillsSpan.rows)
    const s = span[0]
    const coverage: Coverage = {
      markets: yield* countOf(clickhouse, TABLES.markets, true),
      marketsWithFills: s?.m ?? 0,
      marketsV1: s?.m1 ?? 0,
      marketsV2: s?.m2 ?? 0,
      fillsFrom: s?.lo ?? 0,
      fillsTo: s?.hi ?? 0,
      fromGoldsky: s?.g ?? 0,
      fromChain: s?.c ?? 0
    }
    for (const q of EXAMPLE_QUERIES) yield* clickhouse.command(q.sql)
    const ended = yield* Clock.currentTimeMillis
    return { jobs: reports, tables, coverage, wallMs: ended - started, database: clickhouse.database }
  })
