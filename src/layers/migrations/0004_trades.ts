import type { Migration } from "../../streams/migrate.js"

/*
 * The external-trades runbook's views.
 *
 * pm_trades_with_external: every trade in the wallet's perspective, one row per wallet and trade.
 * clob_fills holds one row per OrderFilled and each is its `wallet`'s own leg (maker legs, and the
 * taker's leg with is_taker_leg = 1), so a wallet's rows count each of its trades once. External rows
 * (the Data-API's, one per wallet and trade too) are kept only for markets with no CLOB fill at all:
 * elsewhere they are the same trades seen twice. Market or platform volume counts a trade once with
 * `WHERE is_taker_leg = 1`: the taker's leg of each CLOB match, and every external row (the
 * Data-API says nothing of legs; a ghost market's trades are known only through the wallets asked).
 *
 * wallet_backfill_plan: the trades job's units with the runbook's column names.
 */

const tradesWithExternal = (db: string) => `CREATE VIEW IF NOT EXISTS ${db}.pm_trades_with_external AS
SELECT
  fill_id AS trade_id, wallet, wallet AS wallet_address, side, token_id, condition_id, outcome_index,
  price, size, usdc, timestamp, tx_hash, is_taker_leg, source, 'clob_fills' AS data_source
FROM ${db}.clob_fills FINAL
UNION ALL
SELECT
  external_trade_id AS trade_id, wallet, wallet AS wallet_address, side, token_id, condition_id, outcome_index,
  price, size, usdc, timestamp, tx_hash, toUInt8(1) AS is_taker_leg, source, 'polymarket_data_api' AS data_source
FROM ${db}.external_trades_raw FINAL
WHERE condition_id NOT IN (SELECT condition_id FROM ${db}.clob_fills)`

const walletPlan = (db: string) => `CREATE VIEW IF NOT EXISTS ${db}.wallet_backfill_plan AS
SELECT
  unit_key AS wallet_address, status, error_message, last_run_at,
  visitParamExtractUInt(payload, 'rank') AS rank, rows AS trades, attempts, run_id
FROM ${db}.backfill_units FINAL
WHERE job = 'trades'`

export const tradesViews: Migration = {
  version: 4,
  name: "trades_views",
  statements: (db) => [`DROP TABLE IF EXISTS ${db}.pm_trades_with_external`, tradesWithExternal(db), walletPlan(db)]
}
