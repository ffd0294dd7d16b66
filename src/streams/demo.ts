import { Clock, Effect, Schema } from "effect"
import type { ClickHouseError } from "../domain/errors.js"
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

const Count = Schema.Union(Schema.Number, Schema.NumberFromString)
const NameRow = Schema.Struct({ name: Schema.String })

/** Empties the demo database (its tables and views), so every demo starts from nothing. */
export const emptyDatabase: Effect.Effect<number, ClickHouseError, ClickHouse> = Effect.gen(function* () {
  const clickhouse = yield* ClickHouse
  const tables = yield* clickhouse.query("SELECT name FROM system.tables WHERE database = currentDatabase()", NameRow)
  for (const t of tables) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(t.name)) continue
    yield* clickhouse.command(`DROP TABLE IF EXISTS \`${t.name}\``)
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
}

/** Queries the demo suggests; each is run once by the demo itself, so none of them can be broken. */
export const EXAMPLE_QUERIES: ReadonlyArray<{ readonly title: string; readonly sql: string }> = [
  {
    title: "the ten wallets with the most volume (maker side)",
    sql: "SELECT wallet, count() AS fills, round(sum(usdc), 2) AS volume_usdc FROM clob_fills FINAL GROUP BY wallet ORDER BY volume_usdc DESC LIMIT 10"
  },
  {
    title: "fills and volume per day",
    sql: "SELECT toDate(timestamp) AS day, count() AS fills, round(sum(usdc), 2) AS volume_usdc FROM clob_fills FINAL GROUP BY day ORDER BY day"
  },
  {
    title: "V2 fills (since 2026-04-28, read from the chain) per exchange and side, volume counted once, fees in their unit",
    sql:
      "SELECT exchange, side, count() AS fills, round(sum(usdc), 2) AS volume_usdc, round(sum(fee_usdc), 4) AS fees_usdc, round(sum(fee_shares), 4) AS fees_shares " +
      "FROM clob_fills FINAL WHERE era = 'v2' AND is_taker_leg = 1 GROUP BY exchange, side ORDER BY exchange, side"
  },
  {
    title: "the busiest markets, with their question",
    sql:
      "SELECT question, fills FROM (SELECT condition_id, count() AS fills FROM clob_fills FINAL GROUP BY condition_id) " +
      "ANY INNER JOIN (SELECT condition_id, question FROM markets FINAL) USING condition_id ORDER BY fills DESC LIMIT 5"
  }
]

const countOf = (clickhouse: ClickHouse["Type"], sqlText: string) =>
  Effect.map(clickhouse.query(sqlText, Schema.Struct({ n: Count })), (rows) => rows[0]?.n ?? 0)

/**
 * The demo's work once the simulator, ClickHouse and the migrations are in place: plan and run every
 * job in order, then count what landed (FINAL) and check the example queries run.
 */
export const runDemo = <R>(
  jobs: ReadonlyArray<Job<R>>,
  engine: Omit<EngineOptions, "selection">
): Effect.Effect<DemoReport, ClickHouseError | UnitStoreError | PlanFailed | SinkStopped | UsageError, R | ClickHouse | UnitStore | RowSink | Progress> =>
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
      const final = table === TABLES.quarantine ? "" : " FINAL"
      tables.push({ table, rows: yield* countOf(clickhouse, `SELECT count() AS n FROM ${table}${final}`) })
    }
    const span = yield* clickhouse.query(
      "SELECT toUInt32(min(timestamp)) AS lo, toUInt32(max(timestamp)) AS hi, uniqExact(condition_id) AS m, " +
        "uniqExactIf(condition_id, era = 'v1') AS m1, uniqExactIf(condition_id, era = 'v2') AS m2, " +
        "countIf(source = 'goldsky') AS g, countIf(source = 'rpc') AS c FROM clob_fills FINAL WHERE condition_id != ''",
      Schema.Struct({ lo: Count, hi: Count, m: Count, m1: Count, m2: Count, g: Count, c: Count })
    )
    const s = span[0]
    const coverage: Coverage = {
      markets: yield* countOf(clickhouse, `SELECT count() AS n FROM ${TABLES.markets} FINAL`),
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
    return { jobs: reports, tables, coverage, wallMs: ended - started }
  })
