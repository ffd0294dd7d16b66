import { Schema } from "effect"
import { Address, IsoDay, JobName, RunId, Uint256, UnitKey } from "./ids.js"
import { quote, sql } from "./sql.js"
import { TABLES } from "./tables.js"
import { UnitRowSchema } from "./unitRow.js"

/**
 * Every SQL statement polybackfill sends at run time, apart from the migrations (src/layers/migrations/)
 * and the JSONEachRow inserts. Writing a statement here is what gets it tested: test/layers/statements.test.ts
 * runs each entry of STATEMENTS, with its `example` arguments, on a migrated database of every engine
 * CI has (the embedded 26.x and Debian's 18.16 server), and decodes its rows with `rows`.
 */
interface StatementBase<Args extends ReadonlyArray<unknown>> {
  readonly name: string
  readonly sql: (...args: Args) => string
  /** Arguments the both-engine test calls `sql` with, against a migrated, empty database. */
  readonly example: Args
}

/** A SELECT (or EXISTS): its rows decode with `rows`. */
export interface QueryStatement<Args extends ReadonlyArray<unknown>, A> extends StatementBase<Args> {
  readonly rows: Schema.Schema<A, any>
}

/** A statement that returns nothing. */
export interface CommandStatement<Args extends ReadonlyArray<unknown>> extends StatementBase<Args> {
  readonly rows?: undefined
}

export type Statement<Args extends ReadonlyArray<unknown>, A = unknown> = QueryStatement<Args, A> | CommandStatement<Args>

const query = <Args extends ReadonlyArray<unknown>, A>(s: QueryStatement<Args, A>): QueryStatement<Args, A> => s
const command = <Args extends ReadonlyArray<unknown>>(s: CommandStatement<Args>): CommandStatement<Args> => s

/** 18.16 quotes 64-bit integers in JSON and current releases need not: both forms decode. */
export const CountN = Schema.Union(Schema.Number, Schema.NumberFromString)
const N = CountN

const jobName = (job: string): JobName => {
  if (!Schema.is(JobName)(job)) throw new Error(`invalid job name ${JSON.stringify(job)}`)
  return job
}
const unitKey = (key: string): UnitKey => {
  if (!Schema.is(UnitKey)(key)) throw new Error(`invalid unit key ${JSON.stringify(key)}`)
  return key
}
const TABLE = /^[A-Za-z_][A-Za-z0-9_]*$/
const tableName = (table: string): string => {
  if (!TABLE.test(table)) throw new Error(`invalid table name ${JSON.stringify(table)}`)
  return table
}

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

// ---- the P&L rebuild (src/streams/pnlRebuild.ts) and its readers (src/cli/pnl.ts, src/cli/leaderboard.ts) ----

export const PNL_TABLES = ["wallet_market_pnl", "wallet_leaderboard"] as const
export type PnlTable = (typeof PNL_TABLES)[number]
const staging = (table: PnlTable) => `${table}_staging`
const resetStaging = (table: PnlTable) => `DROP TABLE IF EXISTS ${staging(table)}`
const createStaging = (table: PnlTable) => `CREATE TABLE ${staging(table)} AS ${table}`

/** One trade as the fold reads it (pnl.trades gives the order). */
export const PnlTradeRow = Schema.Struct({
  wallet: Schema.String,
  token_id: Schema.String,
  condition_id: Schema.String,
  side: Schema.String,
  size: N,
  usdc: N,
  fee_shares: N,
  fee_usdc: N
})

export const LEADERBOARD_METRICS = ["omega", "pnl", "winrate", "volume"] as const
export type LeaderboardMetric = (typeof LEADERBOARD_METRICS)[number]
// A wallet without a loss has Omega +Infinity: it ranks above every finite one (ties by P&L).
const OMEGA = "if(losses > 0, gains / losses, if(gains > 0, 1e300, 0))"
const METRIC_ORDER: Record<LeaderboardMetric, string> = {
  omega: `${OMEGA} DESC, pnl DESC`,
  pnl: "pnl DESC",
  winrate: "win_rate DESC, resolved_markets DESC",
  volume: "volume DESC"
}

export const LeaderboardRow = Schema.Struct({
  wallet: Schema.String,
  pnl: N,
  markets: N,
  resolved_markets: N,
  wins: N,
  win_rate: N,
  gains: N,
  losses: N,
  volume: N,
  fees: N
})

export const WalletMarketRow = Schema.Struct({
  condition_id: Schema.String,
  question: Schema.String,
  realized_pnl: N,
  cost: N,
  proceeds: N,
  fees_usdc: N,
  fees_shares: N,
  payout: N,
  shares_left: N,
  resolved: N,
  trades: N,
  oversold_sells: N
})

/**
 * The direction check's rows: fills whose transaction has ERC-1155 and collateral transfers loaded, with
 * the wallet's net flow of the fill's token and of collateral in that transaction. A BUY brings the wallet
 * tokens and takes collateral; a SELL the reverse.
 */
const DIRECTION_ROWS =
  "SELECT fill_id, wallet, side, usdc, token_net, collateral_net FROM (" +
  "SELECT fill_id, wallet, side, usdc, token_net, tx_hash FROM (" +
  `SELECT fill_id, tx_hash, wallet, token_id, side, usdc FROM ${TABLES.clobFills} FINAL ` +
  `WHERE tx_hash IN (SELECT tx_hash FROM ${TABLES.erc1155Transfers}) AND tx_hash IN (SELECT tx_hash FROM ${TABLES.erc20Transfers})` +
  ") AS f ANY LEFT JOIN (" +
  "SELECT tx_hash, wallet, token_id, sum(v) AS token_net FROM (" +
  `SELECT tx_hash, to_address AS wallet, token_id, toFloat64OrZero(amount) AS v FROM ${TABLES.erc1155Transfers} FINAL ` +
  `UNION ALL SELECT tx_hash, from_address AS wallet, token_id, -toFloat64OrZero(amount) AS v FROM ${TABLES.erc1155Transfers} FINAL` +
  ") GROUP BY tx_hash, wallet, token_id) AS t USING (tx_hash, wallet, token_id)" +
  ") AS ft ANY LEFT JOIN (" +
  "SELECT tx_hash, wallet, sum(v) AS collateral_net FROM (" +
  `SELECT tx_hash, to_address AS wallet, toFloat64OrZero(amount) AS v FROM ${TABLES.erc20Transfers} FINAL ` +
  `UNION ALL SELECT tx_hash, from_address AS wallet, -toFloat64OrZero(amount) AS v FROM ${TABLES.erc20Transfers} FINAL` +
  ") GROUP BY tx_hash, wallet) AS c USING (tx_hash, wallet)"
const AGREES = "side = 'BUY' AND token_net > 0 AND collateral_net < 0 OR side = 'SELL' AND token_net < 0 AND collateral_net > 0"

const EXAMPLE_WALLET = Schema.decodeSync(Address)("0x00000003a1b2c3d4e5f60718293a4b5c6d7e8f90")

export const Pnl = {
  /** Staging tables, fresh for each rebuild: `<table>_staging` with the table's columns and engine. */
  resetMarketStaging: command({ name: "pnl.resetMarketStaging", sql: () => resetStaging("wallet_market_pnl"), example: [] }),
  createMarketStaging: command({ name: "pnl.createMarketStaging", sql: () => createStaging("wallet_market_pnl"), example: [] }),
  resetLeaderboardStaging: command({ name: "pnl.resetLeaderboardStaging", sql: () => resetStaging("wallet_leaderboard"), example: [] }),
  createLeaderboardStaging: command({ name: "pnl.createLeaderboardStaging", sql: () => createStaging("wallet_leaderboard"), example: [] }),
  tradeCount: query({
    name: "pnl.tradeCount",
    sql: () => `SELECT (SELECT count() FROM ${TABLES.clobFills}) + (SELECT count() FROM ${TABLES.externalTrades}) AS n`,
    rows: Schema.Struct({ n: N }),
    example: []
  }),
  resetTradesStaging: command({ name: "pnl.resetTradesStaging", sql: () => "DROP TABLE IF EXISTS pnl_trades_staging", example: [] }),
  createTradesStaging: command({
    name: "pnl.createTradesStaging",
    sql: () =>
      "CREATE TABLE pnl_trades_staging (bucket UInt32, wallet String, token_id String, condition_id String, side String, size Float64, usdc Float64, " +
      "fee_shares Float64, fee_usdc Float64, ts UInt32, block_number UInt64, log_index Int32, trade_id String) " +
      "ENGINE = MergeTree ORDER BY (bucket, wallet, token_id, ts, block_number, log_index, trade_id)",
    example: []
  }),
  /**
   * Every wallet's trades once, sorted the rebuild's way and cut into buckets of wallets, so each bucket
   * is one range of the sort key (one scan of the inputs in all): their own CLOB fill rows (each leg is
   * one wallet's, the taker leg the taker's), plus Data-API trades of tokens Gamma does not list (ghost
   * markets), so no trade counts twice.
   */
  fillTradesStaging: command({
    name: "pnl.fillTradesStaging",
    sql: (buckets: number) =>
      `INSERT INTO pnl_trades_staging SELECT toUInt32(cityHash64(wallet) % ${quote(buckets)}) AS bucket, wallet, token_id, condition_id, side, size, usdc, ` +
      "fee_shares, fee_usdc, ts, block_number, log_index, trade_id FROM (" +
      "SELECT wallet, token_id, condition_id, side, size, usdc, fee_shares, fee_usdc, toUInt32(timestamp) AS ts, block_number, log_index, fill_id AS trade_id " +
      `FROM ${TABLES.clobFills} FINAL ` +
      "UNION ALL " +
      "SELECT wallet, token_id, condition_id, side, size, usdc, toFloat64(0) AS fee_shares, toFloat64(0) AS fee_usdc, toUInt32(timestamp) AS ts, " +
      "toUInt64(0) AS block_number, toInt32(-1) AS log_index, external_trade_id AS trade_id " +
      `FROM ${TABLES.externalTrades} FINAL WHERE token_id NOT IN (SELECT token_id FROM ${TABLES.marketTokens}))`,
    example: [4]
  }),
  /** One bucket, in the documented order: time, then block and log index where the source gives one, else the trade's id. */
  trades: query({
    name: "pnl.trades",
    sql: (bucket: number) =>
      "SELECT wallet, token_id, condition_id, side, size, usdc, fee_shares, fee_usdc FROM pnl_trades_staging " +
      `WHERE bucket = ${quote(bucket)} ORDER BY wallet, token_id, ts, block_number, log_index, trade_id`,
    rows: PnlTradeRow,
    example: [0]
  }),
  onchainPayouts: query({
    name: "pnl.onchainPayouts",
    sql: () =>
      "SELECT condition_id, arrayMap(x -> toFloat64(x), payout_numerators) AS numerators, toFloat64(payout_denominator) AS denominator " +
      `FROM ${TABLES.marketResolutions} FINAL`,
    rows: Schema.Struct({ condition_id: Schema.String, numerators: Schema.Array(N), denominator: N }),
    example: []
  }),
  gammaPayouts: query({
    name: "pnl.gammaPayouts",
    sql: () => `SELECT condition_id, resolution_status, outcome_prices FROM ${TABLES.markets} FINAL WHERE resolution_status = 'resolved'`,
    rows: Schema.Struct({ condition_id: Schema.String, resolution_status: Schema.String, outcome_prices: Schema.Array(N) }),
    example: []
  }),
  tokens: query({
    name: "pnl.tokens",
    sql: () => `SELECT token_id, condition_id, outcome_index FROM ${TABLES.marketTokens} FINAL`,
    rows: Schema.Struct({ token_id: Schema.String, condition_id: Schema.String, outcome_index: N }),
    example: []
  }),
  summarize: command({
    name: "pnl.summarize",
    sql: (updatedAt: number) =>
      `INSERT INTO ${staging("wallet_leaderboard")} SELECT wallet, sum(realized_pnl) AS pnl, toUInt32(count()) AS markets, ` +
      "toUInt32(countIf(resolved = 1)) AS resolved_markets, toUInt32(countIf(resolved = 1 AND realized_pnl > 0)) AS wins, " +
      "if(resolved_markets = 0, 0, wins / resolved_markets) AS win_rate, sumIf(realized_pnl, resolved = 1 AND realized_pnl > 0) AS gains, " +
      "-sumIf(realized_pnl, resolved = 1 AND realized_pnl < 0) AS losses, sum(volume) AS volume, sum(fee_value) AS fees, " +
      `toDateTime(${quote(updatedAt)}) AS updated_at FROM ${staging("wallet_market_pnl")} GROUP BY wallet`,
    example: [1764720000]
  }),
  // ---- the gate ----
  duplicateFills: query({
    name: "pnl.gate.duplicateFills",
    sql: () =>
      `SELECT fill_id AS key, toUInt64(count()) AS n FROM ${TABLES.clobFills} FINAL GROUP BY fill_id HAVING count() > 1 ORDER BY n DESC, key LIMIT 11`,
    rows: Schema.Struct({ key: Schema.String, n: N }),
    example: []
  }),
  notOneHot: query({
    name: "pnl.gate.notOneHot",
    sql: () =>
      "SELECT condition_id, arrayStringConcat(arrayMap(x -> toString(x), payout_numerators), ',') AS payouts FROM (" +
      `SELECT condition_id, payout_numerators FROM ${TABLES.marketResolutions} FINAL WHERE length(payout_numerators) = 2 ` +
      "AND NOT (arrayCount(x -> x > 0, payout_numerators) = 1 OR (payout_numerators[1] > 0 AND payout_numerators[1] = payout_numerators[2]))" +
      ") ORDER BY condition_id LIMIT 11",
    rows: Schema.Struct({ condition_id: Schema.String, payouts: Schema.String }),
    example: []
  }),
  gammaNotOneHot: query({
    name: "pnl.gate.gammaNotOneHot",
    sql: () =>
      "SELECT condition_id, arrayStringConcat(arrayMap(x -> toString(x), outcome_prices), ',') AS payouts FROM (" +
      `SELECT condition_id, outcome_prices FROM ${TABLES.markets} FINAL WHERE resolution_status = 'resolved' AND length(outcome_prices) = 2 ` +
      `AND condition_id NOT IN (SELECT condition_id FROM ${TABLES.marketResolutions}) ` +
      "AND NOT (arraySort(outcome_prices) = [0, 1] OR outcome_prices = [0.5, 0.5])" +
      ") ORDER BY condition_id LIMIT 11",
    rows: Schema.Struct({ condition_id: Schema.String, payouts: Schema.String }),
    example: []
  }),
  /**
   * The direction check over fills whose transaction has ERC-1155 and collateral transfers loaded: a BUY
   * brings the wallet tokens of the fill's token and takes collateral; a SELL the reverse.
   */
  directionOffenders: query({
    name: "pnl.gate.directionOffenders",
    sql: () => `SELECT * FROM (${DIRECTION_ROWS}) WHERE NOT (${AGREES}) ORDER BY usdc DESC, fill_id LIMIT 10`,
    rows: Schema.Struct({ fill_id: Schema.String, wallet: Schema.String, side: Schema.String, usdc: N, token_net: N, collateral_net: N }),
    example: []
  }),
  directionShare: query({
    name: "pnl.gate.directionShare",
    sql: () => `SELECT sum(usdc) AS volume, sumIf(usdc, ${AGREES}) AS agreeing, toUInt64(count()) AS fills FROM (${DIRECTION_ROWS})`,
    rows: Schema.Struct({ volume: N, agreeing: N, fills: N }),
    example: []
  }),
  /** Per resolved market: P&L under `short` plus the fees paid, which is 0 when no fill is missing or doubled. */
  conservation: query({
    name: "pnl.gate.conservation",
    sql: (offenders: boolean) =>
      "SELECT condition_id, sum(pnl_short) AS pnl, sum(fee_value) AS fees, pnl + fees AS gap " +
      `FROM ${staging("wallet_market_pnl")} WHERE resolved = 1 GROUP BY condition_id` +
      (offenders ? " HAVING abs(gap) > 0.01 ORDER BY abs(gap) DESC, condition_id LIMIT 10" : ""),
    rows: Schema.Struct({ condition_id: Schema.String, pnl: N, fees: N, gap: N }),
    example: [true]
  }),
  conservationCount: query({
    name: "pnl.gate.conservationCount",
    sql: () =>
      "SELECT toUInt64(count()) AS markets, toUInt64(countIf(abs(gap) > 0.01)) AS failing FROM (" +
      `SELECT condition_id, sum(pnl_short) + sum(fee_value) AS gap FROM ${staging("wallet_market_pnl")} WHERE resolved = 1 GROUP BY condition_id)`,
    rows: Schema.Struct({ markets: N, failing: N }),
    example: []
  }),
  stagedTotals: query({
    name: "pnl.stagedTotals",
    sql: () => `SELECT toUInt64(count()) AS wallets, sum(pnl) AS pnl, sum(volume) AS volume, sum(fees) AS fees FROM ${staging("wallet_leaderboard")}`,
    rows: Schema.Struct({ wallets: N, pnl: N, volume: N, fees: N }),
    example: []
  }),
  /** Wallets per win-rate decile (0: [0, 0.1) … 9: [0.9, 1]), -1 for those without a resolved market. */
  stagedDeciles: query({
    name: "pnl.stagedDeciles",
    sql: () =>
      "SELECT decile, toUInt64(count()) AS wallets FROM (" +
      `SELECT if(resolved_markets = 0, -1, toInt32(least(floor(win_rate * 10), 9))) AS decile FROM ${staging("wallet_leaderboard")}) GROUP BY decile ORDER BY decile`,
    rows: Schema.Struct({ decile: N, wallets: N }),
    example: []
  }),
  stagedMarkets: query({
    name: "pnl.stagedMarkets",
    sql: () =>
      "SELECT toUInt64(uniqExact(condition_id)) AS markets, toUInt64(uniqExactIf(condition_id, resolved = 1)) AS resolved, " +
      `toUInt64(sum(oversold_sells)) AS oversold_sells, sum(oversold_volume) AS oversold_volume FROM ${staging("wallet_market_pnl")}`,
    rows: Schema.Struct({ markets: N, resolved: N, oversold_sells: N, oversold_volume: N }),
    example: []
  }),
  /** The swap: every staged table in at once (readers see the old tables or the new, never half). */
  swap: command({
    name: "pnl.swap",
    sql: () =>
      "RENAME TABLE " +
      PNL_TABLES.map((t) => `${t} TO ${t}_old, ${staging(t)} TO ${t}`).join(", "),
    example: []
  }),
  dropOld: command({ name: "pnl.dropOld", sql: (table: PnlTable) => `DROP TABLE IF EXISTS ${table}_old`, example: ["wallet_market_pnl"] }),
  // ---- readers ----
  leaderboard: query({
    name: "pnl.leaderboard",
    sql: (metric: LeaderboardMetric, minMarkets: number, top: number) =>
      "SELECT wallet, pnl, markets, resolved_markets, wins, win_rate, gains, losses, volume, fees FROM wallet_leaderboard " +
      `WHERE resolved_markets >= ${quote(minMarkets)} ORDER BY ${METRIC_ORDER[metric]}, wallet LIMIT ${quote(top)}`,
    rows: LeaderboardRow,
    example: ["omega", 10, 50]
  }),
  walletMarkets: query({
    name: "pnl.walletMarkets",
    sql: (wallet: Address) =>
      "SELECT condition_id, question, realized_pnl, cost, proceeds, fees_usdc, fees_shares, payout, shares_left, resolved, trades, oversold_sells FROM (" +
      sql`SELECT * FROM wallet_market_pnl WHERE wallet = ${wallet}` +
      `) AS p ANY LEFT JOIN (SELECT condition_id, question FROM ${TABLES.markets} FINAL) AS m USING condition_id ORDER BY resolved DESC, condition_id`,
    rows: WalletMarketRow,
    example: [EXAMPLE_WALLET]
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
