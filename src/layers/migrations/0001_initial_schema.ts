import type { Migration } from "../../streams/migrate.js"

/*
 * The columns are those of src/domain/tables.ts, in the same order. Types stay in the subset 18.16
 * and current releases share: DateTime (rows carry epoch seconds), String for uint256 values and
 * addresses, UInt64 for raw 6-decimal amounts (sent as decimal strings), no Nullable in sort keys.
 */

const markets = (db: string) => `CREATE TABLE IF NOT EXISTS ${db}.markets (
  condition_id String,
  market_id String,
  question_id String,
  question String,
  slug String,
  event_slug String,
  outcomes Array(String),
  token_ids Array(String),
  neg_risk UInt8,
  active UInt8,
  closed UInt8,
  volume Float64,
  liquidity Float64,
  start_date DateTime,
  end_date DateTime,
  closed_time DateTime,
  resolution_status String,
  outcome_prices Array(Float64),
  resolved UInt8,
  winning_outcome_index Int16,
  is_void UInt8,
  updated_at DateTime
) ENGINE = ReplacingMergeTree(updated_at) ORDER BY condition_id`

const marketTokens = (db: string) => `CREATE TABLE IF NOT EXISTS ${db}.market_tokens (
  token_id String,
  condition_id String,
  outcome_index Int16,
  outcome String,
  winner UInt8,
  updated_at DateTime
) ENGINE = ReplacingMergeTree(updated_at) ORDER BY token_id`

const clobFills = (db: string) => `CREATE TABLE IF NOT EXISTS ${db}.clob_fills (
  fill_id String,
  tx_hash String,
  order_hash String,
  log_index Int32,
  block_number UInt64,
  timestamp DateTime,
  exchange String,
  era String,
  maker String,
  taker String,
  maker_asset_id String,
  taker_asset_id String,
  maker_amount_filled UInt64,
  taker_amount_filled UInt64,
  fee UInt64,
  wallet String,
  side String,
  token_id String,
  condition_id String,
  outcome_index Int16,
  price Float64,
  size Float64,
  usdc Float64,
  is_taker_leg UInt8,
  source String,
  ingested_at DateTime
) ENGINE = ReplacingMergeTree(ingested_at) ORDER BY fill_id`

const externalTrades = (db: string) => `CREATE TABLE IF NOT EXISTS ${db}.external_trades_raw (
  external_trade_id String,
  wallet String,
  side String,
  token_id String,
  condition_id String,
  outcome_index Int16,
  outcome String,
  price Float64,
  size Float64,
  usdc Float64,
  timestamp DateTime,
  tx_hash String,
  title String,
  slug String,
  source String,
  ingested_at DateTime
) ENGINE = ReplacingMergeTree(ingested_at) ORDER BY external_trade_id`

const erc20Transfers = (db: string) => `CREATE TABLE IF NOT EXISTS ${db}.erc20_transfers (
  tx_hash String,
  log_index UInt32,
  block_number UInt64,
  timestamp DateTime,
  token String,
  from_address String,
  to_address String,
  amount String,
  ingested_at DateTime
) ENGINE = ReplacingMergeTree(ingested_at) ORDER BY (tx_hash, log_index)`

const erc1155Transfers = (db: string) => `CREATE TABLE IF NOT EXISTS ${db}.erc1155_transfers (
  tx_hash String,
  log_index UInt32,
  batch_index UInt32,
  block_number UInt64,
  timestamp DateTime,
  contract String,
  operator String,
  from_address String,
  to_address String,
  token_id String,
  amount String,
  ingested_at DateTime
) ENGINE = ReplacingMergeTree(ingested_at) ORDER BY (tx_hash, log_index, batch_index)`

const backfillUnits = (db: string) => `CREATE TABLE IF NOT EXISTS ${db}.backfill_units (
  job String,
  unit_key String,
  shard_hash UInt64,
  status String,
  cursor String,
  attempts UInt32,
  rows UInt64,
  error_message String,
  run_id String,
  last_run_at DateTime,
  payload String,
  version UInt64
) ENGINE = ReplacingMergeTree(version) ORDER BY (job, unit_key)`

const workerHeartbeats = (db: string) => `CREATE TABLE IF NOT EXISTS ${db}.worker_heartbeats (
  job String,
  run_id String,
  host String,
  pid UInt32,
  shard String,
  workers_limit UInt32,
  in_flight UInt32,
  units_in_flight UInt32,
  units_done UInt64,
  rows UInt64,
  rows_per_sec Float64,
  rate_limited_share Float64,
  started_at DateTime,
  updated_at DateTime
) ENGINE = ReplacingMergeTree(updated_at) ORDER BY (job, run_id)`

const quarantine = (db: string) => `CREATE TABLE IF NOT EXISTS ${db}.quarantine (
  job String,
  unit_key String,
  source String,
  reason String,
  raw String,
  run_id String,
  created_at DateTime
) ENGINE = MergeTree ORDER BY (job, created_at)`

const governorLimits = (db: string) => `CREATE TABLE IF NOT EXISTS ${db}.governor_limits (
  host String,
  endpoint String,
  safe_limit UInt32,
  updated_at DateTime
) ENGINE = ReplacingMergeTree(updated_at) ORDER BY (host, endpoint)`

// Rebuilt by the P&L job (staging, gate, swap); created here so the swap has a target from day one.
const marketResolutions = (db: string) => `CREATE TABLE IF NOT EXISTS ${db}.market_resolutions (
  condition_id String,
  payout_numerators Array(UInt32),
  winning_outcome_index Int16,
  is_void UInt8,
  resolved_at DateTime,
  source String,
  updated_at DateTime
) ENGINE = ReplacingMergeTree(updated_at) ORDER BY condition_id`

const walletPnl = (db: string) => `CREATE TABLE IF NOT EXISTS ${db}.wallet_pnl (
  wallet String,
  condition_id String,
  realized_pnl Float64,
  volume Float64,
  trades UInt64,
  updated_at DateTime
) ENGINE = ReplacingMergeTree(updated_at) ORDER BY (wallet, condition_id)`

/*
 * Every trade once per wallet: clob_fills rows are stored from the maker's side, and the taker-leg
 * row (is_taker_leg = 1) is the taker's own, so no row is doubled. FINAL because a view cannot be
 * read with FINAL and a replayed page must not show up twice.
 */
const tradesWithExternal = (db: string) => `CREATE VIEW IF NOT EXISTS ${db}.pm_trades_with_external AS
SELECT
  fill_id AS trade_id, wallet, side, token_id, condition_id, outcome_index,
  price, size, usdc, timestamp, tx_hash, is_taker_leg, source, 'clob' AS data_source
FROM ${db}.clob_fills FINAL
UNION ALL
SELECT
  external_trade_id AS trade_id, wallet, side, token_id, condition_id, outcome_index,
  price, size, usdc, timestamp, tx_hash, toUInt8(0) AS is_taker_leg, source, 'external' AS data_source
FROM ${db}.external_trades_raw FINAL`

export const initialSchema: Migration = {
  version: 1,
  name: "initial_schema",
  statements: (db) => [
    `CREATE DATABASE IF NOT EXISTS ${db}`,
    markets(db),
    marketTokens(db),
    clobFills(db),
    externalTrades(db),
    erc20Transfers(db),
    erc1155Transfers(db),
    backfillUnits(db),
    workerHeartbeats(db),
    quarantine(db),
    governorLimits(db),
    marketResolutions(db),
    walletPnl(db),
    tradesWithExternal(db)
  ]
}
