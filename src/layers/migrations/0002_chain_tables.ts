import type { Migration } from "../../streams/migrate.js"

/*
 * The on-chain job's tables. A table whose key or columns change is rebuilt: created under a new name,
 * filled from the old one, swapped in by RENAME and the old one dropped; each step can run again after
 * an interruption (the migration is recorded only once all of them succeeded). The last statement of
 * each rebuild is the table's CREATE ... IF NOT EXISTS, which `migrate` runs again when the table has
 * been dropped by hand (the newest one per table wins).
 */

const create = (table: string, columns: string, engine: string) => `CREATE TABLE ${table} (\n  ${columns}\n) ENGINE = ${engine}`

export const rebuild = (db: string, name: string, columns: string, engine: string, copy: { readonly into: string; readonly select: string }) => [
  `DROP TABLE IF EXISTS ${db}.${name}_new`,
  create(`${db}.${name}_new`, columns, engine),
  `INSERT INTO ${db}.${name}_new (${copy.into}) SELECT ${copy.select} FROM ${db}.${name}`,
  `DROP TABLE IF EXISTS ${db}.${name}_old`,
  `RENAME TABLE ${db}.${name} TO ${db}.${name}_old, ${db}.${name}_new TO ${db}.${name}`,
  `DROP TABLE IF EXISTS ${db}.${name}_old`,
  create(`IF NOT EXISTS ${db}.${name}`, columns, engine)
]

const FILL_COLUMNS_V1 =
  "fill_id, tx_hash, order_hash, log_index, block_number, timestamp, exchange, era, maker, taker, maker_asset_id, taker_asset_id, " +
  "maker_amount_filled, taker_amount_filled, fee, wallet, side, token_id, condition_id, outcome_index, price, size, usdc, is_taker_leg, source, ingested_at"

/*
 * clob_fills, ~1.2 billion rows: monthly partitions, and a sort key with locality for a market (its
 * tokens) and, inside it, a wallet, ending in the fill's identity. Every key column is fixed by the fill
 * itself (token, maker, tx, order, its place among the order's fills), never by what was known when it
 * was read (condition_id can be learnt later), so a replay or the other source replaces, never adds.
 * The version prefers the chain's row (it knows the log index, block and exchange) over the subgraph's.
 */
const clobFills = (db: string) =>
  rebuild(
    db,
    "clob_fills",
    `fill_id String,
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
  fee_asset String,
  fee_shares Float64,
  fee_usdc Float64,
  builder String,
  metadata String,
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
  ingested_at DateTime,
  source_rank UInt8 MATERIALIZED if(source = 'rpc', 2, 1)`,
    "ReplacingMergeTree(source_rank) PARTITION BY toYYYYMM(timestamp) ORDER BY (token_id, wallet, fill_id)",
    {
      into: `${FILL_COLUMNS_V1}, fee_asset, fee_shares, fee_usdc, builder, metadata`,
      // V1 rows (all that existed before): the fee is in tokens on a BUY, in collateral on a SELL.
      select:
        `${FILL_COLUMNS_V1}, if(era = 'v1' AND side = 'BUY', 'token', 'collateral'), ` +
        "if(era = 'v1' AND side = 'BUY', fee / 1000000, 0), if(era = 'v1' AND side = 'BUY', 0, fee / 1000000), '', ''"
    }
  )

const ERC1155_COLUMNS_V1 = "tx_hash, log_index, batch_index, block_number, timestamp, contract, operator, from_address, to_address, token_id, amount, ingested_at"

const erc1155Transfers = (db: string) =>
  rebuild(
    db,
    "erc1155_transfers",
    `tx_hash String,
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
  zero_value UInt8,
  ingested_at DateTime`,
    "ReplacingMergeTree(ingested_at) PARTITION BY toYYYYMM(timestamp) ORDER BY (tx_hash, log_index, batch_index)",
    { into: `${ERC1155_COLUMNS_V1}, zero_value`, select: `${ERC1155_COLUMNS_V1}, amount = '0'` }
  )

/* One resolution per condition: the CTF's ConditionResolution, with what the P&L needs to settle. */
const marketResolutions = (db: string) =>
  rebuild(
    db,
    "market_resolutions",
    `condition_id String,
  oracle String,
  question_id String,
  outcome_slot_count UInt16,
  payout_numerators Array(UInt64),
  payout_denominator UInt64,
  winning_outcome_index Int16,
  is_void UInt8,
  resolved_at DateTime,
  block_number UInt64,
  tx_hash String,
  log_index Int32,
  source String,
  updated_at DateTime`,
    "ReplacingMergeTree(updated_at) ORDER BY condition_id",
    {
      into: "condition_id, outcome_slot_count, payout_numerators, payout_denominator, winning_outcome_index, is_void, resolved_at, log_index, source, updated_at",
      select:
        "condition_id, length(payout_numerators), arrayMap(x -> toUInt64(x), payout_numerators), arraySum(payout_numerators), " +
        "winning_outcome_index, is_void, resolved_at, -1, source, updated_at"
    }
  )

/* A UTC day's block range, searched once (binary search on block timestamps) and kept. */
const chainDays = (db: string) =>
  create(
    `IF NOT EXISTS ${db}.chain_days`,
    `day String,
  from_block UInt64,
  to_block UInt64,
  updated_at DateTime`,
    "ReplacingMergeTree(updated_at) ORDER BY day"
  )

/* Each RPC URL's health as a run last saw it (redacted URL): for `status onchain`. */
const rpcHealth = (db: string) =>
  create(
    `IF NOT EXISTS ${db}.rpc_health`,
    `job String,
  run_id String,
  url String,
  workers_limit UInt32,
  in_flight UInt32,
  requests UInt64,
  share Float64,
  latency_ms Float64,
  failures UInt64,
  set_aside UInt8,
  updated_at DateTime`,
    "ReplacingMergeTree(updated_at) ORDER BY (job, run_id, url)"
  )

export const chainTables: Migration = {
  version: 2,
  name: "chain_tables",
  statements: (db) => [...clobFills(db), ...erc1155Transfers(db), ...marketResolutions(db), chainDays(db), rpcHealth(db)]
}
