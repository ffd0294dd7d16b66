import { Schema } from "effect"
import { IsoDay, JobName, RunId, Uint256 } from "./ids.js"
import { Pnl } from "./pnlStatements.js"
import type { Statement } from "./statement.js"
import { command, jobName, N, query, tableName, unitKey } from "./statement.js"
import { quote, sql } from "./sql.js"
import { TABLES } from "./tables.js"
import { UnitRowSchema } from "./unitRow.js"

/**
 * Every SQL statement polybackfill sends at run time (the P&L rebuild's in pnlStatements.ts), apart from the migrations (src/layers/migrations/)
 * and the JSONEachRow inserts. Writing a statement here is what gets it tested: test/layers/statements.test.ts
 * runs each entry of STATEMENTS, with its `example` arguments, on a migrated database of every engine
 * CI has (the embedded 26.x and Debian's 18.16 server), and decodes its rows with `rows`.
 */
export type { CommandStatement, QueryStatement, Statement } from "./statement.js"
export { CountN } from "./statement.js"
export * from "./pnlStatements.js"

// ---- backfill_units (src/layers/UnitStoreClickHouse.ts): every read uses FINAL ----

const UNIT_COLUMNS =
  "job, unit_key, shard_hash, status, cursor, attempts, rows, error_message, run_id, toUInt32(last_run_at) AS last_run_at, payload, version"
const ofJob = (job: string) => `FROM ${TABLES.backfillUnits} FINAL WHERE job = ${quote(jobName(job))}`

export const Units = {
  exists: query({
    name: "units.exists",
    sql: () => `EXISTS TABLE ${TABLES.backfillUnits}`,
    rows: Schema.Struct({ result: N }),
    example: []
  }),
  maxVersion: query({
    name: "units.maxVersion",
    sql: () => `SELECT max(version) AS v FROM ${TABLES.backfillUnits}`,
    rows: Schema.Struct({ v: N }),
    example: []
  }),
  load: query({ name: "units.load", sql: (job: string) => `SELECT ${UNIT_COLUMNS} ${ofJob(job)}`, rows: UnitRowSchema, example: ["fills"] }),
  loadHeads: query({
    name: "units.loadHeads",
    sql: (job: string) => `SELECT unit_key, shard_hash, status, run_id ${ofJob(job)}`,
    rows: UnitRowSchema.pick("unit_key", "shard_hash", "status", "run_id"),
    example: ["fills"]
  }),
  loadKeys: query({
    name: "units.loadKeys",
    sql: (job: string, keys: ReadonlyArray<string>) =>
      `SELECT ${UNIT_COLUMNS} ${ofJob(job)} AND unit_key IN (${keys.map((k) => quote(unitKey(k))).join(", ")})`,
    rows: UnitRowSchema,
    example: ["fills", ["0xab", "closed"]]
  }),
  jobs: query({
    name: "units.jobs",
    sql: () => `SELECT DISTINCT job FROM ${TABLES.backfillUnits} FINAL ORDER BY job`,
    rows: Schema.Struct({ job: Schema.String }),
    example: []
  })
}

// ---- worker_heartbeats (src/layers/HeartbeatsClickHouse.ts) ----

export const HeartbeatRow = Schema.Struct({
  job: Schema.String,
  run_id: Schema.String,
  host: Schema.String,
  pid: N,
  shard: Schema.String,
  state: Schema.Literal("running", "finished", "interrupted", "failed", ""),
  workers_limit: N,
  in_flight: N,
  units_in_flight: N,
  units_done: N,
  units_error: N,
  rows: N,
  rows_per_sec: N,
  rate_limited_share: N,
  started_at: N,
  updated_at: N
})
const HEARTBEAT_COLUMNS =
  "job, run_id, host, pid, shard, state, workers_limit, in_flight, units_in_flight, units_done, units_error, rows, rows_per_sec, rate_limited_share, " +
  "toUInt32(started_at) AS started_at, toUInt32(updated_at) AS updated_at"

export const Heartbeats = {
  liveRuns: query({
    name: "heartbeats.liveRuns",
    sql: (job: string, sinceS: number) =>
      `SELECT run_id, host, pid, state FROM ${TABLES.workerHeartbeats} FINAL WHERE job = ${quote(jobName(job))} AND updated_at >= toDateTime(${quote(Math.floor(sinceS))})`,
    rows: Schema.Struct({ run_id: Schema.String, host: Schema.String, pid: N, state: Schema.String }),
    example: ["fills", 1_777_000_000]
  }),
  latest: query({
    name: "heartbeats.latest",
    sql: (job: string, limit: number) =>
      `SELECT ${HEARTBEAT_COLUMNS} FROM ${TABLES.workerHeartbeats} FINAL WHERE job = ${quote(jobName(job))} ORDER BY updated_at DESC LIMIT ${quote(Math.max(1, Math.floor(limit)))}`,
    rows: HeartbeatRow,
    example: ["fills", 10]
  })
}

// ---- quarantine (src/streams/status.ts) ----

export const Quarantine = {
  /** Quarantined rows of a job, and the query `status` suggests for reading them. */
  count: query({
    name: "quarantine.count",
    sql: (job: string) => `SELECT count() AS n FROM ${TABLES.quarantine} WHERE job = ${quote(jobName(job))}`,
    rows: Schema.Struct({ n: N }),
    example: ["fills"]
  }),
  latest: command({
    name: "quarantine.latest",
    sql: (job: string) =>
      `SELECT created_at, unit_key, source, reason, raw FROM ${TABLES.quarantine} WHERE job = ${quote(jobName(job))} ORDER BY created_at DESC LIMIT 20`,
    example: ["fills"]
  })
}

// ---- governor_limits (src/layers/GovernorLimitsStore.ts) ----

export const GovernorLimits = {
  load: query({
    name: "governorLimits.load",
    sql: () => `SELECT host, endpoint, safe_limit FROM ${TABLES.governorLimits} FINAL`,
    rows: Schema.Struct({ host: Schema.String, endpoint: Schema.String, safe_limit: N }),
    example: []
  })
}

// ---- schema_migrations and the catalogue (src/streams/migrate.ts, src/streams/demo.ts) ----

export const Catalogue = {
  appliedVersions: query({
    name: "catalogue.appliedVersions",
    sql: () => `SELECT DISTINCT version FROM ${TABLES.schemaMigrations} ORDER BY version`,
    rows: Schema.Struct({ version: N }),
    example: []
  }),
  tables: query({
    name: "catalogue.tables",
    sql: () => "SELECT name, engine FROM system.tables WHERE database = currentDatabase() ORDER BY name",
    rows: Schema.Struct({ name: Schema.String, engine: Schema.String }),
    example: []
  }),
  /** `db` is the quoted identifier (migrate builds it with `ident`). */
  createDatabase: command({ name: "catalogue.createDatabase", sql: (db: string) => `CREATE DATABASE IF NOT EXISTS ${db}`, example: ["`pb_statement_test_db`"] }),
  dropTable: command({
    name: "catalogue.dropTable",
    sql: (table: string) => `DROP TABLE IF EXISTS \`${tableName(table)}\``,
    example: ["no_such_table"]
  })
}

// ---- the fills job's plan (src/streams/jobs/fills.ts) ----

export const FillsPlan = {
  tokens: query({
    name: "fillsPlan.tokens",
    sql: () => `SELECT token_id, condition_id, outcome_index FROM ${TABLES.marketTokens} FINAL ORDER BY condition_id, outcome_index`,
    rows: Schema.Struct({ token_id: Schema.String, condition_id: Schema.String, outcome_index: N }),
    example: []
  }),
  marketDates: query({
    name: "fillsPlan.marketDates",
    sql: () =>
      `SELECT condition_id, toUInt32(start_date) AS start_date, toUInt32(end_date) AS end_date, toUInt32(closed_time) AS closed_time, closed FROM ${TABLES.markets} FINAL`,
    rows: Schema.Struct({ condition_id: Schema.String, start_date: N, end_date: N, closed_time: N, closed: N }),
    example: []
  })
}

// ---- the onchain job (src/streams/chainDays.ts, src/streams/jobs/onchain.ts, src/streams/rpcHealth.ts) ----

export const RpcHealthRow = Schema.Struct({
  run_id: Schema.String,
  url: Schema.String,
  workers_limit: N,
  latency_ms: N,
  share: N,
  failures: N,
  set_aside: N,
  requests: N,
  updated_at: N
})

export const Onchain = {
  cachedDays: query({
    name: "onchain.cachedDays",
    sql: (days: ReadonlyArray<IsoDay>) => sql`SELECT day, from_block, to_block FROM chain_days FINAL WHERE day IN ${[...days]}`,
    rows: Schema.Struct({ day: Schema.String, from_block: N, to_block: N }),
    example: [[Schema.decodeSync(IsoDay)("2026-04-28"), Schema.decodeSync(IsoDay)("2026-04-29")]]
  }),
  tokensOf: query({
    name: "onchain.tokensOf",
    sql: (ids: ReadonlyArray<Uint256>) => sql`SELECT token_id, condition_id, outcome_index FROM market_tokens FINAL WHERE token_id IN ${[...ids]}`,
    rows: Schema.Struct({ token_id: Schema.String, condition_id: Schema.String, outcome_index: N }),
    example: [[Schema.decodeSync(Uint256)("71321045679252212594626385532706912750332728571942532289631379312455583992563")]]
  }),
  lastHealthRun: query({
    name: "onchain.lastHealthRun",
    sql: (job: JobName) => sql`SELECT run_id FROM rpc_health FINAL WHERE job = ${job} ORDER BY updated_at DESC LIMIT 1`,
    rows: Schema.Struct({ run_id: Schema.String }),
    example: [Schema.decodeSync(JobName)("onchain")]
  }),
  health: query({
    name: "onchain.health",
    sql: (job: JobName, runId: RunId) =>
      sql`SELECT run_id, url, workers_limit, latency_ms, share, failures, set_aside, requests, toUInt32(updated_at) AS updated_at FROM rpc_health FINAL WHERE job = ${job} AND run_id = ${runId} ORDER BY share DESC`,
    rows: RpcHealthRow,
    example: [Schema.decodeSync(JobName)("onchain"), Schema.decodeSync(RunId)("abc123")]
  })
}

// ---- the trades job (src/streams/jobs/trades.ts) and `validate` (src/streams/validate.ts) ----

const count = (n: number): number => {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`invalid count ${n}`)
  return n
}

/** Tables and views the external-trade runbook reads. */
export const TRADES_OBJECTS = [TABLES.clobFills, TABLES.externalTrades, TABLES.backfillUnits, "pm_trades_with_external", "wallet_backfill_plan"] as const

export const Trades = {
  /** Each fill row is one order leg of its `wallet` (maker legs and the taker's own leg), so a wallet's volume counts each of its trades once. */
  topWallets: query({
    name: "trades.topWallets",
    sql: (n: number) =>
      `SELECT wallet, sum(usdc) AS volume, count() AS fills FROM ${TABLES.clobFills} FINAL WHERE wallet != '' GROUP BY wallet ORDER BY volume DESC, wallet LIMIT ${count(n)}`,
    rows: Schema.Struct({ wallet: Schema.String, volume: N, fills: N }),
    example: [1000]
  }),
  objects: query({
    name: "trades.objects",
    sql: () =>
      `SELECT name, engine FROM system.tables WHERE database = currentDatabase() AND name IN (${TRADES_OBJECTS.map((t) => `'${tableName(t)}'`).join(", ")}) ORDER BY name`,
    rows: Schema.Struct({ name: Schema.String, engine: Schema.String }),
    example: []
  }),
  duplicateIds: query({
    name: "trades.duplicateIds",
    sql: () =>
      `SELECT count() AS ids, sum(n) AS rows FROM (SELECT external_trade_id, count() AS n FROM ${TABLES.externalTrades} FINAL GROUP BY external_trade_id HAVING n > 1)`,
    rows: Schema.Struct({ ids: N, rows: N }),
    example: []
  }),
  overlap: query({
    name: "trades.overlap",
    sql: () =>
      "SELECT count() AS markets FROM (SELECT condition_id FROM pm_trades_with_external GROUP BY condition_id HAVING uniqExact(data_source) > 1)",
    rows: Schema.Struct({ markets: N }),
    example: []
  }),
  /** The view's coverage per data source: a polymarket_data_api market is a ghost market (the view keeps external rows only where no CLOB fill is). */
  perSource: query({
    name: "trades.perSource",
    sql: () =>
      "SELECT data_source, count() AS trades, uniqExact(wallet) AS wallets, uniqExact(condition_id) AS markets FROM pm_trades_with_external GROUP BY data_source ORDER BY data_source",
    rows: Schema.Struct({ data_source: Schema.String, trades: N, wallets: N, markets: N }),
    example: []
  }),
  /** Trades per UTC day (days since 1970-01-01, whatever the server's time zone) and data source, over the whole view: a few thousand rows at most. */
  perDay: query({
    name: "trades.perDay",
    sql: () =>
      "SELECT intDiv(toUInt32(timestamp), 86400) AS day, data_source, count() AS trades FROM pm_trades_with_external GROUP BY day, data_source ORDER BY day, data_source",
    rows: Schema.Struct({ day: N, data_source: Schema.String, trades: N }),
    example: []
  }),
  planStatuses: query({
    name: "trades.planStatuses",
    sql: () => "SELECT status, count() AS wallets FROM wallet_backfill_plan GROUP BY status ORDER BY status",
    rows: Schema.Struct({ status: Schema.String, wallets: N }),
    example: []
  })
}

// ---- the demo's report (src/streams/demo.ts) ----

export const DemoReport = {
  count: query({
    name: "demo.count",
    sql: (table: string, final: boolean) => `SELECT count() AS n FROM ${tableName(table)}${final ? " FINAL" : ""}`,
    rows: Schema.Struct({ n: N }),
    example: [TABLES.clobFills, true]
  }),
  fillsSpan: query({
    name: "demo.fillsSpan",
    sql: () =>
      "SELECT toUInt32(min(timestamp)) AS lo, toUInt32(max(timestamp)) AS hi, uniqExact(condition_id) AS m, " +
      "uniqExactIf(condition_id, era = 'v1') AS m1, uniqExactIf(condition_id, era = 'v2') AS m2, " +
      `countIf(source = 'goldsky') AS g, countIf(source = 'rpc') AS c FROM ${TABLES.clobFills} FINAL WHERE condition_id != ''`,
    rows: Schema.Struct({ lo: N, hi: N, m: N, m1: N, m2: N, g: N, c: N }),
    example: []
  })
}

/** Queries the demo suggests; each is run once by the demo itself, and by the both-engine test. */
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
      // Subqueries in a JOIN carry aliases: current releases refuse them without (joined_subquery_requires_alias).
      "SELECT question, fills FROM (SELECT condition_id, count() AS fills FROM clob_fills FINAL GROUP BY condition_id) AS f " +
      "ANY INNER JOIN (SELECT condition_id, question FROM markets FINAL) AS m USING condition_id ORDER BY fills DESC LIMIT 5"
  },
  {
    title: "ghost markets: traded per the Data-API, unknown to Gamma and the CLOB tables (the union view pm_trades_with_external)",
    sql:
      "SELECT title, trades, wallets, volume_usdc FROM (SELECT condition_id, count() AS trades, uniqExact(wallet) AS wallets, round(sum(usdc), 2) AS volume_usdc " +
      "FROM pm_trades_with_external WHERE data_source = 'polymarket_data_api' GROUP BY condition_id) AS g " +
      "ANY INNER JOIN (SELECT condition_id, any(title) AS title FROM external_trades_raw FINAL GROUP BY condition_id) AS e USING condition_id ORDER BY volume_usdc DESC"
  }
]

const examples = EXAMPLE_QUERIES.map((q, i) => command({ name: `demo.example${i + 1}`, sql: () => q.sql, example: [] }))

/**
 * The registry the both-engine test walks. A new group of statements (a new job's, a new store's) is
 * one more spread here; a new entry in an existing group is covered without any further step.
 */
export const STATEMENTS: ReadonlyArray<Statement<ReadonlyArray<any>, any>> = [
  ...Object.values(Units),
  ...Object.values(Heartbeats),
  ...Object.values(Quarantine),
  ...Object.values(GovernorLimits),
  ...Object.values(Catalogue),
  ...Object.values(FillsPlan),
  ...Object.values(Onchain),
  ...Object.values(Trades),
  ...Object.values(DemoReport),
  ...Object.values(Pnl),
  ...examples
]
