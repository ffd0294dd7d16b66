import type { Migration } from "../../streams/migrate.js"

/*
 * The P&L rebuild's tables (src/streams/pnlRebuild.ts): rebuilt whole into `<name>_staging` and swapped
 * in by one RENAME, so plain MergeTree (a rebuild never appends). They supersede 0001's `wallet_pnl`,
 * which nothing ever wrote (left in place: a migration does not drop what a user may have filled).
 */

const WALLET_MARKET_PNL_COLUMNS = `wallet String,
  condition_id String,
  realized_pnl Float64,
  pnl_short Float64,
  cost Float64,
  proceeds Float64,
  fees_usdc Float64,
  fees_shares Float64,
  fee_value Float64,
  payout Float64,
  shares_left Float64,
  resolved UInt8,
  volume Float64,
  trades UInt64,
  oversold_sells UInt64,
  oversold_volume Float64,
  updated_at DateTime`

const WALLET_LEADERBOARD_COLUMNS = `wallet String,
  pnl Float64,
  markets UInt32,
  resolved_markets UInt32,
  wins UInt32,
  win_rate Float64,
  gains Float64,
  losses Float64,
  volume Float64,
  fees Float64,
  updated_at DateTime`

export const pnlTables: Migration = {
  version: 5,
  name: "pnl",
  statements: (db) => [
    `CREATE TABLE IF NOT EXISTS ${db}.wallet_market_pnl (\n  ${WALLET_MARKET_PNL_COLUMNS}\n) ENGINE = MergeTree ORDER BY (wallet, condition_id)`,
    `CREATE TABLE IF NOT EXISTS ${db}.wallet_leaderboard (\n  ${WALLET_LEADERBOARD_COLUMNS}\n) ENGINE = MergeTree ORDER BY wallet`
  ]
}
